/** Chromium through Playwright: Debian's /usr/bin/chromium, which Playwright cannot download for itself here. */
import { chromium, type BrowserContext, type LaunchOptions as PlaywrightLaunch, type Page } from '@playwright/test';
import { PROGRAMS } from './programs';
import { cookieOf, type EngineBrowser, type Tab } from './tab';

export const CHROMIUM_LAUNCH: PlaywrightLaunch = {
  executablePath: PROGRAMS.chromium || undefined,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    // real host names on this machine, for the registrable-domain cookie
    '--host-resolver-rules=MAP *.shop.test 127.0.0.1',
  ],
};

/** `owner`: the tab that made the context closes it; another tab of it closes only its page. */
function chromiumTab(context: BrowserContext, page: Page, owner: boolean): Tab {
  const errors: string[] = [];
  const lines: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => lines.push(message.type() + ': ' + message.text()));
  return {
    engine: 'chromium',
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    url: async () => page.url(),
    evaluate: (fn, arg) => page.evaluate(fn as never, arg),
    waitForFunction: async (fn, arg, options) => void (await page.waitForFunction(fn as never, arg, options)),
    click: (selector) => page.click(selector),
    clickAt: (x, y) => page.mouse.click(x, y),
    press: (key) => page.keyboard.press(key),
    waitForTimeout: (ms) => page.waitForTimeout(ms),
    addInitScript: async (script, arg) => void (await page.addInitScript(script as never, arg)),
    cookies: async () => (await context.cookies()).map(cookieOf),
    addCookies: (cookies) => context.addCookies(cookies),
    setOffline: (offline) => context.setOffline(offline),
    errors: async () => errors.slice(),
    console: async () => lines.slice(),
    newTab: async () => chromiumTab(context, await context.newPage(), false),
    close: () => (owner ? context.close() : page.close()),
    playwright: { page, context },
  };
}

export async function launchChromium(): Promise<EngineBrowser> {
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  return {
    version: 'Chromium ' + browser.version(),
    async newTab() {
      // the https pages (td-js-sdk's Secure cookie) are served with the tests' own self-signed certificate
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      return chromiumTab(context, await context.newPage(), true);
    },
    close: () => browser.close(),
  };
}
