// `node bench/evaluate.mjs` (after `npm run build`): does reading a page with Runtime.evaluate, without
// Runtime.enable, make it pay for DevTools as Playwright's domains do? The time-to-offers tables of `npm run bench`
// read their marks that way (network.mjs, in bare.mjs's Chromium). Pages of the early snippet's table (today's
// snippet, td-js-sdk, the early snippet, bundles from the site, direct; the fetch-only page), on the RTT 40 ms
// site, each loaded four ways, one after the other, the order turning each round:
//
//   bare        as network.mjs: nothing asked of the page until it is done, then Runtime.evaluate
//   evaluate    the same, plus a Runtime.evaluate sent the moment Page.navigate returns (the commit), so it runs
//               in the new page while it loads; its result (performance.now()) tells whether that was before the
//               bundle came in, i.e. before the bundle was compiled and run
//   runtime     the same as bare, with Runtime.enable on the tab (what turns on the costly mode, see bare.mjs)
//   playwright  Playwright's Chromium, as the tables were measured before
//
// It prints, per page and way, the median (p25–p75) of "page runs → request" (the first script's mark to fetch()),
// "bundle in → request" (the bundle's compile and run until its fetch(), where DevTools' cost shows) and
// "page runs → offers". BENCH_LOADS (default 15) sets the loads per page and way.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { selfSigned } from '../demo/cert.mjs';
import { cdnFiles, writeRules } from './pages.mjs';
import { launch, median } from './measure.mjs';
import { launchBare } from './bare.mjs';
import { HOSTS, startSite } from './site.mjs';
import { loadOnce, VARIANTS } from './network.mjs';
import { spread, table } from './report.mjs';

const LOADS = Number(process.env.BENCH_LOADS) || 15;
const PAGES = ['p13n', 'td', 'early', 'fetchOnly'];

const temp = await mkdtemp(path.join(os.tmpdir(), 'p13n-bench-'));
const rulesFile = path.join(temp, 'rules.json');
await writeRules(rulesFile);
const tls = selfSigned(HOSTS);
const net = await startSite({ rttMs: 40, rulesFile, tls, files: cdnFiles() });
const bare = await launchBare({ spkiHash: tls.spkiHash });
const playwright = await launch({ spkiHash: tls.spkiHash });
const ways = {
  bare: () => bare.open(),
  evaluate: async () => {
    const tab = await bare.open();
    const wrapped = {
      ...tab,
      async goto(url) {
        await tab.goto(url);
        wrapped.probe = await tab.evaluate(() => performance.now());
      },
    };
    return wrapped;
  },
  runtime: () => bare.open({ domains: ['Runtime'] }),
  playwright: async () => {
    const tab = await playwright.open();
    return { ...tab, evaluate: (fn, arg) => tab.page.evaluate(fn, arg), url: () => tab.page.url() };
  },
};
const names = Object.keys(ways);
const results = Object.fromEntries(names.map((way) => [way, Object.fromEntries(PAGES.map((page) => [page, []]))]));
process.stderr.write(`Chromium ${bare.version}, ${LOADS} loads per page and way\n`);
try {
  for (let round = -1; round < LOADS; round++) { // one round more than counted, as in cost.mjs
    for (const page of PAGES) {
      const turn = (round + 1) % names.length;
      for (const way of [...names.slice(turn), ...names.slice(0, turn)]) {
        const target = net.prepare(VARIANTS[page].build);
        const tab = await ways[way]();
        try {
          const run = { ...(await loadOnce(net, tab, {}, target.url)), probe: tab.probe };
          if (round >= 0) results[way][page].push(run);
        } finally {
          await tab.close();
          target.remove();
        }
      }
    }
  }
} finally {
  await Promise.all([bare.close(), playwright.close()]);
  await net.close();
  await rm(temp, { recursive: true, force: true });
}

const rows = [];
const probes = [];
for (const page of PAGES) {
  for (const way of names) {
    const runs = results[way][page];
    const late = runs.filter((run) => Math.max(run.offers ?? -1, run.slot ?? -1) > run.readAt).length;
    const bundle = page === 'fetchOnly' ? '' : spread(runs.map((run) => run.request - run.bundleEnd));
    if (way === 'evaluate') probes.push(...runs.map((run) => ({ page, before: page !== 'fetchOnly' && run.probe < run.bundleEnd, head: run.probe < run.head, at: run.probe })));
    rows.push([`${page}, ${way}`, spread(runs.map((run) => run.request - run.head)), bundle, spread(runs.map((run) => run.offers - run.head)),
      spread(runs.map((run) => run.offers)), String(late)]);
  }
}
const head = ['page, way', 'page runs → request', 'bundle in → request', 'page runs → offers', 'nav → offers', 'loads not done when first read'];
const tagged = probes.filter((probe) => probe.page !== 'fetchOnly');
process.stdout.write(`${table(head, rows)}\n\n` +
  `The "evaluate" way's Runtime.evaluate at the commit ran ${median(probes.map((probe) => probe.at)).toFixed(1)} ms after navigation ` +
  `start (median): before the page's first script in ${probes.filter((probe) => probe.head).length} of ${probes.length} loads, ` +
  `before the bundle was in (so before it was compiled and run) in ${tagged.filter((probe) => probe.before).length} of ${tagged.length}.\n`);
