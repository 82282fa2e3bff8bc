// `node bench/instrumentation.mjs` (after `npm run build`): the main-thread table of `npm run bench` measured three
// ways in one run: in the Chromium without Playwright that the bench now uses (bare.mjs); in the same with the
// domains Playwright enables on every page turned on (Page, Runtime, Network, Log), which isolates their cost
// from anything else that differs between the two launches; and in Playwright's, as the bench measured before.
// Each page is loaded the three ways one after the other, the order turning each round, so a busy moment of the
// machine touches all alike. BENCH_LOADS (default 20) sets the loads per page, throttling and way.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { selfSigned } from '../demo/cert.mjs';
import { cdnFiles, writeRules } from './pages.mjs';
import { launch } from './measure.mjs';
import { launchBare } from './bare.mjs';
import { HOSTS, startSite } from './site.mjs';
import { PAGES, loadOnce } from './cost.mjs';
import { costSection, spread, table } from './report.mjs';

const LOADS = Number(process.env.BENCH_LOADS) || 20;
const THROTTLES = [1, 4];
/** What Playwright enables on each page (as its protocol log shows), besides Inspector, which is the browser's. */
const PLAYWRIGHT_DOMAINS = ['Page', 'Runtime', 'Network', 'Log'];
const LABELS = {
  bare: 'bare Chromium (bench/bare.mjs, as npm run bench now measures)',
  domains: "bare Chromium with Playwright's domains enabled",
  playwright: 'Playwright (as npm run bench measured before)',
};

const temp = await mkdtemp(path.join(os.tmpdir(), 'p13n-bench-'));
const rulesFile = path.join(temp, 'rules.json');
await writeRules(rulesFile);
const tls = selfSigned(HOSTS);
const fast = await startSite({ rttMs: 0, rulesFile, tls, files: cdnFiles() });
const bare = await launchBare({ spkiHash: tls.spkiHash });
const playwright = await launch({ spkiHash: tls.spkiHash });
const ways = {
  bare,
  domains: { open: (options) => bare.open({ ...options, domains: PLAYWRIGHT_DOMAINS }) },
  playwright,
};
const names = Object.keys(ways);
const results = Object.fromEntries(names.map((way) => [way, {}]));
process.stderr.write(`Chromium ${bare.version}, ${LOADS} loads per page, throttling and way\n`);

fast.server.emulator.setFault({ hang: true });
try {
  for (const throttle of THROTTLES) {
    for (const way of names) results[way][throttle] = Object.fromEntries(Object.keys(PAGES).map((name) => [name, []]));
    // one round more than counted, as in cost.mjs
    for (let round = -1; round < LOADS; round++) {
      for (const name of Object.keys(PAGES)) {
        const turn = (round + 1) % names.length;
        for (const way of [...names.slice(turn), ...names.slice(0, turn)]) {
          const run = await loadOnce({ browser: ways[way], fast }, name, { throttle, heap: throttle === 1 });
          if (round >= 0) results[way][throttle][name].push(run);
        }
      }
    }
    process.stderr.write(`${throttle}x CPU: done\n`);
  }
} finally {
  fast.server.emulator.clearFaults();
  await Promise.all([bare.close(), playwright.close()]);
  await fast.close();
  await rm(temp, { recursive: true, force: true });
}

const rows = [];
for (const throttle of THROTTLES) {
  for (const name of Object.keys(PAGES)) {
    rows.push([`${name}, ${throttle}x`, ...names.map((way) => spread(results[way][throttle][name].map((run) => run.task)))]);
  }
}
process.stdout.write(`## Whole page, TaskDuration, median (p25–p75)\n\n${table(['page, CPU throttling', ...names], rows)}\n`);
for (const way of names) process.stdout.write(`\n## The bench's table: ${LABELS[way]}\n\n${costSection(results[way])}\n`);
