/**
 * Firefox through puppeteer-core over WebDriver BiDi: Debian's firefox-esr, headless. Playwright's own Firefox
 * path needs a newer Firefox than ESR (it fails on `emulation.setMediaFeaturesOverride`).
 */
import puppeteer, { type BrowserContext, type Page } from 'puppeteer-core';
import { PROGRAMS } from './programs';
import { cookieOf, fromJSON, inPage, poll, scriptText, TEST_HOSTS, type EngineBrowser, type Tab } from './tab';

/**
 * Firefox reports what it refused a page (a cookie for a public-suffix domain, a resource or sink its CSP
 * forbids, a script failing its integrity hash) on the same channel as the page's uncaught errors. Those are the
 * browser's console messages, as Chromium logs them, not errors the page threw: they go to `console()`, at the level
 * Chromium gives them.
 */
const BROWSER_MESSAGES: [RegExp, string][] = [
  [/^Cookie “.*” has been rejected/, 'warning'],
  [/^Content-Security-Policy: /, 'error'],
  [/^Cross-Origin Request Blocked: /, 'error'],
  // a script whose SRI hash does not match (or whose load was cut short by a navigation: the hash of nothing)
  [/^None of the “sha\d+” hashes in the integrity attribute match/, 'error'],
];

function firefoxTab(context: BrowserContext, page: Page, owner: boolean): Tab {
  const errors: string[] = [];
  const lines: string[] = [];
  page.on('pageerror', (error) => {
    const message = error instanceof Error ? error.message : String(error);
    const browser = BROWSER_MESSAGES.find(([pattern]) => pattern.test(message));
    if (browser) lines.push(browser[1] + ': ' + message);
    else errors.push(String(error));
  });
  // Playwright's names, so the tests read one vocabulary: 'warning', not puppeteer's 'warn'
  page.on('console', (message) => lines.push((message.type() == 'warn' ? 'warning' : message.type()) + ': ' + message.text()));
  const tab: Tab = {
    engine: 'firefox',
    goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
    reload: async () => void (await page.reload({ waitUntil: 'load' })),
    url: async () => page.url(),
    evaluate: async (fn, arg) => fromJSON(await page.evaluate(inPage(fn, arg))),
    // polled from here, so that a navigation in between (a link, a reload) does not end the wait
    waitForFunction: (fn, arg, options) =>
      poll(() => tab.evaluate(fn, arg).catch(() => false), options?.timeout, 'waitForFunction ' + fn),
    click: (selector) => page.click(selector),
    clickAt: (x, y) => page.mouse.click(x, y),
    async press(key) {
      if (key != 'Shift+Tab') return page.keyboard.press(key);
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
    },
    waitForTimeout: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    addInitScript: async (script, arg) => void (await page.evaluateOnNewDocument(scriptText(script, arg))),
    cookies: async () => (await context.cookies()).map(cookieOf),
    addCookies: (cookies) => context.setCookie(...cookies),
    setOffline: (offline) => page.setOfflineMode(offline),
    errors: async () => errors.slice(),
    console: async () => lines.slice(),
    newTab: async () => firefoxTab(context, await context.newPage(), false),
    close: () => (owner ? context.close() : page.close()),
  };
  return tab;
}

export async function launchFirefox(): Promise<EngineBrowser> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: PROGRAMS.firefox,
    headless: true,
    // the https pages (td-js-sdk's Secure cookie) are served with the tests' own self-signed certificate
    acceptInsecureCerts: true,
    timeout: 60_000,
    protocolTimeout: 60_000,
    extraPrefsFirefox: {
      // the test host names resolve to the loopback interface (Firefox has no wildcard for this)
      'network.dns.localDomains': TEST_HOSTS.join(','),
      // the test site is plain http: never upgraded to https
      'dom.security.https_first': false,
      'dom.security.https_only_mode': false,
      // a machine with no network: no probes of it
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
    },
  });
  return {
    version: 'Firefox ' + (await browser.version()).replace(/^firefox\//, ''),
    async newTab() {
      const context = await browser.createBrowserContext();
      return firefoxTab(context, await context.newPage(), true);
    },
    close: () => browser.close(),
  };
}
