// What a tag costs a page before any answer comes: its bytes, and the main-thread time from parsing its script to
// issuing the request, with and without CPU throttling.
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { emptyScriptPage, floorPage, p13nPage, tdPage } from './pages.mjs';
import { ratioInterval, random, shuffled } from './interval.mjs';
import { busy, heapAfterGC, metrics, sleep, until } from './measure.mjs';

/** Raw, gzip -9 and brotli (quality 11, as CDNs serve static files) bytes of a file's contents. */
export function bytes(raw) {
  return {
    raw: raw.length,
    gzip: gzipSync(raw, { level: 9 }).length,
    brotli: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }).length,
  };
}

/** Both bundles' sizes, from the very bytes the bench serves (`cdnFiles()`). */
export const bundleBytes = (files) => ({ p13n: bytes(files['/cdn/p13n.min.js'].body), td: bytes(files['/cdn/td.min.js'].body) });

/**
 * Every page is measured over the same window: from before its navigation until WINDOW_MS (times the CPU
 * throttling) after it, or until 30 ms (times the throttling) after its POST reached the server, if that is later.
 * So the page without a tag is measured as long as a tagged one, and pays whatever happens in that time too.
 */
export const WINDOW_MS = 400;

/** The pages of the main-thread table: how each is built for its API origin. */
export const PAGES = {
  // the baseline: an empty async script (/cdn/empty.js) where the tags are, so the cost of an async script as
  // such (its element, request, load and execute tasks) is subtracted and only the tag's own work is left
  none: () => emptyScriptPage(),
  p13n: (api) => p13nPage({ api, until: 'request' }),
  // the same tag with its config on the script tag: no inline snippet to build a script element
  p13nAttr: (api) => p13nPage({ api, until: 'request', load: 'attribute' }),
  // the early snippet until its own request: its bundle is held back (the front never answers /cdn/held/), so
  // the window has the inline snippet's parse, compile and run and the POST, and nothing of the bundle
  early: (api) => p13nPage({ api, until: 'request', load: 'early', bundle: '/cdn/held/p13n.min.js' }),
  td: (api) => tdPage({ api, until: 'request' }),
  floor: (api) => floorPage({ api }),
};

/**
 * One load of page `name` in `browser` (anything whose `open()` gives `{ cdp, goto, close }`: bare.mjs's Chromium,
 * or Playwright's through launch() in measure.mjs), on the fast site with the API hanging every POST: the
 * main-thread milliseconds (busy()) from before the navigation to the end of its window (WINDOW_MS), and with
 * `heap` the JS heap after a GC at that point.
 */
export async function loadOnce({ browser, fast }, name, { throttle = 1, heap = false } = {}) {
  const target = fast.prepare(PAGES[name]);
  const { cdp, goto, close } = await browser.open({ throttle, timeDomain: 'threadTicks' });
  try {
    const deadline = Date.now() + 10_000;
    const before = await metrics(cdp);
    fast.front.resetStats();
    const end = Date.now() + WINDOW_MS * throttle;
    await goto(target.url);
    if (name !== 'none' && !(await until(() => fast.front.stats.api.POST >= 1))) throw new Error(`${name}: no request`);
    // the task that called fetch() may still be finishing; and bare.mjs's goto() returns at the commit, not at
    // `load` as Playwright's does, so a page may not have been parsed yet when the window ends: its
    // DomContentLoaded metric tells (then it waits on, 30 ms at a time)
    let after;
    do {
      await sleep(Math.max(30 * throttle, end - Date.now()));
      after = await metrics(cdp);
    } while (!(after.DomContentLoaded > after.NavigationStart) && Date.now() < deadline);
    if (!(after.DomContentLoaded > after.NavigationStart)) throw new Error(`${name}: not loaded`);
    const run = busy(before, after);
    if (heap) run.heap = await heapAfterGC(cdp);
    return run;
  } finally {
    await close();
    target.remove();
  }
}

/** The ratios the main-thread table is read for: each of p13n-tag's pages against td-js-sdk's. */
export const COMPARED = [['p13n', 'td'], ['p13nAttr', 'td'], ['early', 'td']];
/** An interval within ±5% of its ratio: a 10% change then shows as intervals that do not overlap. */
export const TARGET_HALF_WIDTH = 0.05;

/** Whether every ratio of COMPARED is known to TARGET_HALF_WIDTH from the rounds of `runs`. */
export const precise = (runs) => COMPARED.every(([a, b]) => ratioInterval(runs, a, b).halfWidth <= TARGET_HALF_WIDTH);

/**
 * Main-thread time until the request is issued, in the Chromium without Playwright (`bare`, see bare.mjs), so no
 * DevTools instrumentation inflates either tag. The API holds every POST unanswered (the emulator's `hang`
 * fault), so once the POST has reached the server nothing the tag does later (reading the answer, rendering) can
 * add to it: the time measured is the page's whole main-thread time (Performance.getMetrics, thread CPU time)
 * over its window (WINDOW_MS, see loadOnce). A round loads every page once, in an order shuffled per round, the
 * page with an empty async script (`none`) among them, which the report subtracts round by round (interval.mjs).
 * Rounds go on from `min` until every ratio of COMPARED is known to ±TARGET_HALF_WIDTH (95% bootstrap interval),
 * or until `max`. The JS heap after a full GC, at that point, is "heap after init". `plan`: per throttling rate,
 * `{ min, max }` rounds (`{ 1: { min: 20, max: 160 }, 4: ... }`), or one number of rounds for all.
 */
export async function measureMainThread({ bare, fast }, plan, throttles = [1, 4], progress = () => {}) {
  fast.server.emulator.setFault({ hang: true });
  const results = {};
  try {
    for (const throttle of throttles) {
      const runs = (results[throttle] = Object.fromEntries(Object.keys(PAGES).map((name) => [name, []])));
      const { min, max } = typeof plan === 'number' ? { min: plan, max: plan } : plan[throttle];
      const next = random(throttle);
      // one round more than counted: the very first loads of a browser pay one-time costs
      for (let round = -1; round < max; round++) {
        for (const name of shuffled(Object.keys(PAGES), next)) {
          const run = await loadOnce({ browser: bare, fast }, name, { throttle, heap: throttle === 1 });
          if (round >= 0) runs[name].push(run);
        }
        const done = round + 1;
        if (done >= min && (done == max || precise(runs))) break;
        if (done >= min && done % 10 == 0) progress(`${throttle}x: ${done} rounds, not yet within ±${TARGET_HALF_WIDTH * 100}%`);
      }
    }
  } finally {
    fast.server.emulator.clearFaults();
  }
  return results;
}
