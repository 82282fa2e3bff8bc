import { config, expect, tagLive, test, testPage, type LogEntry, type Tab } from './fixtures';
import { outboxEvents, storageKeys } from './pages';
import { CHROMIUM_LAUNCH } from './engines/chromium';

const PAGE = `<script src="{{TAG}}"></script><script>
  p13n('init', ${config({ pageview: false })});
</script>
<a id="next" href="/next">next page</a>
<button id="buy" onclick="p13n('track', { event: 'add_to_cart', product_id: '42' }); document.getElementById('next').click()">buy</button>`;

const tracked = (posts: () => LogEntry[], event: string) =>
  posts().filter((entry) => entry.body.event == event && entry.status == 200);
/** The events waiting in the tag's outbox for the emulator's table. */
const waiting = async (page: Tab, apiUrl: string) => (await outboxEvents(page, storageKeys(apiUrl).outbox)).length;

/** The same page in keyless first-party proxy mode: the demo server's own proxy at /p13n, remembering in memory. */
const PROXIED_PAGE = PAGE.replace(config({ pageview: false }), JSON.stringify({ database: 'demo_db', table: 'pageviews', endpoint: '/p13n', pageview: false }));

test.describe('track delivery through the first-party proxy', () => {
  // Direct mode cannot know what became of a request out as its page is left: it counts it delivered when the
  // page saw no trouble, and loses it if the service failed just then. Through the proxy nothing is counted
  // delivered: the next page sends it again at once, and the proxy forwards the uuid once. Each case: what goes
  // wrong, its fault, and how many attempts reach the service (the failed one and the resend; or one, the resend
  // answered by the proxy)
  for (const [what, fault, attempts] of [
    ['the service fails that instant', { status: 503, code: 9999, times: 1 }, 2],
    ['the answer is slow', { delayMs: 800, times: 1 }, 1],
  ] as const) {
    test(`track on a button, follow a link at once while ${what}: delivered once`, async ({ open, server, emulator, posts }) => {
      server.pages.set('/next', { headers: {}, body: testPage(server, '', PROXIED_PAGE) });
      const page = await open({ body: PROXIED_PAGE });
      await tagLive(page);
      emulator.setFault(fault);
      await page.click('#buy');
      await page.waitForFunction(() => location.pathname == '/next' && (window as any).p13n?.v);
      await expect.poll(() => tracked(posts, 'add_to_cart').length, { timeout: 10_000 }).toBe(1);
      await page.waitForTimeout(1500); // a second delivery would show up here
      expect(tracked(posts, 'add_to_cart')).toHaveLength(1);
      expect(posts().filter((entry) => entry.body.event == 'add_to_cart')).toHaveLength(attempts);
    });
  }
});

