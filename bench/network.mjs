// Time to offers, requests and memory per page view, and the latency levers, on the site with a round-trip time
// (see https.mjs), in the Chromium without Playwright (bare.mjs), so no tag pays for DevTools instrumentation
// in the times measured. Every variant is loaded once per round, the rounds one after another, so a slow moment of the
// machine touches all variants alike.
import { blankPage, fetchOnlyPage, p13nPage, tdPage } from './pages.mjs';
import { heapAfterGC, marks, settled, sleep, until } from './measure.mjs';

/**
 * The variants: how each page is built for its API origin (and the CDN origin `cdn` it may load its bundle from),
 * whether its second load is the one measured, and (`early`) whether it is one of the early-snippet table's rows,
 * loaded in only `earlyLoads` of the rounds (spread over them) to keep `npm run bench` short.
 */
export const VARIANTS = {
  td: { build: (api) => tdPage({ api }), heap: true },
  p13n: { build: (api) => p13nPage({ api }), heap: true },
  preconnect: { build: (api) => p13nPage({ api, preconnect: true }) },
  proxy: { build: (api) => p13nPage({ api, proxy: true }) },
  script: { build: (api) => p13nPage({ api, load: 'script' }) },
  // the first load opens the connections, fills the preflight cache (Access-Control-Max-Age) and the HTTP cache
  warm: { build: (api) => p13nPage({ api }), warm: true },
  tdWarm: { build: (api) => tdPage({ api }), warm: true },
  // no tag: the heap the table subtracts (the main-thread table's is another page, see cost.mjs)
  none: { build: () => blankPage(), heap: true, blank: true },
  // the early snippet (dist/p13n-early-snippet.js) against today's (src/snippets/short.js), the bundles from the site
  // (as above: p13n, proxy, td) or from a third-party CDN origin of their own (cN.cdn.test: its own connection)
  early: { build: (api) => p13nPage({ api, load: 'early' }), early: true },
  earlyPreconnect: { build: (api) => p13nPage({ api, load: 'early', preconnect: true }), early: true },
  earlyProxy: { build: (api) => p13nPage({ api, load: 'early', proxy: true }), early: true },
  cdn: { build: (api, { cdn }) => p13nPage({ api, cdn }), early: true },
  cdnPreconnect: { build: (api, { cdn }) => p13nPage({ api, cdn, preconnect: true }), early: true },
  cdnProxy: { build: (api, { cdn }) => p13nPage({ api, cdn, proxy: true }), early: true },
  earlyCdn: { build: (api, { cdn }) => p13nPage({ api, cdn, load: 'early' }), early: true },
  earlyCdnPreconnect: { build: (api, { cdn }) => p13nPage({ api, cdn, load: 'early', preconnect: true, preconnectCdn: true }), early: true },
  earlyCdnProxy: { build: (api, { cdn }) => p13nPage({ api, cdn, load: 'early', proxy: true }), early: true },
  tdCdn: { build: (api, { cdn }) => tdPage({ api, cdn }), early: true },
  // no tag: the page posts at once from an inline script and reads the answer, the least any page can take
  fetchOnly: { build: (api) => fetchOnlyPage({ api }), early: true },
  fetchOnlyProxy: { build: (api) => fetchOnlyPage({ api, proxy: true }), early: true },
};

/**
 * How long after its page view was answered at the server a page is left alone before its marks are read: the
 * answer's way to the browser, the bundle (which may come after it: from a CDN, in proxy mode) and the render.
 */
export const QUIET_MS = 150;

/**
 * One page load in the Chromium without Playwright (bare.mjs): the page's marks, what reached the site and the
 * API, and (`heap`) the JS heap once the slot shows, or for a `blank` page (which has no slot) once it has loaded.
 * Nothing is asked of the page while it runs: the bench waits at the server for its page view's answer (plus
 * QUIET_MS), and only then reads it with Runtime.evaluate. `readAt` is when that first evaluate ran (ms since
 * navigation start), so a load that was not done by then shows (its `slot` or `offers` mark is later).
 */
export async function loadOnce(site, tab, { heap = false, blank = false } = {}, url) {
  site.front.resetStats();
  site.server.emulator.reset();
  await tab.goto(url);
  if (blank) await sleep(QUIET_MS);
  else if (await until(() => site.front.stats.answered >= 1)) await sleep(QUIET_MS);
  const readAt = await tab.evaluate(() => performance.now());
  if (blank) await tab.evaluate(() => document.readyState === 'complete' || new Promise((resolve) => addEventListener('load', resolve)));
  else await settled(tab);
  await sleep(50); // a request sent after the slot showed would still be counted
  const stats = structuredClone(site.front.stats);
  return { ...(await marks(tab)), readAt, stats, heap: heap ? await heapAfterGC(tab.cdp) : NaN };
}

/**
 * @param {object} env  the bench's environment (run.mjs): `bare`, the Chromium without Playwright (bare.mjs)
 * @param {number} loads  per variant
 * @param {number} [earlyLoads]  per `early` variant (at most `loads`), in rounds spread evenly over all of them
 * @returns {Record<string, object[]>}  per variant, one result per measured load
 */
export async function measureNetwork({ bare, net }, loads, earlyLoads = loads) {
  const results = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
  const share = Math.min(earlyLoads, loads);
  for (let round = 0; round < loads; round++) {
    const earlyRound = Math.floor(((round + 1) * share) / loads) > Math.floor((round * share) / loads);
    for (const [name, { build, warm, heap, blank, early }] of Object.entries(VARIANTS)) {
      if (early && !earlyRound) continue;
      const target = net.prepare(build);
      const tab = await bare.open();
      try {
        if (warm) await loadOnce(net, tab, {}, target.url);
        results[name].push(await loadOnce(net, tab, { heap, blank }, target.url));
      } finally {
        await tab.close();
        target.remove();
      }
    }
  }
  return results;
}
