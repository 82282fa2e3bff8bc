/**
 * p13n-tag/react in a server-rendered React app, in every engine and in each React the binding supports (the
 * root's React 19, and React 18 from the e2e/react18 workspace): the example app (apps/react-*.ts) rendered with
 * react-dom/server, hydrated in the page with hydrateRoot from a bundle built as an app's bundler builds it
 * (development and production React), with the IIFE tag on the page. The tag's answer arrives before hydration
 * and after it; neither may cause a hydration error or warning, and the offer shows once hydrated. React Router's
 * route changes (the tag's `spa: true`) show the new route's offer.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundle, serverBundle, type Mode } from './apps/bundle';
import type * as ReactServer from './apps/react-server';
import { config, expect, test, waitForPosts, type Tab } from './fixtures';
import { answer, offer, textOf } from './pages';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const CLIENT = here('./apps/react-client.ts');
const SERVER = here('./apps/react-server.ts');
const MODES = ['development', 'production'] as const;

/**
 * Each React: where its packages are, the version installed there, which both the server module and the page
 * must report, and what it reports of a text mismatch (the broken page's) to onRecoverableError, in any engine.
 * React 18 lives in e2e/react18/node_modules (npm cannot put it at the root beside 19): its builds take `react`
 * and `react-dom` from there, for every importer (React Router and the binding too), as an app on React 18 has
 * them; a second React in the bundle would fail every test (a hook of one called in a render of the other).
 */
