/**
 * What every end-to-end test shares: one demo server per worker (the emulator on http://localhost:PORT, pages on
 * http://www.shop.test:PORT, so every call is cross-origin and CORS is real), pages built per test, and the
 * tag's public calls run inside the page.
 *
 * Tests drive a `tab` (engines/tab.ts): the same test body runs in Chromium, Firefox and WebKit, one project each
 * in playwright.config.ts. A test that needs what only Playwright's Chromium can do (offline emulation, request
 * events, a browser launched with its own flags) uses `page` and `context`, the Playwright objects behind the
 * Chromium tab, and says "(Chromium only)" in its name, which keeps it out of the other engines' projects.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { selfSigned } from '../demo/cert.mjs';
import { startServer } from '../demo/server.mjs';
import { launchEngine } from './engines';
import { TEST_HOSTS, type Engine, type EngineBrowser, type Tab } from './engines/tab';

export { expect };
export type { Tab };
export const API_KEY = '1/' + 'c0ffee'.repeat(6) + 'c0ff';
export const TOKEN = '1/2/6b6ea5f8df5845fa8e7962f9e1ba84a3';

type Server = Awaited<ReturnType<typeof startServer>>;
export type Emulator = Server['emulator'];
export interface LogEntry {
  t: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  status: number;
  response: unknown;
}

export interface PageOptions {
  /** Markup for `<head>`; `{{TAG}}` becomes the URL of dist/p13n.min.js. */
  head?: string;
  body?: string;
  /** A Content-Security-Policy header for the page. */
  csp?: string;
  /** Path on the site, default `/test`. */
  path?: string;
  host?: string;
  /** Served over https (the tests' own certificate), the API too: a secure page, where `Secure` cookies stick. */
  secure?: boolean;
}

/** The certificate of the server's https port, which every engine is told to accept: made once per worker. */
const TLS = selfSigned(['localhost', ...TEST_HOSTS, ...TEST_HOSTS.map((host) => '*.' + host)]);

export const test = base.extend<
  {
    emulator: Emulator;
    /** A fresh tab (its own cookies and storage) in this project's engine. */
    tab: Tab;
    /** Serves a page made of `options` on the test site and opens it in `tab`. */
    open: (options: PageOptions) => Promise<Tab>;
    /** POST requests the emulator received, oldest first. */
    posts: () => LogEntry[];
    /** Chromium only: uncaught errors and unhandled rejections of `page`. */
    pageErrors: string[];
  },
  { engine: Engine; server: Server; browserEngine: EngineBrowser }
>({
  engine: ['chromium', { option: true, scope: 'worker' }],
  server: [
    async ({}, use) => {
      const server = await startServer({ port: 0, tls: TLS });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  browserEngine: [
    async ({ engine, server }, use) => {
      const browser = await launchEngine(engine, { port: server.port, tls: TLS });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  emulator: async ({ server }, use) => {
    server.pages.clear();
    server.emulator.reset();
    server.emulator.clearFaults();
    await use(server.emulator);
  },
  posts: async ({ emulator }, use) => {
    await use(() => (emulator.log as LogEntry[]).filter((entry) => entry.method == 'POST'));
  },
  tab: async ({ browserEngine }, use) => {
    const tab = await browserEngine.newTab();
    await use(tab);
    // a tag must never cause an uncaught error or an unhandled rejection, in any test
    const errors = await tab.errors().catch(() => []);
    await tab.close().catch(() => {});
    expect(errors, 'page errors').toEqual([]);
  },
  page: async ({ tab }, use) => {
    if (!tab.playwright) throw new Error(`this test uses Playwright's page: name it "(Chromium only)"`);
    await use(tab.playwright.page);
  },
  context: async ({ tab }, use) => {
    if (!tab.playwright) throw new Error(`this test uses Playwright's context: name it "(Chromium only)"`);
    await use(tab.playwright.context);
  },
  pageErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await use(errors);
  },
  open: async ({ tab, server }, use) => {
    await use(async ({ head = '', body = '', csp, path = '/test', host = 'www.shop.test', secure = false }) => {
      const url = secure ? `https://${host}:${server.securePort}${path}` : `http://${host}:${server.port}${path}`;
      server.pages.set(new URL(url).pathname, {
        headers: csp ? { 'Content-Security-Policy': csp } : {},
        body: testPage(server, head, body, secure),
      });
      await tab.goto(url);
      return tab;
    });
  },
});

/** A test page's HTML: `{{TAG}}` is the built tag on this site, `{{API}}` the emulator (over https for a `secure` page). */
export const testPage = (server: Server, head: string, body = '', secure = false) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Test page</title>${head}</head><body>${body}</body></html>`
    .replace(/\{\{TAG\}\}/g, `/dist/p13n.min.js`)
    .replace(/\{\{API\}\}/g, secure ? `https://localhost:${server.securePort}` : server.apiUrl);

/**
 * A snippet file as a page pastes it, byte for byte: in an inline `<script>` (with `nonce`), loading the tag from
 * `tag` (this site's unless told), followed by the page's `calls`.
 */
const pasted = (file: string, calls: string, { tag = '{{TAG}}', nonce }: { tag?: string; nonce?: string } = {}) =>
  `<script${nonce ? ` nonce="${nonce}"` : ''}>
${readFileSync(new URL('../' + file, import.meta.url), 'utf8').replace('https://YOUR-CDN/p13n.min.js', tag)}
  ${calls}
</script>`;
/** The documented short snippet (src/snippets/short.js). */
export const snippet = (calls: string) => pasted('src/snippets/short.js', calls);
/** The early snippet as built (dist/p13n-early-snippet.js). */
export const earlySnippet = (calls: string, options?: { tag?: string; nonce?: string }) => pasted('dist/p13n-early-snippet.js', calls, options);

/** A config literal for page scripts, pointing at the emulator. */
export const config = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ database: 'demo_db', table: 'pageviews', apiKey: API_KEY, token: TOKEN, endpoint: '{{API}}', ...extra });

/** Waits until the tag is live in the page: the snippet's stub has no version. */
export const tagLive = (page: Tab | Page) =>
  (page as Tab).waitForFunction(() => typeof (window as { p13n?: { v?: string } }).p13n?.v == 'string');

/** Calls `p13n(command, ...args)` in the page once the tag is live and returns what it resolved to. */
export async function call(page: Tab | Page, command: string, ...args: unknown[]): Promise<any> {
  await tagLive(page);
  return (page as Tab).evaluate(([command, args]) => (window as any).p13n(command, ...(args as unknown[])), [command, args] as const);
}

/** Waits until `count` POSTs reached the emulator. */
export async function waitForPosts(posts: () => LogEntry[], count: number) {
  await expect.poll(() => posts().length).toBeGreaterThanOrEqual(count);
  return posts();
}
