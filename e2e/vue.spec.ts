/**
 * p13n-tag/vue in a server-rendered Vue 3 app, in every engine: the example app (e2e/apps/vue-app.ts) rendered
 * with @vue/server-renderer in the test process, the tag on the page, and the app's client bundle (Vite, Vue's
 * development or production build) hydrating it, the tag's answer arriving before hydration or after it. Vue
 * reports a hydration mismatch on the console ("Hydration ... mismatch" in development; "Hydration completed but
 * contains mismatches." in production, with details, as __VUE_PROD_HYDRATION_MISMATCH_DETAILS__ is set): none
 * may show. A route change (vue-router, the tag's `spa: true`) shows the new route's answer.
 *
 * A second app, a single-file component (e2e/apps/vue-sfc-banner.vue) built by Vite with @vitejs/plugin-vue for
 * the browser and for the server, as a Vue app is: its `<Offer>` slots share a root tag, and the offer, once in,
 * must replace the server's styled skeleton (or the hidden fallback) rather than inherit its attributes.
 */
import { fileURLToPath } from 'node:url';
import { call, config, expect, test, testPage, type Tab } from './fixtures';
import { answer, attributeOf, offer, textOf } from './pages';
import { bundle, bundleCss, serverBundle } from './apps/bundle';
import { renderShop } from './apps/vue-server';
import type { BannerState } from './apps/vue-sfc-client';

const ENTRY = fileURLToPath(new URL('./apps/vue-client.ts', import.meta.url));
const SFC_ENTRY = fileURLToPath(new URL('./apps/vue-sfc-client.ts', import.meta.url));
const SFC_SERVER = fileURLToPath(new URL('./apps/vue-sfc-server.ts', import.meta.url));
const MODES = ['development', 'production'] as const;
type Mode = (typeof MODES)[number];
type SfcServer = typeof import('./apps/vue-sfc-server');

/** The SFC app's server, per mode: built by Vite, as an SSR app's server is. */
const sfcServers = new Map<Mode, SfcServer>();

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await Promise.all(MODES.flatMap((mode) => [bundle(ENTRY, mode), bundle(SFC_ENTRY, mode)]));
  for (const mode of MODES) sfcServers.set(mode, await serverBundle<SfcServer>(SFC_SERVER, mode));
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

/** Serves the SFC app's server HTML at /vue-sfc/, its stylesheet linked as an SSR app links it, and opens it. */
async function openBanner(tab: Tab, server: Server, mode: Mode, extra: Record<string, unknown> = {}) {
  server.pages.set('/vue-sfc-app.js', { headers: { 'Content-Type': 'text/javascript' }, body: await bundle(SFC_ENTRY, mode) });
  server.pages.set('/vue-sfc-app.css', { headers: { 'Content-Type': 'text/css' }, body: await bundleCss(SFC_ENTRY, mode) });
  const html = await sfcServers.get(mode)!.renderBanner();
  server.pages.set('/vue-sfc/', {
    headers: {},
    body: testPage(
      server,
      `<link rel="stylesheet" href="/vue-sfc-app.css"><script src="{{TAG}}"></script><script>p13n('init', ${config(extra)})</script>`,
      `<div id="app">${html}</div><script type="module" src="/vue-sfc-app.js"></script>`,
    ),
  });
  await tab.goto(`http://www.shop.test:${server.port}/vue-sfc/`);
  return html;
}

/** The banner as a visitor sees it now (e2e/apps/vue-sfc-client.ts). */
const bannerOf = (tab: Tab) => tab.evaluate(() => (window as unknown as { banner: () => BannerState }).banner());
/** Waits until the banner shows `text`, hidden or not, and gives all of what it is then. */
async function bannerShowing(tab: Tab, text: string, hidden = false) {
  await expect.poll(() => bannerOf(tab)).toMatchObject({ text, hidden });
  return bannerOf(tab);
}
const GREY = 'rgb(221, 221, 221)';
const NO_BACKGROUND = 'rgba(0, 0, 0, 0)';

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

    test('with measure: true, the offer an <Offer> shows is one viewable impression of its page view', async ({ tab, server, emulator, posts }) => {
      emulator.setFault(answer(HERO));
      await openBanner(tab, server, mode, { measure: true });
      await bannerShowing(tab, 'Spring sale');
      expect(await attributeOf(tab, '#banner', 'data-p13n-measure')).toBe('hero');
      await expect.poll(() => posts().filter((entry) => entry.body.event == 'p13n_impression').map((entry) => entry.body.p13n_offers), { timeout: 10_000 }).toEqual([['hero']]);
      const [view, impression] = posts();
      expect(impression.body.p13n_view).toBe(view.body.uuid);
      expect(await vueWarnings(tab)).toEqual([]);
    });

    test("a single-file component: the server's grey skeleton hydrates as is, then the offer replaces it, no skeleton left", async ({ tab, server, emulator }) => {
      emulator.setFault(answer(HERO));
      const html = await openBanner(tab, server, mode);
      expect(html).toMatch(/<h2 id="banner" class="skeleton" aria-busy="true" data-v-\w+>Welcome, guest<\/h2>/);
      await hydrated(tab);
      expect(await tab.evaluate(() => (window as any).hydrated)).toEqual({ text: 'Welcome, guest', className: 'skeleton', hidden: false, background: GREY });
      expect(await bannerShowing(tab, 'Spring sale')).toEqual({ text: 'Spring sale', className: '', hidden: false, background: NO_BACKGROUND });
      expect(await attributeOf(tab, '#banner', 'aria-busy')).toBeNull();
      expect(await vueWarnings(tab)).toEqual([]);
    });

    test('a single-file component: the hidden fallback of an answer without the offer, the offer of the next, the fallback again', async ({ tab, server, emulator }) => {
      emulator.setFault(answer({}));
      emulator.setFault(answer(HERO));
      emulator.setFault(answer({}));
      await openBanner(tab, server, mode);
      await hydrated(tab);
      expect(await bannerShowing(tab, 'Welcome, guest', true)).toEqual({ text: 'Welcome, guest', className: '', hidden: true, background: NO_BACKGROUND });
      await call(tab, 'personalize');
      expect(await bannerShowing(tab, 'Spring sale')).toEqual({ text: 'Spring sale', className: '', hidden: false, background: NO_BACKGROUND });
      // a later answer withdraws the offer
      await call(tab, 'personalize');
      expect(await bannerShowing(tab, 'Welcome, guest', true)).toEqual({ text: 'Welcome, guest', className: '', hidden: true, background: NO_BACKGROUND });
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
