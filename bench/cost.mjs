// What a tag costs a page before any answer comes: its bytes, and the main-thread time from parsing its script to
// issuing the request, with and without CPU throttling.
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { blankPage, floorPage, p13nPage, tdPage } from './pages.mjs';
import { busy, heapAfterGC, metrics, open, sleep, until } from './measure.mjs';

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
 * Main-thread time until the request is issued. The API holds every POST unanswered (the emulator's `hang`
 * fault), so once the POST has reached the server nothing the tag does later (reading the answer, rendering) can
 * add to it: the time measured is the page's whole main-thread time (Performance.getMetrics, thread CPU time)
 * from the navigation until then, and the same for a page without a tag (`none`) is subtracted in the report.
 * The JS heap after a full GC, at that point, is "heap after init".
 */
export async function measureMainThread({ browser, fast }, loads, throttles = [1, 4]) {
  const pages = {
    none: () => blankPage(),
    p13n: (api) => p13nPage({ api, until: 'request' }),
    td: (api) => tdPage({ api, until: 'request' }),
    floor: (api) => floorPage({ api }),
  };
  fast.server.emulator.setFault({ hang: true });
  const results = {};
  try {
    for (const throttle of throttles) {
      const runs = (results[throttle] = { none: [], p13n: [], td: [], floor: [] });
      // one round more than counted: the very first loads of a browser pay one-time costs
      for (let round = -1; round < loads; round++) {
        for (const [name, build] of Object.entries(pages)) {
          const target = fast.prepare(build);
          const { page, cdp, close } = await open(browser, { throttle, timeDomain: 'threadTicks' });
          try {
            const before = await metrics(cdp);
            fast.front.resetStats();
            await page.goto(target.url);
            if (name !== 'none' && !(await until(() => fast.front.stats.api.POST >= 1))) throw new Error(`${name}: no request`);
            // the task that called fetch() may still be finishing
            await sleep(30 * throttle);
            const after = await metrics(cdp);
            const run = busy(before, after);
            if (throttle === 1) run.heap = await heapAfterGC(cdp);
            if (round >= 0) runs[name].push(run);
          } finally {
            await close();
            target.remove();
          }
        }
      }
    }
  } finally {
    fast.server.emulator.clearFaults();
  }
  return results;
}
