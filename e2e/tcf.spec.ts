import { bundle } from './apps/bundle';
import { call, config, expect, test, waitForPosts } from './fixtures';
import { tdCookies } from './pages';
import type { Tab } from './engines/tab';
import { VENDOR_ID } from '../src/modules/tcf/cmp.testing';

// consent: 'tcf' against IAB Tech Lab's own code: @iabtechlabtcf/stub installs __tcfapi and its locator frame as a
// CMP's snippet does, @iabtechlabtcf/cmpapi answers as a CMP's bundle does, @iabtechlabtcf/core encodes the choice
const ENTRY = new URL('./apps/cmp.ts', import.meta.url).pathname;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  await bundle(ENTRY, 'production');
});

/** The CMP's script, served on the site; `startCmp()` in the page is its bundle arriving. */
async function serveCmp(server: { pages: Map<string, unknown> }) {
  server.pages.set('/cmp.js', { headers: { 'Content-Type': 'text/javascript' }, body: await bundle(ENTRY, 'production') });
}
const CMP = '<script type="module" src="/cmp.js"></script>';
/** The tag, its events logged in `seen`, with `consent: 'tcf'`. */
const tag = (extra: Record<string, unknown> = {}) => `<script src="{{TAG}}"></script><script>
  window.seen = [];
  document.addEventListener('p13n:error', function (e) { seen.push(e.detail.error.code) });
  p13n('init', ${config({ consent: 'tcf', tcf: { vendorId: VENDOR_ID }, ...extra })});
</script>`;
type Action = ['show'] | ['choose', object] | ['load', object | null];
/** Waits for the IAB code to be in, then starts the CMP (once) and does `actions` with it, in order. */
const cmp = (tab: Tab, ...actions: Action[]) =>
  tab.evaluate(
    (actions) =>
      new Promise<void>((done) => {
        const w = window as any;
        const wait = () => {
          if (!w.startCmp) return void setTimeout(wait, 10);
          w.cmp = w.cmp || w.startCmp();
          for (const [name, arg] of actions) w.cmp[name](arg);
          done();
        };
        wait();
      }),
    actions,
  );

test.describe("consent: 'tcf' with IAB's CMP API", () => {
  test('a banner: nothing sent and no cookie until the choice; purpose 5 refused is denied; accepted sends the held page view; withdrawn removes the cookie', async ({ open, server, posts }) => {
    await serveCmp(server);
    const tab = await open({ head: CMP + tag() });
    await cmp(tab, ['show']);
    // a CMP is there, its banner open: pending, past the 3 s a page without a CMP waits
    await tab.waitForTimeout(3500);
    expect(posts()).toEqual([]);
    expect(await tdCookies(tab)).toEqual([]);
    await cmp(tab, ['choose', { purposes: [1, 6], vendor: true }]);
    expect(await call(tab, 'personalize')).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(posts()).toEqual([]);
    expect(await tdCookies(tab)).toEqual([]);
    // the visitor opens the banner again and accepts
    await cmp(tab, ['show'], ['choose', { purposes: [1, 5, 6], vendor: true }]);
    await waitForPosts(posts, 1);
    expect(posts()[0].body.td_path).toBe('/test');
    expect(await tdCookies(tab)).toHaveLength(1);
    // and withdraws
    await cmp(tab, ['show'], ['choose', { purposes: [1], vendor: true }]);
    await expect.poll(() => tdCookies(tab)).toEqual([]);
    expect(await call(tab, 'track', { event: 'after_withdrawal' })).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(posts()).toHaveLength(1);
  });

  test('a stored choice (tcloaded) sends the page view as soon as the CMP has loaded it; GDPR not applying too', async ({ open, server, posts }) => {
    await serveCmp(server);
    const tab = await open({ head: CMP + tag() });
    await cmp(tab, ['load', { purposes: [1, 5, 6], vendor: true }]);
    await waitForPosts(posts, 1);
    const second = await open({ head: CMP + tag(), path: '/outside-the-eu' });
    await cmp(second, ['load', null]);
    await waitForPosts(posts, 2);
    expect(posts()[1].body.td_path).toBe('/outside-the-eu');
  });

  test('without a vendor id, the publisher\'s purposes decide', async ({ open, server, posts }) => {
    await serveCmp(server);
    const tab = await open({ head: CMP + tag({ tcf: {} }) });
    await cmp(tab, ['load', { purposes: [1, 5, 6], vendor: true, publisher: [1, 5] }]);
    expect(await call(tab, 'personalize')).toMatchObject({ ok: false, error: { code: 'consent' } });
    await cmp(tab, ['show'], ['choose', { publisher: [1, 5, 6] }]);
    await waitForPosts(posts, 1);
  });

  test('no CMP on the page: denied after tcf.timeout, not before, and nothing sent', async ({ open, posts }) => {
    const tab = await open({ head: tag({ tcf: { timeout: 1000 } }) });
    const result = tab.evaluate(() => (window as any).p13n('personalize'));
    await tab.waitForTimeout(600);
    expect(await tab.evaluate(() => (window as any).seen)).toEqual([]);
    expect(await result).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(posts()).toEqual([]);
    expect(await tdCookies(tab)).toEqual([]);
  });

  test('a tag in a frame reaches the CMP through __tcfapiLocator: a choice made after it asked is heard all the same', async ({ open, server, posts }) => {
    await serveCmp(server);
    server.pages.set('/framed', { body: `<!doctype html><html><head>${tag().replace('{{TAG}}', '/dist/p13n.min.js').replace('{{API}}', server.apiUrl)}</head><body></body></html>` });
    // the calls the framed tag posts up, by callId
    const LOG_CALLS = `<script>window.asked = []; addEventListener('message', function (e) {
      var call = e.data && e.data.__tcfapiCall; if (call) asked.push(call.callId) })</script>`;
    const tab = await open({ head: LOG_CALLS + CMP, body: '<iframe src="/framed"></iframe>' });
    await tab.waitForTimeout(500);
    // the frame has asked already; IAB's stub bridge answers it only if the CMP answers at once, which it cannot yet
    await cmp(tab, ['show'], ['choose', { purposes: [1, 5, 6], vendor: true }]);
    await waitForPosts(posts, 1);
    expect(posts()[0].body.td_path).toBe('/framed');
    // it asks again every second, under one callId: nothing piles up in the frame however long the page lives
    await expect.poll(() => tab.evaluate(() => (window as any).asked.length)).toBeGreaterThanOrEqual(3);
    expect(new Set(await tab.evaluate(() => (window as any).asked)).size).toBe(1);
  });
});
