// The browser side of the benchmark: one Chromium, and the Chrome DevTools Protocol for what a page cannot see of
// itself.
//
// One regular (not incognito) profile: Chromium ignores <link rel="preconnect"> in incognito contexts, which are
// what Playwright's browser.newContext() makes, and a preconnect hint is one of the levers measured. A page load
// still starts from nothing: each uses host names of its own (sN.shop.test, aN.api.test, see run.mjs), so no
// connection, preflight cache entry, HTTP or code cache entry, or storage carries over, and cookies are cleared
// before each. Only a "warm" load reuses the hosts of the load before it, on purpose.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';

/** Debian's Chromium unless CHROMIUM_PATH says otherwise (an empty one: Playwright's own, where installed). */
export async function launch({ spkiHash }) {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const profile = await mkdtemp(path.join(os.tmpdir(), 'p13n-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executablePath || undefined,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      // the pages' sites and the API are other origins (real CORS preflights), all served on this machine
      '--host-resolver-rules=MAP *.test 127.0.0.1',
      // trust the bench's own certificate, and nothing else (see demo/cert.mjs)
      `--ignore-certificate-errors-spki-list=${spkiHash}`,
    ],
  });
  const first = context.pages()[0] || (await context.newPage());
  const { product } = await (await context.newCDPSession(first)).send('Browser.getVersion');
  const browser = {
    context,
    version: product.replace(/^\w+\//, ''),
    /** open() below, as a method, the way bare.mjs's browser has it (cost.mjs takes either). */
    open: (options) => open(browser, options),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
  return browser;
}

/**
 * A new page (no cookies), with a CDP session that has the Performance domain on (`timeDomain` 'threadTicks':
 * durations in the main thread's CPU time, which other processes on the machine do not inflate) and, when
 * `throttle` > 1, the CPU slowed down that many times (Emulation.setCPUThrottlingRate, DevTools' "4x slowdown").
 */
export async function open(browser, { throttle = 1, timeDomain = 'timeTicks' } = {}) {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain });
  if (throttle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  return { page, cdp, goto: (url) => page.goto(url), close: () => page.close() };
}

/**
 * Performance.getMetrics as { name: value }. Durations are cumulative seconds of the page's main thread:
 * TaskDuration every task (HTML parsing, script compile and run, promise callbacks, style, layout, GC, IPC ...),
 * ScriptDuration the JavaScript entered from a script or a callback (event, timer), but not promise callbacks
 * (microtasks), so it undercounts promise-heavy code. JSHeapUsedSize is bytes.
 */
export async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map(({ name, value }) => [name, value]));
}

/** Main-thread milliseconds between two metrics snapshots. */
export const busy = (before, after) => ({
  script: (after.ScriptDuration - before.ScriptDuration) * 1000,
  task: (after.TaskDuration - before.TaskDuration) * 1000,
});

/** JS heap in use after a full garbage collection, in bytes. */
export async function heapAfterGC(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await metrics(cdp)).JSHeapUsedSize;
}

/**
 * The page's bench:* marks (ms since navigation start), the API response's end (Resource Timing), the HTML
 * response's end (`html`, Navigation Timing), and when the tag's bundle was requested and in (`bundleStart`,
 * `bundleEnd`; `bundleConnect` the ms spent opening a connection for it, 0 on one already open).
 */
export function marks(page) {
  return page.evaluate(() => {
    const out = {};
    for (const mark of performance.getEntriesByType('mark')) out[mark.name.replace('bench:', '')] = mark.startTime;
    const api = performance.getEntriesByType('resource').filter((entry) => entry.initiatorType == 'fetch' && /\/pageviews$/.test(entry.name));
    if (api.length) out.responseEnd = api[api.length - 1].responseEnd;
    const [navigation] = performance.getEntriesByType('navigation');
    if (navigation) out.html = navigation.responseEnd;
    const bundle = performance.getEntriesByType('resource').find((entry) => /\/(p13n|td)\.min\.js$/.test(entry.name));
    if (bundle) Object.assign(out, { bundleStart: bundle.startTime, bundleEnd: bundle.responseEnd, bundleConnect: bundle.connectEnd - bundle.domainLookupStart });
    return out;
  });
}

/** Waits for the page's `__bench.promise`; throws what a tag reported, or after `timeout` ms. */
export async function settled(page, timeout = 10_000) {
  const outcome = await page.evaluate(
    (ms) => Promise.race([window.__bench.promise, new Promise((resolve) => setTimeout(resolve, ms, 'timeout'))]),
    timeout,
  );
  if (outcome !== 'ok') throw new Error(`${page.url()}: ${outcome}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `test` (which may be async) every `every` ms until it is true; false after `timeout` ms. */
export async function until(test, timeout = 10_000, every = 5) {
  const end = Date.now() + timeout;
  while (!(await test())) {
    if (Date.now() > end) return false;
    await sleep(every);
  }
  return true;
}

// ---- statistics ----

export function quantile(values, q) {
  // a typed array sorts numbers as numbers, and fast (the proxy bench has ~100,000 latencies a target)
  const sorted = Float64Array.from(values.filter((v) => Number.isFinite(v))).sort();
  if (!sorted.length) return NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}
export const median = (values) => quantile(values, 0.5);
