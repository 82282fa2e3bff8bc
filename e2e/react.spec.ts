/**
 * p13n-tag/react in a server-rendered React app, in every engine: the example app (apps/react-*.ts) rendered with
 * react-dom/server in the test, hydrated in the page with hydrateRoot from a bundle built as an app's bundler
 * builds it (development and production React), with the IIFE tag on the page. The tag's answer arrives before
 * hydration and after it; neither may cause a hydration error or warning, and the offer shows once hydrated.
 * React Router's route changes (the tag's `spa: true`) show the new route's offer.
 */
import { fileURLToPath } from 'node:url';
import { bundle } from './apps/bundle';
import { renderApp } from './apps/react-server';
import { config, expect, test, waitForPosts, type Tab } from './fixtures';
import { answer, offer, textOf } from './pages';

const ENTRY = fileURLToPath(new URL('./apps/react-client.ts', import.meta.url));
const MODES = ['development', 'production'] as const;
type Mode = (typeof MODES)[number];

// the bundles, once per worker: a Vite build takes a few seconds
test.beforeAll(async () => {
  test.setTimeout(120_000);
  for (const mode of MODES) await bundle(ENTRY, mode);
});

type Server = Parameters<Parameters<typeof test>[2]>[0]['server'];
type Open = Parameters<Parameters<typeof test>[2]>[0]['open'];

/** Serves the app's server HTML at `path`, the tag in its head and the bundle of `mode` last, and opens it. */
async function openApp(open: Open, server: Server, mode: Mode, path: string, { waitForOffers = false } = {}) {
  server.pages.set(`/react-app.${mode}.js`, { headers: { 'Content-Type': 'text/javascript' }, body: await bundle(ENTRY, mode) });
  return open({
    path,
    // no favicon request (its 404 would be a console error)
    head: `<link rel="icon" href="data:,"><script>window.__log = []; document.addEventListener('p13n:offers', function () { __log.push('offers') });
      ${waitForOffers ? 'window.__waitForOffers = true;' : ''}</script>
      <script src="{{TAG}}"></script><script>p13n('init', ${config({ spa: true })})</script>`,
    body: `<div id="root">${renderApp(path)}</div><script type="module" src="/react-app.${mode}.js"></script>`,
  });
}

const log = (tab: Tab) => tab.evaluate(() => (window as unknown as { __log: string[] }).__log);
const hydrated = (tab: Tab) => expect.poll(() => log(tab)).toContain('hydrated');
/** What React reported of the hydration: recoverable errors (#418, #423 ...), and console errors and warnings. */
async function hydrationProblems(tab: Tab) {
  const recoverable = await tab.evaluate(() => (window as unknown as { __recoverable?: string[] }).__recoverable || []);
  const consoleLines = (await tab.console()).filter(
    // Firefox warns of the cookie the tag sets to find the registrable domain (rejected on a public suffix): no React's
    (line) => /^(error|warn|warning): /.test(line) && !/^warning: Cookie \S+ has been rejected for invalid domain/.test(line),
  );
  return [...recoverable, ...consoleLines];
}
const headline = (text: string) => offer({ headline: text });

for (const mode of MODES) {
  test.describe(`${mode} build`, () => {
    test('the answer arrives before hydration: the server HTML hydrates with no mismatch, then the offer shows', async ({ open, server, emulator }) => {
      emulator.setFault(answer({ react_home: headline('Home offer') }));
      const tab = await openApp(open, server, mode, '/react', { waitForOffers: true });
      await hydrated(tab);
      await expect.poll(() => textOf(tab, '#offer')).toBe('Home offer');
      // the offers were in the store (another root showed them) when hydration began
      expect(await textOf(tab, '#probe')).toBe('ready');
      expect(await log(tab)).toEqual(['offers', 'hydrate', 'hydrated']);
      expect(await hydrationProblems(tab)).toEqual([]);
    });

    test('the answer arrives after hydration: the fallback until then, the offer after', async ({ open, server, emulator }) => {
      // long enough for a loaded machine to hydrate first; the page's log says the order it saw
      emulator.setFault(answer({ react_home: headline('Home offer') }, { delayMs: 2000 }));
      const tab = await openApp(open, server, mode, '/react');
      await hydrated(tab);
      expect(await textOf(tab, '#offer')).toBe('Default offer');
      await expect.poll(() => textOf(tab, '#offer')).toBe('Home offer');
      expect(await log(tab)).toEqual(['hydrate', 'hydrated', 'offers']);
      expect(await hydrationProblems(tab)).toEqual([]);
    });

    test("a React Router route change shows the new route's offer", async ({ open, server, emulator, posts }) => {
      emulator.setFault(answer({ react_home: headline('Home offer') }));
      emulator.setFault(answer({ react_shoes: headline('Shoes offer') }));
      const tab = await openApp(open, server, mode, '/react');
      await hydrated(tab);
      await expect.poll(() => textOf(tab, '#offer')).toBe('Home offer');
      await tab.click('#to-shoes');
      await expect.poll(() => textOf(tab, 'h1')).toBe('Shoes');
      await expect.poll(() => textOf(tab, '#offer')).toBe('Shoes offer');
      const [, shoes] = await waitForPosts(posts, 2);
      expect(shoes.body.td_path).toBe('/react/shoes');
      expect(await hydrationProblems(tab)).toEqual([]);
    });

    test('the harness sees a hydration mismatch when there is one', async ({ open, server }) => {
      const tab = await openApp(open, server, mode, '/react/broken');
      await hydrated(tab);
      await expect.poll(() => textOf(tab, '#offer')).toBe('Client text');
      expect((await hydrationProblems(tab)).join('\n')).toMatch(mode == 'development' ? /hydrat/i : /#418|#423/);
    });
  });
}
