// `npm run bench`: p13n-tag (dist/p13n.min.js as built) and td-js-sdk side by side, in one Node process and one
// Chromium (a second one without Playwright for the main-thread and time-to-offers tables, see bare.mjs), against the demo's
// Personalization API emulator; prints the tables and writes bench/RESULTS.md.
//
// BENCH_RESULTS_JSON, a file name, keeps the raw measurements there too. BENCH_LOADS (default 20) sets the page
// loads per measurement, and the main-thread table's least rounds (half as many, at least 1, under 4x CPU
// throttling, whose window is 1.6 s a load); BENCH_MAX_ROUNDS (default 160 at 1x, 30 at 4x) the most rounds it takes
// while a ratio's interval is wider than ±5% (cost.mjs); BENCH_EARLY_LOADS (default half of BENCH_LOADS) the loads of
// each of the early snippet's rows (network.mjs), BENCH_SCALING_LOADS (default 10) those of the scaling runs and
// BENCH_SPA_ROUTES (default 1000) the route changes, for a quicker look while working on the bench.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { selfSigned } from '../demo/cert.mjs';
import { cdnFiles, writeRules, P13N_BUNDLE, TD_VERSION } from './pages.mjs';
import { launch } from './measure.mjs';
import { launchBare } from './bare.mjs';
import { HOSTS, startSite } from './site.mjs';
import { bundleBytes, measureMainThread, WINDOW_MS } from './cost.mjs';
import { measureNetwork, QUIET_MS } from './network.mjs';
import { EMPTY_WAIT_MS, measureAttributes, measureOffers, measureOutbox, measureSpa, measureSpaRoutes } from './scaling.mjs';
import * as report from './report.mjs';

const LOADS = Number(process.env.BENCH_LOADS) || 20;
const EARLY_LOADS = Math.min(LOADS, Number(process.env.BENCH_EARLY_LOADS) || Math.max(1, Math.round(LOADS / 2)));
/**
 * Main-thread rounds (every page loaded once each) per CPU throttling rate: at least `min`, and on until each ratio
 * is known to ±5%, or `max`. The 4x window is 1.6 s (cost.mjs WINDOW_MS) and its loads spread far more: 30 rounds
 * take some 6 minutes and narrow it to about ±15%, not to ±5% (bench/RESULTS.md says how far each run got).
 */
const MAX_ROUNDS = Number(process.env.BENCH_MAX_ROUNDS) || 0;
const COST_ROUNDS = {
  1: { min: LOADS, max: Math.max(LOADS, MAX_ROUNDS || 160) },
  4: { min: Math.max(1, Math.round(LOADS / 2)), max: Math.max(1, Math.round(LOADS / 2), MAX_ROUNDS || 30) },
};
const SCALING_LOADS = Number(process.env.BENCH_SCALING_LOADS) || 10;
const OUTBOX_LOADS = Math.max(1, Math.round(SCALING_LOADS / 3));
/** Events seeded, loads, and how: records as this version keeps them, and once 1000 in the list 0.1 kept. */
const OUTBOX_PLAN = [[0, OUTBOX_LOADS], [10, OUTBOX_LOADS], [100, OUTBOX_LOADS], [1000, 1], [1000, 1, 'list']];
const SPA_ROUTES = Number(process.env.BENCH_SPA_ROUTES) || 1000;
/** When the single-page app of the route-change table sets each route's title, after the URL. */
const SPA_TITLE_AFTER_MS = 50;
/** The round-trip time of the "network" site: every hop, browser to site, browser to API, site to API. */
const RTT_MS = 40;

const began = Date.now();
const loadBefore = os.loadavg()[0];
const progress = (text) => process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);

/** Which p13n-tag was measured: the bundle's hash and time, and the commit it was built on. */
function provenance(bundle) {
  const git = (...args) => {
    try {
      const options = { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] };
      return execFileSync('git', args, options).trim();
    } catch {
      return '';
    }
  };
  const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 12);
  const commit = git('rev-parse', '--short', 'HEAD');
  const changed = git('status', '--porcelain', '--', 'src', 'dist');
  return `dist/p13n.min.js of ${statSync(P13N_BUNDLE).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC ` +
    `(sha256 ${hash}…)` + (commit ? `, on commit ${commit}${changed ? ' with uncommitted changes to src/ or dist/' : ''}` : '');
}