test.describe('track delivery', () => {
  test('track on a button, follow a link at once: delivered once', async ({ open, server, posts }) => {
    server.pages.set('/next', { headers: {}, body: testPage(server, '', PAGE) });
    const page = await open({ body: PAGE });
    await tagLive(page);
    await page.click('#buy');
    await page.waitForFunction(() => location.pathname == '/next' && (window as any).p13n?.v);
    await expect.poll(() => tracked(posts, 'add_to_cart').length).toBe(1);
    await page.waitForTimeout(1500); // the next page would resend here if it held a copy
    expect(tracked(posts, 'add_to_cart')).toHaveLength(1);
    expect(await waiting(page, server.apiUrl)).toBe(0);
  });

  // an https page has Web Locks, and the delivery module (in after a first track) stored each event under the lock:
  // a page left before the lock was granted lost the event, neither stored nor sent
  for (const secure of [false, true]) {
    test(`with the delivery module in, track on a button and follow a link at once: delivered once (${secure ? 'https' : 'http'})`, async ({ open, server, posts }) => {
      server.pages.set('/next', { headers: {}, body: testPage(server, '', PAGE, secure) });
      const page = await open({ body: PAGE, secure });
      await tagLive(page);
      // a first track settles once the delivery module is in
      await page.evaluate(() => (window as any).p13n('track', { event: 'first' }));
      await expect.poll(() => tracked(posts, 'first').length).toBe(1);
      await page.click('#buy');
      await page.waitForFunction(() => location.pathname == '/next' && (window as any).p13n?.v);
      await expect.poll(() => tracked(posts, 'add_to_cart').length, { timeout: 10_000 }).toBe(1);
      await page.waitForTimeout(1500); // the next page would resend here if it held a copy
      expect(tracked(posts, 'add_to_cart')).toHaveLength(1);
    });
  }

  test('the service is unreachable, the page reloads: every event arrives, none twice', async ({ open, emulator, server, posts }) => {
    const page = await open({ head: `<script src="{{TAG}}"></script><script>p13n('init', ${config({ pageview: false })})</script>` });
    await tagLive(page);
    // every connection dropped: a network error to the page, as an outage is
    emulator.setFault({ drop: true, forMs: 3000 });
    const results = await page.evaluate(() =>
      Promise.all([1, 2, 3].map((n) => (window as any).p13n('track', { event: 'outage_buy', n }))),
    );
    expect(results.map((result: any) => result.error.code)).toEqual(['network', 'network', 'network']);
    expect(await waiting(page, server.apiUrl)).toBe(3);
    // at once, before the first retry (0.5 s at the earliest), so the next page is the one that delivers them
    await page.reload();
    await expect.poll(() => tracked(posts, 'outage_buy').map((entry) => entry.body.n).sort(), { timeout: 20_000 }).toEqual([1, 2, 3]);
    await page.waitForTimeout(1500);
    expect(tracked(posts, 'outage_buy')).toHaveLength(3);
    expect(new Set(tracked(posts, 'outage_buy').map((entry) => entry.body.uuid)).size).toBe(3);
    await expect.poll(() => waiting(page, server.apiUrl)).toBe(0);
  });

  test('the network goes away, the page reloads: every event arrives, none twice', async ({ open, posts }) => {
    const page = await open({ head: `<script src="{{TAG}}"></script><script>p13n('init', ${config({ pageview: false })})</script>` });
    test.skip(!page.setOffline, 'WebDriver classic cannot take WebKit offline');
    await tagLive(page);
    await page.setOffline!(true);
    const results = await page.evaluate(() =>
      Promise.all([1, 2, 3].map((n) => (window as any).p13n('track', { event: 'offline_buy', n }))),
    );
    // the first was sent and failed; the delivery module cannot load offline, so one made while another is out
    // waits stored, unsent ('module'), and one made after it is sent by the core and fails ('network')
    expect(results[0].error.code).toBe('network');
    for (const result of results) expect(['network', 'module']).toContain(result.error.code);
    expect(results.every((result: any) => result.error.retryable)).toBe(true);
    await page.reload().catch(() => {}); // offline: the reload itself fails, as it would for a visitor
    await page.setOffline!(false);
    await page.reload();
    await expect.poll(() => tracked(posts, 'offline_buy').map((entry) => entry.body.n).sort()).toEqual([1, 2, 3]);
    await page.waitForTimeout(1500);
    expect(tracked(posts, 'offline_buy')).toHaveLength(3);
    expect(new Set(tracked(posts, 'offline_buy').map((entry) => entry.body.uuid)).size).toBe(3);
  });

  // An https site: Web Locks exist only in secure contexts, so this browser treats the test origin as one. On a
  // plain-http page the leases alone guard the outbox, and two tabs claiming at the same instant can both send.
  test('three tabs of one site share the outbox and never send one event twice (Chromium only: a secure-context flag)', async ({ playwright, posts, emulator, server }) => {
    const origin = `http://www.shop.test:${server.port}`;
    const browser = await playwright.chromium.launch({ ...CHROMIUM_LAUNCH, args: [...CHROMIUM_LAUNCH.args!, '--unsafely-treat-insecure-origin-as-secure=' + origin] });
    try {
      const context = await browser.newContext();
      server.pages.set('/tabs', {
        headers: {},
        body: `<script src="/dist/p13n.min.js"></script><script>p13n('init', ${config({ pageview: false }).replace('{{API}}', server.apiUrl)})</script>`,
      });
      emulator.setFault({ status: 503, forMs: 1500 });
      const first = await context.newPage();
      await first.goto(origin + '/tabs');
      await tagLive(first);
      expect(await first.evaluate(() => !!navigator.locks)).toBe(true);
      await first.evaluate(() => {
        for (let n = 0; n < 20; n++) (window as any).p13n('track', { event: 'two_tabs', n });
      });
      // two more tabs open while the first still has them waiting out their backoff
      for (let i = 0; i < 2; i++) await (await context.newPage()).goto(origin + '/tabs');
      // at least: a duplicate must fail below, naming itself, not as a count that skipped past 20 between polls
      await expect.poll(() => tracked(posts, 'two_tabs').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
      await first.waitForTimeout(2000);
      const ns = tracked(posts, 'two_tabs').map((entry) => `${entry.body.n} ${entry.body.uuid}`).sort();
      expect(ns.filter((n, i) => n == ns[i - 1]), 'events delivered twice').toEqual([]);
      expect(ns).toHaveLength(20);
    } finally {
      await browser.close();
    }
  });
});
