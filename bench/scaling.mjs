// How p13n-tag's costs grow: with the offers in a response, the attributes of an event, the events waiting in the
// outbox after an outage, and the route changes of a long-lived single-page app.
import { DATABASE, TABLE, p13nPage, blankPage } from './pages.mjs';
import { busy, heapAfterGC, marks, metrics, open, settled, sleep, until } from './measure.mjs';

/**
 * Responses with 1, 50 and 500 offers, each on a page with as many slots, plus one offer on a page with 500 slots
 * (the tag visits every slot on each render): the time from the response's last byte (Resource Timing) to the
 * `offers` handler, which runs once the tag has rendered the slots, and the JS heap after a GC once they show.
 */
export async function measureOffers({ browser, fast }, loads, cases = [[1, 1], [50, 50], [500, 500], [1, 500]]) {
  const results = Object.fromEntries(cases.map(([offers, slots]) => [`${offers}/${slots}`, []]));
  for (let round = 0; round < loads; round++) {
    for (const [offers, slots] of cases) {
      const target = fast.prepare((api) => p13nPage({ api, slots, config: { attributes: { bench_n: offers } } }));
      const { page, cdp, close } = await open(browser);
      try {
        await page.goto(target.url, { waitUntil: 'domcontentloaded' });
        await settled(page);
        const shown = await page.evaluate(() => document.querySelectorAll('[data-p13n-offer]:not([hidden])').length);
        if (shown !== offers) throw new Error(`${offers} offers: ${shown} slots shown`);
        const at = await marks(page);
        results[`${offers}/${slots}`].push({ offers, slots, render: at.offers - at.responseEnd, heap: await heapAfterGC(cdp) });
      } finally {
        await close();
        target.remove();
      }
    }
  }
  return results;
}

/** Attributes of about `size` bytes of JSON, shaped like a cart or a product list, built in the page. */
const BUILD_ATTRIBUTES = `function (size) {
  var items = [], json = 2;
  for (var i = 0; json < size; i++) {
    var item = { sku: 'SKU-' + (100000 + i), name: 'Product ' + i + ' in a catalog', price: 19.99 + i, qty: 1 + (i % 3), tags: ['sale', 'new'] };
    json += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return { bench_items: items };
}`;

/** Attribute payloads: the time from the page's personalize() call to the tag's fetch() (building the body). */
export async function measureAttributes({ browser, fast }, loads, sizes = [1024, 16 * 1024, 60_000]) {
  const results = Object.fromEntries(sizes.map((size) => [size, []]));
  for (let round = 0; round < loads; round++) {
    for (const size of sizes) {
      const script = `p13n('on', 'ready', function () {
  // a moment after init, as a page's own call would come: the tag is idle, the attributes are ready
  setTimeout(function () { var attrs = (${BUILD_ATTRIBUTES})(${size}); __bench.mark('call'); p13n('personalize', attrs) }, 50);
});`;
      const target = fast.prepare((api) => p13nPage({ api, config: { pageview: false }, until: 'request', script }));
      const { page, close } = await open(browser);
      try {
        fast.server.emulator.reset();
        await page.goto(target.url, { waitUntil: 'domcontentloaded' });
        await settled(page);
        const at = await marks(page);
        await until(() => fast.server.emulator.log.some((entry) => entry.method === 'POST'));
        const post = fast.server.emulator.log.find((entry) => entry.method === 'POST');
        results[size].push({ build: at.request - at.call, eventBytes: Buffer.byteLength(JSON.stringify(post.body)) });
      } finally {
        await close();
        target.remove();
      }
    }
  }
  return results;
}

/** The outbox's key: 'p13n:' + the request URL (src/seam.ts outboxKey). */
const outboxKey = (api) => `p13n:${api}/public/${DATABASE}/${TABLE}`;

/** The outbox's keys in the page's storage: its records (`key#id`) and a list under `key`. */
const storedKeys = (page, key) => page.evaluate((key) => Object.keys(localStorage).filter((name) => name.split('#')[0] === key), key);