// read once: dist/ may be rebuilt while the bench runs, and both sites must serve, and the tables describe, one build
const files = cdnFiles();
const tag = provenance(files['/cdn/p13n.min.js'].body);
const temp = await mkdtemp(path.join(os.tmpdir(), 'p13n-bench-'));
const rulesFile = path.join(temp, 'rules.json');
await writeRules(rulesFile);
const tls = selfSigned(HOSTS);
const fast = await startSite({ rttMs: 0, rulesFile, tls, files });
const net = await startSite({ rttMs: RTT_MS, rulesFile, tls, files });
const browser = await launch({ spkiHash: tls.spkiHash });
const env = { browser, fast, net };

let results;
try {
  progress(`Chromium ${browser.version}; ${LOADS} loads per measurement (main thread: ${COST_ROUNDS[1].min} to ${COST_ROUNDS[1].max} rounds, ${COST_ROUNDS[4].min} to ${COST_ROUNDS[4].max} at 4x; ${EARLY_LOADS} per early-snippet row), ${SCALING_LOADS} per scaling run`);
  const sizes = bundleBytes(files);
  const bare = await launchBare({ spkiHash: tls.spkiHash });
  let cost, network;
  try {
    progress('main-thread cost (no throttling, 4x CPU throttling), in a Chromium without Playwright (bare.mjs)');
    cost = await measureMainThread({ ...env, bare }, COST_ROUNDS, [1, 4], progress);
    progress(`time to offers, latency levers and the early snippet (RTT ${RTT_MS} ms), in the same Chromium`);
    network = await measureNetwork({ ...env, bare }, LOADS, EARLY_LOADS);
  } finally {
    await bare.close();
  }
  progress('scaling: offers per response');
  const offers = await measureOffers(env, SCALING_LOADS);
  progress('scaling: attribute payloads');
  const attributes = await measureAttributes(env, SCALING_LOADS);
  progress(`scaling: outbox after an outage (${OUTBOX_LOADS} load(s) each, one for 1000 events and one for 1000 in a 0.1 list)`);
  const outbox = await measureOutbox(env, OUTBOX_PLAN);
  progress(`scaling: ${SPA_ROUTES} single-page-app route changes`);
  const spa = await measureSpa(env, { checkpoints: [0, SPA_ROUTES / 4, SPA_ROUTES / 2, SPA_ROUTES] });
  progress('single-page app: route change → offers');
  const spaRoutes = await measureSpaRoutes(env, SCALING_LOADS, { titleAfterMs: SPA_TITLE_AFTER_MS });
  results = { sizes, cost, network, offers, attributes, outbox, spa, spaRoutes, chromium: browser.version };
} finally {
  await browser.close();
  await Promise.all([fast.close(), net.close()]);
  await rm(temp, { recursive: true, force: true });
}

const cpus = os.cpus();
const meta = {
  tag,
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  machine: `${os.type()} ${os.release()} (${os.arch()}), ${cpus[0]?.model?.trim() || 'unknown CPU'} × ${cpus.length}, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  load: [loadBefore, os.loadavg()[0]],
  loads: LOADS,
  earlyLoads: EARLY_LOADS,
  costRounds: COST_ROUNDS,
  windowMs: WINDOW_MS,
  floorGoalMs: report.FLOOR_GOAL_MS,
  quietMs: QUIET_MS,
  scalingLoads: SCALING_LOADS,
  outboxLoads: OUTBOX_LOADS,
  spaRoutes: SPA_ROUTES,
  spaTitleAfterMs: SPA_TITLE_AFTER_MS,
  rttMs: RTT_MS,
  emptyWaitMs: EMPTY_WAIT_MS,
  tdVersion: TD_VERSION,
  seconds: Math.round((Date.now() - began) / 1000),
};
// BENCH_RESULTS_JSON=file keeps the raw measurements too (to rework report.mjs on them without measuring again)
if (process.env.BENCH_RESULTS_JSON) await writeFile(process.env.BENCH_RESULTS_JSON, JSON.stringify({ results, meta }));
const markdown = report.document(results, meta);
process.stdout.write(markdown);
await writeFile(new URL('./RESULTS.md', import.meta.url), markdown);
progress('done: bench/RESULTS.md written');