const REACTS = [
  {
    major: 19,
    folder: here('../node_modules/'),
    mismatch: { development: /Hydration failed because the server rendered text didn't match the client/, production: /#418\b/ },
  },
  {
    major: 18,
    folder: here('./react18/node_modules/'),
    packages: { react: here('./react18/node_modules/react'), 'react-dom': here('./react18/node_modules/react-dom') },
    // then "There was an error while hydrating" (#423): the root renders again on the client
    mismatch: { development: /Text content does not match server-rendered HTML/, production: /#425\b/ },
  },
].map(({ folder, packages = {}, ...react }: { major: number; folder: string; packages?: Record<string, string>; mismatch: Record<Mode, RegExp> }) => ({
  ...react,
  packages,
  version: JSON.parse(readFileSync(folder + 'react/package.json', 'utf8')).version as string,
}));
type ReactUnderTest = (typeof REACTS)[number];

const serverApp = (react: ReactUnderTest, mode: Mode) => serverBundle<typeof ReactServer>(SERVER, mode, { packages: react.packages });

// the bundles, once per worker: a Vite build takes a few seconds (the server's, a fraction of one)
test.beforeAll(async () => {
  test.setTimeout(180_000);
  for (const react of REACTS) {
    for (const mode of MODES) {
      await bundle(CLIENT, mode, { packages: react.packages });
      await serverApp(react, mode);
    }
  }
});

type Server = Parameters<Parameters<typeof test>[2]>[0]['server'];
type Open = Parameters<Parameters<typeof test>[2]>[0]['open'];

/**
 * Serves the app's server HTML at `path` (rendered by `react`), the tag in its head and the bundle of `react` and
 * `mode` last, and opens it. Checks that the server and the page ran that React, not the root's.
 */
async function openApp(open: Open, server: Server, react: ReactUnderTest, mode: Mode, path: string, { waitForOffers = false, measure = false } = {}) {
  const { renderApp, versions } = await serverApp(react, mode);
  expect(react.version.split('.')[0], `the React installed for React ${react.major}`).toBe(String(react.major));
  expect(versions, 'the React that rendered the server HTML').toEqual({ react: react.version, reactDom: react.version });
  const script = `/react-app.${react.major}.${mode}.js`;
  server.pages.set(script, { headers: { 'Content-Type': 'text/javascript' }, body: await bundle(CLIENT, mode, { packages: react.packages }) });
  const tab = await open({
    path,
    // no favicon request (its 404 would be a console error)
    head: `<link rel="icon" href="data:,"><script>window.__log = []; document.addEventListener('p13n:offers', function () { __log.push('offers') });
      ${waitForOffers ? 'window.__waitForOffers = true;' : ''}</script>
      <script src="{{TAG}}"></script><script>p13n('init', ${config({ spa: true, measure })})</script>`,
    body: `<div id="root">${renderApp(path)}</div><script type="module" src="${script}"></script>`,
  });
  // react-dom 18.3.1's production browser build calls itself 18.3.1-next-f1338f8080-20240426, a slip of its
  // release (its development build and its server say 18.3.1)
  await expect
    .poll(() => tab.evaluate(() => (window as unknown as { __react?: unknown }).__react), { message: 'the React the page runs' })
    .toEqual({ react: react.version, reactDom: expect.stringMatching(new RegExp(`^${react.version.replace(/\./g, '\\.')}(-next-|$)`)) });
  return tab;
}

const log = (tab: Tab) => tab.evaluate(() => (window as unknown as { __log: string[] }).__log);
const hydrated = (tab: Tab) => expect.poll(() => log(tab)).toContain('hydrated');
/** What React reported of the hydration: recoverable errors (#418; #423, #425 in 18 ...), and console errors and warnings. */
async function hydrationProblems(tab: Tab) {
  const recoverable = await tab.evaluate(() => (window as unknown as { __recoverable?: string[] }).__recoverable || []);
  const consoleLines = (await tab.console()).filter(
    // Firefox warns of the cookie the tag sets to find the registrable domain (rejected on a public suffix): no React's
    (line) => /^(error|warn|warning): /.test(line) && !/^warning: Cookie \S+ has been rejected for invalid domain/.test(line),
  );
  return [...recoverable, ...consoleLines];
}
const headline = (text: string) => offer({ headline: text });

for (const react of REACTS) {
  for (const mode of MODES) {
    test.describe(`React ${react.major}, ${mode} build`, () => {
      test('the answer arrives before hydration: the server HTML hydrates with no mismatch, then the offer shows', async ({ open, server, emulator }) => {
        emulator.setFault(answer({ react_home: headline('Home offer') }));
        const tab = await openApp(open, server, react, mode, '/react', { waitForOffers: true });
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
        const tab = await openApp(open, server, react, mode, '/react');
        await hydrated(tab);
        expect(await textOf(tab, '#offer')).toBe('Default offer');
        await expect.poll(() => textOf(tab, '#offer')).toBe('Home offer');
        expect(await log(tab)).toEqual(['hydrate', 'hydrated', 'offers']);
        expect(await hydrationProblems(tab)).toEqual([]);
      });

      test('with measure: true, the offer an <Offer> shows is one viewable impression of its page view', async ({ open, server, emulator, posts }) => {
        emulator.setFault(answer({ react_home: headline('Home offer') }));
        const tab = await openApp(open, server, react, mode, '/react', { measure: true });
        await expect.poll(() => textOf(tab, '#offer')).toBe('Home offer');
        expect(await tab.evaluate(() => document.querySelector('#offer')!.getAttribute('data-p13n-measure'))).toBe('react_home');
        await expect.poll(() => posts().filter((entry) => entry.body.event == 'p13n_impression').map((entry) => entry.body.p13n_offers), { timeout: 10_000 }).toEqual([['react_home']]);
        const [view, impression] = posts();
        expect(impression.body.p13n_view).toBe(view.body.uuid);
        expect(await hydrationProblems(tab)).toEqual([]);
      });

      test("a React Router route change shows the new route's offer", async ({ open, server, emulator, posts }) => {
        emulator.setFault(answer({ react_home: headline('Home offer') }));
        emulator.setFault(answer({ react_shoes: headline('Shoes offer') }));
        const tab = await openApp(open, server, react, mode, '/react');
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
        const tab = await openApp(open, server, react, mode, '/react/broken');
        await hydrated(tab);
        await expect.poll(() => textOf(tab, '#offer')).toBe('Client text');
        expect((await hydrationProblems(tab)).join('\n')).toMatch(react.mismatch[mode]);
      });
    });
  }
}
