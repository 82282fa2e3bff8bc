/**
 * A browser tab as the end-to-end tests see it, the same in every engine: Chromium through Playwright, Firefox
 * through puppeteer-core (WebDriver BiDi), WebKit through selenium-webdriver (WebKitGTK's MiniBrowser). The
 * methods are the subset of Playwright's `Page` the tests need, with the same names and meaning, so a test body
 * reads like a Playwright test and runs unchanged in all three.
 */
import type { BrowserContext, Page } from '@playwright/test';

export type Engine = 'chromium' | 'firefox' | 'webkit';
export const ENGINES: Engine[] = ['chromium', 'firefox', 'webkit'];

export interface Cookie {
  name: string;
  value: string;
  /** As the browser keeps it: `.shop.test` for a domain cookie, `www.shop.test` for a host-only one. */
  domain: string;
  path: string;
  /** Seconds since the epoch; -1 for a session cookie. */
  expires: number;
}

/** The fields the tests compare, out of a driver's richer cookie record. */
export const cookieOf = ({ name, value, domain, path, expires }: Cookie): Cookie => ({ name, value, domain, path, expires });

/** The keys a test may press, in Playwright's names; `Shift+Tab` holds Shift down while Tab is pressed. */
export type Key = 'Tab' | 'Shift+Tab' | 'Escape';

/** A script to run in every document the tab loads, before the page's own: a function and its argument. */
export type InitScript<A> = ((arg: A) => unknown) | { content: string };

export interface Tab {
  readonly engine: Engine;
  /** Navigates and waits for the `load` event. */
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  url(): Promise<string>;
  /** Runs `fn(arg)` in the page and returns its (awaited) result, as Playwright's `page.evaluate`. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Waits until `fn(arg)` is truthy in the page (30 s unless told). */
  waitForFunction<A = undefined>(fn: (arg: A) => unknown, arg?: A, options?: { timeout?: number }): Promise<void>;
  /** A real click on the first element matching `selector`, as a visitor's. */
  click(selector: string): Promise<void>;
  /** A real click at a point of the viewport (CSS pixels from its top left corner), whatever is there: a backdrop, a shadow root's content. */
  clickAt(x: number, y: number): Promise<void>;
  /** A real key press, as a visitor's, to whatever has the focus. */
  press(key: Key): Promise<void>;
  waitForTimeout(ms: number): Promise<void>;
  addInitScript<A = undefined>(script: InitScript<A>, arg?: A): Promise<void>;
  /**
   * The cookies of the tab's browser context: all of them in Chromium and Firefox; in WebKit those the current page
   * can see (its host's and its parent domains'), which is all WebDriver classic lists.
   */
  cookies(): Promise<Cookie[]>;
  /** Sets cookies before a page of their domain is opened (a returning visitor). */
  addCookies(cookies: Pick<Cookie, 'name' | 'value' | 'domain' | 'path'>[]): Promise<void>;
  /**
   * Uncaught errors and unhandled rejections of the tab's pages so far. WebKit keeps them in each page, read before
   * the test navigates: a page left by its own script takes what it saw with it.
   */
  errors(): Promise<string[]>;
  /** What the tab's pages logged, as `type: text` (`error: p13n: config.apiKey ...`). */
  console(): Promise<string[]>;
  /** Takes the browser offline (`navigator.onLine` false, every request failing) or back; not in WebKit. */
  setOffline?(offline: boolean): Promise<void>;
  /** Another tab of the same browser context: same cookies, same storage. */
  newTab(): Promise<Tab>;
  close(): Promise<void>;
  /** Chromium only: the Playwright page and context behind this tab, for what only Playwright can do. */
  readonly playwright?: { page: Page; context: BrowserContext };
}

/** One browser per test worker; each test gets tabs of a fresh context (cookies and storage of its own). */
export interface EngineBrowser {
  readonly version: string;
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}

/**
 * Options every engine needs: the demo server's port, so host names such as www.shop.test reach it, and the
 * certificate its https port serves (which each engine is told to accept; WebKit's proxy serves it itself).
 */
export interface LaunchOptions {
  port: number;
  tls: { key: string; cert: string };
}

/** The host names the tests load pages from; each engine maps them to the loopback interface its own way. */
export const TEST_HOSTS = ['www.shop.test', 'blog.shop.test', 'shop.test', 'cdn.shop.test', 'other.test'];

/**
 * The script text that calls `script(arg)`, for engines whose drivers take strings. Arguments travel as JSON,
 * as they do through every driver.
 */
export const scriptText = <A>(script: InitScript<A>, arg?: A) =>
  'content' in script ? script.content : `(${script})(${arg === undefined ? '' : JSON.stringify(arg)});`;

/**
 * JSON text of `value` as the test runner expects it, written without `JSON.stringify` of objects: the pages
 * under test may replace `toJSON` (Prototype.js turns arrays into strings that way), and a driver's own
 * serialization differs from Playwright's (puppeteer over BiDi answers `undefined` for an object met twice,
 * WebDriver classic `null` for `undefined`). Runs in the page, so it uses nothing a page is likely to replace.
 */
function toText(value: unknown): string | undefined {
  const own = Object.prototype.hasOwnProperty;
  if (value === null || typeof value == 'boolean') return String(value);
  if (typeof value == 'number') return isFinite(value) ? String(value) : 'null';
  if (typeof value == 'string') return JSON.stringify(value); // a primitive: toJSON is never looked up
  if (typeof value != 'object') return undefined;
  if (value instanceof Date) return JSON.stringify(Date.prototype.toISOString.call(value));
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) parts.push(toText(value[i]) || 'null');
    return '[' + parts.join(',') + ']';
  }
  for (const key in value) {
    const text = own.call(value, key) ? toText((value as Record<string, unknown>)[key]) : undefined;
    if (text !== undefined) parts.push(JSON.stringify(key) + ':' + text);
  }
  return '{' + parts.join(',') + '}';
}

/** The expression that runs `fn(arg)` in the page and answers its result as JSON text (see `toText`). */
export const inPage = <A>(fn: (arg: A) => unknown, arg?: A) =>
  `(async () => { const toText = ${toText}; const text = toText(await (${fn})(${arg === undefined ? '' : JSON.stringify(arg)})); return text === undefined ? '{}' : '{"v":' + text + '}' })()`;
export const fromJSON = (text: unknown) => (JSON.parse(text as string) as { v?: never }).v as never;

/** Polls `check` every 50 ms until it is truthy or `timeout` runs out: for drivers that cannot wait in the page. */
export async function poll(check: () => Promise<unknown>, timeout = 30_000, what = 'a condition') {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`waited ${timeout} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
