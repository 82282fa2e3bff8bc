import { call, config, expect, test, waitForPosts, type LogEntry } from './fixtures';
import { storageKeys, tagKeys, tdCookies } from './pages';

/** The tag loaded by a plain script tag, so `p13n(...)` returns its promise at once; `seen` logs the events. */
const tagPage = (init: string, body = '') => ({
  head: `<script src="{{TAG}}"></script><script>
    window.seen = [];
    document.addEventListener('p13n:ready', function (e) { seen.push({ type: 'ready', clientId: e.detail.clientId }) });
    document.addEventListener('p13n:offers', function (e) { seen.push({ type: 'offers', uuid: e.detail.uuid }) });
    ${init}
  </script>`,
  body,
});

const GPC = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });

const byUuid = (posts: LogEntry[], uuid: string) => posts.find((entry) => entry.body.uuid == uuid)!;

test.describe('consent', () => {
  test('pending holds everything and writes no cookie; granted sends it in call order with its own page and time', async ({ open, tab: page, posts }) => {
    // the order in which the page handed requests to fetch: what "goes out in call order" means in a browser,
    // where parallel requests (each with its own CORS preflight) may reach the server in any order
    await page.addInitScript(() => {
      const original = window.fetch;
      (window as any).fetched = [];
      window.fetch = function (this: unknown, _input: RequestInfo | URL, init?: RequestInit) {
        try {
          if (init && typeof init.body == 'string') (window as any).fetched.push(JSON.parse(init.body).uuid);
        } catch {}
        return original.apply(this, arguments as unknown as [RequestInfo]);
      } as typeof fetch;
    });
    await open(tagPage(`p13n('init', ${config({ consent: 'pending' })});`));
    const calledAt = await page.evaluate(() => {
      const w = window as any;
      w.results = [];
      w.p13n('track', { event: 'held_track' }).then((r: unknown) => (w.results[0] = r));
      // a single-page app changes route: the next call is made on another page, and must say so when sent
      history.pushState(null, '', '/test/second');
      w.p13n('personalize', { held: 'personalize' }).then((r: unknown) => (w.results[1] = r));
      return Date.now();
    });
    // long enough that anything sent would have arrived, and that "now" is another second than the calls'
    await page.waitForTimeout(1100);
    expect(posts()).toEqual([]);
    expect(await tdCookies(page)).toEqual([]);
    expect(await tagKeys(page)).toEqual([]); // held in memory, not in the outbox
    expect(await page.evaluate(() => (window as any).fetched)).toEqual([]);
    expect(await page.evaluate(() => (window as any).results)).toEqual([]);
    expect(await call(page, 'clientId')).toBeUndefined();
    expect(await page.evaluate(() => (window as any).seen)).toEqual([{ type: 'ready', clientId: undefined }]);

    const grantedAt = Date.now();
    expect(await call(page, 'consent', 'granted')).toEqual({ ok: true });
    await waitForPosts(posts, 3);
    await expect.poll(() => page.evaluate(() => (window as any).results.filter(Boolean).length)).toBe(2);
    const [track, personalize] = await page.evaluate(() => (window as any).results);
    expect(track).toMatchObject({ ok: true, status: 200, offers: {} });
    expect(personalize).toMatchObject({ ok: true, status: 200 });

    const all = posts();
    expect(all).toHaveLength(3);
    const pageview = all.find((entry) => entry.body.event == null && entry.body.held == null)!.body;
    const tracked = byUuid(all, track.uuid).body;
    const personalized = byUuid(all, personalize.uuid).body;
    expect(pageview.td_path).toBe('/test');
    expect(tracked).toMatchObject({ event: 'held_track', td_path: '/test' });
    expect(personalized).toMatchObject({ held: 'personalize', td_path: '/test/second' });
    // call order: the page view (made by init), the track, the personalize. A track goes through the outbox
    // (stored first, then sent), so without care it reaches fetch after a personalize called after it. Soft, so
    // the rest is still checked when it fails
    expect.soft(await page.evaluate(() => (window as any).fetched), 'the order the held calls were handed to fetch').toEqual([
      pageview.uuid,
      track.uuid,
      personalize.uuid,
    ]);
    // each keeps the time it was made at, not the time consent came
    for (const body of [pageview, tracked, personalized]) {
      expect(body.time).toBeLessThanOrEqual(Math.floor(calledAt / 1000));
      expect(body.time).toBeLessThan(Math.floor(grantedAt / 1000));
    }
    // the page view's offers event names the uuid that was sent
    expect(await page.evaluate(() => (window as any).seen.filter((e: any) => e.type == 'offers').map((e: any) => e.uuid))).toContain(
      pageview.uuid,
    );

    const cookies = await tdCookies(page);
    expect(cookies).toHaveLength(1);
    expect(cookies[0].domain).toBe('.shop.test');
    for (const body of [pageview, tracked, personalized]) expect(body.td_client_id).toBe(cookies[0].value);
    expect(await call(page, 'clientId')).toBe(cookies[0].value);
  });

  test('at most 30 calls are held: the oldest resolve dropped, the rest go out on grant', async ({ open, tab: page, posts }) => {
    await open(tagPage(`p13n('init', ${config({ consent: 'pending', pageview: false })});`));
    await page.evaluate(() => {
      const w = window as any;
      w.results = [];
      for (let n = 0; n < 32; n++) w.p13n('personalize', { n }).then((r: unknown) => (w.results[n] = r));
    });
    await expect.poll(() => page.evaluate(() => (window as any).results.filter(Boolean).length)).toBe(2);
    const results = await page.evaluate(() => (window as any).results);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'dropped' } });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'dropped' } });
    expect(posts()).toEqual([]);
    await call(page, 'consent', 'granted');
    await expect.poll(() => posts().length).toBe(30);
    expect(posts().map((entry) => entry.body.n).sort((a: any, b: any) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    await page.waitForTimeout(200);
    expect(posts()).toHaveLength(30);
  });

  test('denied at init sends nothing and removes the cookie and the outbox an earlier granted page left', async ({ open, tab: page, emulator, server, posts }) => {
    // an earlier visit with consent: the _td cookie, and a track the service failed, waiting in the outbox
    // Retry-After keeps this page from sending it again before the next page opens
    emulator.setFault({ status: 503, forMs: 60_000, retryAfter: 60 });
    await open(tagPage(`p13n('init', ${config({ pageview: false })});`));
    const undelivered = await call(page, 'track', { event: 'undelivered' });
    expect(undelivered).toMatchObject({ ok: false, error: { code: 9999, retryable: true } });
    const keys = storageKeys(server.apiUrl);
    // the cookie's domain, found once, and the outbox's record of the event
    expect(await tagKeys(page)).toEqual(['p13n:domain', `${keys.outbox}#${undelivered.uuid}`]);
    expect((await tdCookies(page)).map((cookie) => cookie.domain)).toEqual(['.shop.test']);
    // and a host-only one, as an older tag version or td-js-sdk with another cookie domain might have left
    await page.evaluate(() => (document.cookie = '_td=0b7c8a52-9f7e-4c7a-a1a2-3b4c5d6e7f80; path=/; max-age=3600'));
    expect(await tdCookies(page)).toHaveLength(2);
    emulator.clearFaults();
    const before = posts().length;

    // the next page of the site: the visitor has said no
    await open(
      tagPage(
        `p13n('init', ${config({ consent: 'denied' })});
        window.results = Promise.all([p13n('personalize', { n: 1 }), p13n('track', { event: 'after_denial' })]);`,
      ),
    );
    const results = await page.evaluate(() => (window as any).results);
    expect(results).toMatchObject([
      { ok: false, error: { code: 'consent' }, offers: {} },
      { ok: false, error: { code: 'consent' }, offers: {} },
    ]);
    // a granted page would send the outbox's event at once, and its page view
    await page.waitForTimeout(800);
    expect(posts()).toHaveLength(before);
    expect(await tdCookies(page)).toEqual([]);
    expect(await tagKeys(page)).toEqual([]);
    expect(await call(page, 'clientId')).toBeUndefined();
    expect(await page.evaluate(() => (window as any).seen)).toEqual([{ type: 'ready', clientId: undefined }]);
    expect(await tdCookies(page)).toEqual([]); // reading the id wrote none
  });

  test('granted, then denied later: the cookie and the outbox go, nothing more is sent', async ({ open, tab: page, emulator, server, posts }) => {
    await open(tagPage(`p13n('init', ${config()});`));
    await waitForPosts(posts, 1);
    const id = (await tdCookies(page))[0]?.value;
    expect(id).toBe(posts()[0].body.td_client_id);
    emulator.setFault({ status: 503, forMs: 60_000 });
    const retried = await call(page, 'track', { event: 'will_retry' });
    expect(retried).toMatchObject({ ok: false, error: { code: 9999 } });
    expect(await tagKeys(page)).toEqual(['p13n:domain', `${storageKeys(server.apiUrl).outbox}#${retried.uuid}`]);
    // the service is well again: the outbox would deliver the event on its next try (within a second)
    emulator.clearFaults();
    expect(await call(page, 'consent', 'denied')).toEqual({ ok: true });
    expect(await tdCookies(page)).toEqual([]);
    expect(await tagKeys(page)).toEqual([]);
    expect(await call(page, 'clientId')).toBeUndefined();
    expect(await call(page, 'personalize')).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(await call(page, 'track', { event: 'after' })).toMatchObject({ ok: false, error: { code: 'consent' } });
    await page.waitForTimeout(1500);
    expect(posts().map((entry) => entry.body.event ?? 'pageview')).toEqual(['pageview', 'will_retry']);
    expect(await tdCookies(page)).toEqual([]);
    expect(await tagKeys(page)).toEqual([]);
  });

  test('Global Privacy Control with respectGPC: nothing sent, no cookie, a grant is refused', async ({ open, tab: page, posts }) => {
    await page.addInitScript(GPC);
    await open(tagPage(`p13n('init', ${config({ respectGPC: true })});`));
    expect(await page.evaluate(() => (navigator as any).globalPrivacyControl)).toBe(true);
    expect(await call(page, 'consent', 'granted')).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(await call(page, 'personalize')).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(await call(page, 'clientId')).toBeUndefined();
    await page.waitForTimeout(500);
    expect(posts()).toEqual([]);
    expect(await tdCookies(page)).toEqual([]);
    expect(await page.evaluate(() => (window as any).seen)).toEqual([{ type: 'ready', clientId: undefined }]);
  });

  test('Global Privacy Control without respectGPC: sent as usual', async ({ open, tab: page, posts }) => {
    await page.addInitScript(GPC);
    await open(tagPage(`p13n('init', ${config({ respectGPC: false })});`));
    expect(await page.evaluate(() => (navigator as any).globalPrivacyControl)).toBe(true);
    const [pageview] = await waitForPosts(posts, 1);
    expect((await tdCookies(page))[0]?.value).toBe(pageview.body.td_client_id);
    expect(await call(page, 'clientId')).toBe(pageview.body.td_client_id);
  });

  test('a returning visitor who accepted earlier: the stored choice is passed at init and the page view goes at once', async ({ open, tab: page, posts }) => {
    await open(
      tagPage(
        `var settings = ${config()};
        settings.consent = localStorage.getItem('choice') || 'pending';
        p13n('init', settings);`,
        `<button id="accept" onclick="localStorage.setItem('choice', 'granted'); p13n('consent', 'granted')">Accept</button>`,
      ),
    );
    await page.waitForTimeout(400);
    expect(posts()).toEqual([]);
    expect(await tdCookies(page)).toEqual([]);
    await page.click('#accept');
    const [first] = await waitForPosts(posts, 1);
    expect((await tdCookies(page))[0]?.value).toBe(first.body.td_client_id);

    const reloaded = Date.now();
    await page.reload();
    const [, second] = await waitForPosts(posts, 2);
    expect(second.t - reloaded).toBeLessThan(2000); // with no consent call: pending would send nothing, ever
    expect(second.body.td_client_id).toBe(first.body.td_client_id);
    expect(second.body.uuid).not.toBe(first.body.uuid);
    expect(await page.evaluate(() => (window as any).seen[0])).toEqual({ type: 'ready', clientId: first.body.td_client_id });
  });
});