/** How long after the last delivery the outbox may take to empty in storage before the bench stops waiting. */
export const EMPTY_WAIT_MS = 10_000;

/** `n` events as an outage leaves them in the outbox: never tried, all due. */
function outage(n) {
  const time = Math.floor(Date.now() / 1000) - 600;
  const at = Date.now() - 600_000;
  return Array.from({ length: n }, (_, i) => {
    const uuid = crypto.randomUUID();
    const body = JSON.stringify({ td_client_id: '9d6c1c4e-5d0e-4d8e-9a51-5ca1ab1e0000', event: 'add_to_cart', product_id: String(i), time, uuid });
    return { id: uuid, body, tries: 0, next: 0, lease: 0, at: at + i };
  });
}

/**
 * The storage writes that leave `events` in the outbox under `key`: as src/modules/delivery/outbox.ts stores
 * them, one record per event under `key#id` (`records`), or as versions before 0.2.0 did, one JSON list under
 * `key` (`list`), which the delivery module moves into records when it starts.
 */
const seedItems = (key, events, format) =>
  format === 'list' ? [[key, JSON.stringify(events.map(({ at, ...event }) => event))]] : events.map((event) => [`${key}#${event.id}`, JSON.stringify(event)]);

/**
 * An outbox of `n` events left by an outage, then a page load with the tag (`pageview: false`): the time until
 * the last one is delivered (2xx at the API) and until the outbox is empty in storage, how many came (the outbox
 * keeps at most 200 events / 256 KiB when it adds), and the main-thread time from the navigation until then, less
 * that of the same page with an empty outbox (n = 0). `plan` is [n, loads, format] rows (format `records`, the
 * default, or `list`, see seedItems); the results are keyed `n` (records) or `n list`.
 */
export async function measureOutbox({ browser, net }, plan) {
  net.server.pages.set('/bench/seed', { body: blankPage() });
  const label = ([n, , format]) => (format === 'list' ? `${n} list` : String(n));
  const results = Object.fromEntries(plan.map((row) => [label(row), []]));
  const rounds = Math.max(...plan.map(([, loads]) => loads));
  for (let round = 0; round < rounds; round++) {
    for (const row of plan) {
      const [n, loads, format] = row;
      if (round >= loads) continue;
      const target = net.prepare((api) => p13nPage({ api, config: { pageview: false }, until: 'none' }));
      const key = outboxKey(target.api);
      const { page, cdp, close } = await open(browser, { timeDomain: 'threadTicks' });
      try {
        // seeded from the page's own origin: localStorage is per origin
        await page.goto(target.origin + '/bench/seed');
        await page.evaluate((items) => items.forEach(([name, value]) => localStorage.setItem(name, value)), seedItems(key, outage(n), format));
        const before = await metrics(cdp);
        net.front.resetStats();
        net.server.emulator.reset();
        const start = Date.now();
        await page.goto(target.url);
        // delivered: the API answered 2xx for every event; or nothing more came for 15 s (a long outbox drains in
        // bursts), or a minute went by
        let seen = -1;
        let changed = Date.now();
        await until(() => {
          const ok = net.front.stats.api.ok;
          if (ok !== seen) (seen = ok), (changed = Date.now());
          return ok >= n || Date.now() - changed > 15_000;
        }, 60_000);
        const stats = structuredClone(net.front.stats);
        // then the outbox empties in storage (removals trail the answers): a light poll, no parsing, at most 10 s
        let emptyAt = NaN;
        await until(async () => {
          const length = (await storedKeys(page, key)).length;
          if (length === 0) emptyAt = Date.now();
          return length === 0;
        }, n ? EMPTY_WAIT_MS : 500, 100);
        const after = await metrics(cdp);
        const left = await page.evaluate(
          (names) => names.reduce((sum, name) => sum + (name.includes('#') ? 1 : JSON.parse(localStorage.getItem(name) || '[]').length), 0),
          await storedKeys(page, key),
        );
        results[label(row)].push({
          delivered: stats.api.ok,
          preflights: stats.api.OPTIONS,
          left,
          duplicates: net.server.emulator.log.filter((entry) => entry.duplicate).length,
          delivery: n ? stats.lastOkAt - start : 0,
          empty: emptyAt - start,
          ...busy(before, after),
        });
      } finally {
        await close();
        target.remove();
      }
    }
  }
  return results;
}

