/**
 * p13n-tag/vue in a server-rendered Vue 3 app, in every engine: the example app (e2e/apps/vue-app.ts) rendered
 * with @vue/server-renderer in the test process, the tag on the page, and the app's client bundle (Vite, Vue's
 * development or production build) hydrating it, the tag's answer arriving before hydration or after it. Vue
 * reports a hydration mismatch on the console ("Hydration ... mismatch" in development; "Hydration completed but
 * contains mismatches." in production, with details, as __VUE_PROD_HYDRATION_MISMATCH_DETAILS__ is set): none
 * may show. A route change (vue-router, the tag's `spa: true`) shows the new route's answer.
 */
import { fileURLToPath } from 'node:url';
import { config, expect, test, testPage, type Tab } from './fixtures';
import { answer, offer, textOf } from './pages';
import { bundle } from './apps/bundle';
import { renderShop } from './apps/vue-server';

const ENTRY = fileURLToPath(new URL('./apps/vue-client.ts', import.meta.url));
const MODES = ['development', 'production'] as const;
type Mode = (typeof MODES)[number];

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await Promise.all(MODES.map((mode) => bundle(ENTRY, mode)));
});

type Server = Parameters<typeof testPage>[0];
/** Serves the app's server HTML at `path`, the tag and the `mode` bundle, and opens it. */
async function openShop(tab: Tab, server: Server, mode: Mode, { path = '/vue/', head = '' } = {}) {
  server.pages.set('/vue-app.js', { headers: { 'Content-Type': 'text/javascript' }, body: await bundle(ENTRY, mode) });
  const html = await renderShop(path);
  server.pages.set(path, {
    headers: {},
    body: testPage(
      server,
      `<script>${head}</script><script src="{{TAG}}"></script><script>p13n('init', ${config({ spa: true })})</script>`,
      `<div id="app">${html}</div><script type="module" src="/vue-app.js"></script>`,
    ),
  });
  await tab.goto(`http://www.shop.test:${server.port}${path}`);
  return html;
}

/** What Vue said about hydration, or any of its warnings. */
const vueWarnings = async (tab: Tab) => (await tab.console()).filter((line) => /hydrat|mismatch|\[Vue/i.test(line));
const hydrated = (tab: Tab) => tab.waitForFunction(() => (window as { hydrated?: unknown }).hydrated, undefined, { timeout: 10_000 });
const HERO = { hero: offer({ headline: 'Spring sale' }) };

for (const mode of MODES) {
  test.describe(`Vue ${mode} build`, () => {
    test('the answer arrives before hydration: the server HTML hydrates as is, then the offer shows', async ({ tab, server, emulator }) => {
      emulator.setFault(answer(HERO));
      const html = await openShop(tab, server, mode, { head: 'window.hydrateAfterOffers = true' });
      expect(html).toContain('Welcome');
      await hydrated(tab);
      // the offers were in before hydration, and the hydration render was the server's
      expect(await tab.evaluate(() => (window as any).hydrated)).toEqual({ hero: 'Welcome' });
      await expect.poll(() => textOf(tab, '#hero')).toBe('Spring sale');
      expect(await vueWarnings(tab)).toEqual([]);
    });

    test('the answer arrives after hydration: the fallback, then the offer; a route change shows the next answer', async ({ tab, server, emulator, posts }) => {
      // long enough for a loaded machine to hydrate first; the page itself says whether it did
      emulator.setFault(answer(HERO, { delayMs: 2000 }));
      emulator.setFault(answer({ hero: offer({ headline: 'Summer sale' }), sale: offer({ discount: '20% off' }) }));
      await openShop(tab, server, mode, {
        head: "document.addEventListener('p13n:offers', function () { window.offersAfterHydration = !!window.hydrated }, { once: true })",
      });
      await hydrated(tab);
      expect(await tab.evaluate(() => (window as any).hydrated)).toEqual({ hero: 'Welcome' });
      await expect.poll(() => textOf(tab, '#hero')).toBe('Spring sale');
      expect(await tab.evaluate(() => (window as any).offersAfterHydration)).toBe(true);

      await tab.click('#to-sale');
      await expect.poll(() => textOf(tab, '#page')).toBe('Sale');
      await expect.poll(() => textOf(tab, '#sale')).toBe('20% off');
      expect(await textOf(tab, '#hero')).toBe('Summer sale');
      expect(await tab.url()).toBe(`http://www.shop.test:${server.port}/vue/sale`);
      const views = posts();
      expect(views).toHaveLength(2);
      expect(views[1].body).toMatchObject({ td_path: '/vue/sale' });
      expect(await vueWarnings(tab)).toEqual([]);
    });

    test('a mismatch is seen: a client that renders other markup than the server is reported (control)', async ({ tab, server, emulator }) => {
      emulator.setFault(answer(HERO));
      await openShop(tab, server, mode, { head: 'window.shopLabel = "Other shop"' });
      await hydrated(tab);
      await expect.poll(async () => (await vueWarnings(tab)).join('\n')).toMatch(/Hydration/);
    });
  });
}
