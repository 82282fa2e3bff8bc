// What a tag costs a page before any answer comes: its bytes, and the main-thread time from parsing its script to
// issuing the request, with and without CPU throttling.
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { blankPage, floorPage, p13nPage, tdPage } from './pages.mjs';
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

/** The pages of the main-thread table: how each is built for its API origin. */
export const PAGES = {
  none: () => blankPage(),
  p13n: (api) => p13nPage({ api, until: 'request' }),
  // the same tag with its config on the script tag: no inline snippet to build a script element
  p13nAttr: (api) => p13nPage({ api, until: 'request', load: 'attribute' }),
  td: (api) => tdPage({ api, until: 'request' }),
  floor: (api) => floorPage({ api }),
};

/**
 * One load of page `name` in `browser` (anything whose `open()` gives `{ cdp, goto, close }`: bare.mjs's Chromium,
 * or Playwright's through launch() in measure.mjs), on the fast site with the API hanging every POST: the
 * main-thread milliseconds (busy()) from before the navigation to just after the POST reached the server, and with
 * `heap` the JS heap after a GC at that point.
 */
export async function loadOnce({ browser, fast }, name, { throttle = 1, heap = false } = {}) {
  const target = fast.prepare(PAGES[name]);
  const { cdp, goto, close } = await browser.open({ throttle, timeDomain: 'threadTicks' });
  try {
    const deadline = Date.now() + 10_000;
    const before = await metrics(cdp);
    fast.front.resetStats();
    await goto(target.url);
    if (name !== 'none' && !(await until(() => fast.front.stats.api.POST >= 1))) throw new Error(`${name}: no request`);
    // the task that called fetch() may still be finishing; and bare.mjs's goto() returns at the commit, not at
    // `load` as Playwright's does, so the page without a tag may not have been parsed yet: its DomContentLoaded
    // metric tells (these pages load nothing after it but the tag, whose POST has come)
    let after;
    do {
      await sleep(30 * throttle);
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

/**
 * Main-thread time until the request is issued, in the Chromium without Playwright (`bare`, see bare.mjs), so no
 * DevTools instrumentation inflates either tag. The API holds every POST unanswered (the emulator's `hang`
 * fault), so once the POST has reached the server nothing the tag does later (reading the answer, rendering) can
 * add to it: the time measured is the page's whole main-thread time (Performance.getMetrics, thread CPU time)
 * from the navigation until then, and the same for a page without a tag (`none`) is subtracted in the report.
 * The JS heap after a full GC, at that point, is "heap after init".
 */
export async function measureMainThread({ bare, fast }, loads, throttles = [1, 4]) {
  fast.server.emulator.setFault({ hang: true });
  const results = {};
  try {
    for (const throttle of throttles) {
      const runs = (results[throttle] = Object.fromEntries(Object.keys(PAGES).map((name) => [name, []])));
      // one round more than counted: the very first loads of a browser pay one-time costs
      for (let round = -1; round < loads; round++) {
        for (const name of Object.keys(PAGES)) {
          const run = await loadOnce({ browser: bare, fast }, name, { throttle, heap: throttle === 1 });
          if (round >= 0) runs[name].push(run);
        }
      }
    }
  } finally {
    fast.server.emulator.clearFaults();
  }
  return results;
}