/**
 * A single-page app that changes route `total` times (history.pushState, then a wait of `gapMs`, longer than the
 * tag's 50 ms settle time, so each change is one page view). The JS heap after a GC at each checkpoint, and the
 * main-thread time per route change in between.
 */
export async function measureSpa({ browser, fast }, { checkpoints = [0, 250, 500, 1000], gapMs = 60 } = {}) {
  const target = fast.prepare((api) => p13nPage({ api, config: { spa: true } }));
  const { page, cdp, close } = await open(browser, { timeDomain: 'threadTicks' });
  const points = [];
  try {
    fast.front.resetStats();
    fast.server.emulator.reset();
    await page.goto(target.url, { waitUntil: 'domcontentloaded' });
    await settled(page);
    let routes = 0;
    for (const checkpoint of checkpoints) {
      const before = await metrics(cdp);
      await page.evaluate(
        async ([from, to, gap]) => {
          for (let i = from; i < to; i++) {
            history.pushState(null, '', '/bench/route-' + i);
            await new Promise((resolve) => setTimeout(resolve, gap));
          }
        },
        [routes, checkpoint, gapMs],
      );
      const views = checkpoint + 1; // the first page view, then one per route
      if (!(await until(() => fast.front.stats.api.ok >= views, 30_000))) {
        throw new Error(`spa: ${fast.front.stats.api.ok} of ${views} page views answered`);
      }
      await sleep(100);
      const after = await metrics(cdp);
      points.push({ routes: checkpoint, heap: await heapAfterGC(cdp), ...busy(before, after), posts: fast.front.stats.api.POST });
      routes = checkpoint;
    }
  } finally {
    await close();
    target.remove();
  }
  return points;
}

/**
 * Route change → offers in a single-page app (`spa: true`): from `history.pushState` to the `p13n:offers` of that
 * route, which includes the tag's 50 ms settle and its wait for the route's title. Two apps: one that sets each
 * route's title `titleAfterMs` after the URL (as React Router and Turbo do), and one whose title never changes,
 * measured on its first route (the tag waits for a title once) and its second (it no longer waits).
 */
export async function measureSpaRoutes({ browser, fast }, loads, { routes = 10, titleAfterMs = 50 } = {}) {
  const results = { titled: [], untitledFirst: [], untitledSecond: [] };
  const run = (page, count, titleAfter) =>
    page.evaluate(
      async ([count, titleAfter]) => {
        const times = [];
        for (let i = 0; i < count; i++) {
          const offers = new Promise((resolve) => document.addEventListener('p13n:offers', resolve, { once: true }));
          const start = performance.now();
          history.pushState(null, '', '/bench/route-' + i + '-' + Math.random().toString(36).slice(2));
          if (titleAfter >= 0) setTimeout(() => (document.title = 'Route ' + i), titleAfter);
          await offers;
          times.push(performance.now() - start);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return times;
      },
      [count, titleAfter],
    );
  for (let round = 0; round < loads; round++) {
    const target = fast.prepare((api) => p13nPage({ api, config: { spa: true } }));
    const { page, close } = await open(browser);
    try {
      await page.goto(target.url, { waitUntil: 'domcontentloaded' });
      await settled(page);
      const [first, second] = await run(page, 2, -1);
      results.untitledFirst.push(first);
      results.untitledSecond.push(second);
      await page.goto(target.url, { waitUntil: 'domcontentloaded' });
      await settled(page);
      results.titled.push(...(await run(page, round ? 2 : routes, titleAfterMs)));
    } finally {
      await close();
      target.remove();
    }
  }
  return results;
}
