/**
 * The early snippet (dist/p13n-early-snippet.js, as built): its stub sends the first page view the moment it sees
 * `init`, and the core, whenever it arrives, takes that request over. One page view per page whatever arrives
 * first, the same request the core would send, the consent rule kept, and safe under a strict CSP.
 */
import { config, earlySnippet, expect, snippet, tagLive, test, type Tab } from './fixtures';
import { isVisible, tdCookies, textOf, watchViolations } from './pages';

const OFFERS = JSON.stringify({ offers: { hero: { attributes: { headline: 'Early hello' } } } });
const SLOT = `<section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2></section>`;
const LISTEN = `<script>window.seen = []; ['offers', 'error'].forEach(function (type) {
  document.addEventListener('p13n:' + type, function (e) { window.seen.push(type + ' ' + (e.detail.uuid || e.detail.error.code)) }) });</script>`;
// a URL that loads nothing: the core stays away until the test adds it
const HELD = '/dist/held-back.js';

const seen = (tab: Tab) => tab.evaluate(() => (window as unknown as { seen: string[] }).seen);
const live = (tab: Tab) => tab.evaluate(() => typeof (window as { p13n?: { v?: string } }).p13n?.v == 'string');
/** Adds the core to the page, as the snippet's loader would have, and waits until it ran. */
const addCore = (tab: Tab) =>
  tab.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = '/dist/p13n.min.js';
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      }),
  );
const pageViews = (posts: () => { body: Record<string, unknown> }[]) => posts().filter((entry) => entry.body.td_path == '/test');

test.describe('the early snippet', () => {
  test('its answer in before the core: the snippet wrote the cookie; the core renders the answer, emits it and refreshes the cookie, sending nothing again', async ({ open, emulator, posts }) => {
    emulator.setFault({ status: 200, times: 1, body: OFFERS });
    const tab = await open({ head: LISTEN + earlySnippet(`p13n('init', ${config()})`, { tag: HELD }), body: SLOT });
    await expect.poll(() => posts().map((entry) => entry.status)).toEqual([200]);
    const [sent] = posts();
    expect(await live(tab)).toBe(false); // the request left, and was answered, with no bundle on the page
    // a new visitor's id is in the cookie at once, for td-js-sdk to find should it load before the core
    expect((await tdCookies(tab)).map((cookie) => `${cookie.domain} ${cookie.value}`)).toEqual([`.shop.test ${sent.body.td_client_id}`]);
    await addCore(tab);
    await expect.poll(() => textOf(tab, '[data-p13n-offer="hero"] [data-p13n-attr="headline"]')).toBe('Early hello');
    expect(await isVisible(tab, '[data-p13n-offer="hero"]')).toBe(true);
    expect(await seen(tab)).toEqual(['offers ' + sent.body.uuid]);
    await expect.poll(async () => (await tdCookies(tab)).map((cookie) => cookie.value)).toEqual([sent.body.td_client_id]);
    await tab.waitForTimeout(300);
    expect(posts()).toHaveLength(1);
  });

  test('the core in before its answer: the core waits for that answer', async ({ open, emulator, posts }) => {
    emulator.setFault({ status: 200, times: 1, body: OFFERS, delayMs: 1500 });
    const tab = await open({ head: LISTEN + earlySnippet(`p13n('init', ${config()})`), body: SLOT });
    await tagLive(tab);
    expect(await seen(tab)).toEqual([]);
    await expect.poll(() => seen(tab), { timeout: 5000 }).toHaveLength(1);
    expect(await textOf(tab, '[data-p13n-offer="hero"] [data-p13n-attr="headline"]')).toBe('Early hello');
    expect(posts()).toHaveLength(1);
  });

  test('sends the request the core would send: same URL, headers and fields', async ({ open, posts }) => {
    const extra = { attributes: { segment: 'vip', list: [1, 'two'] } };
    await open({ head: snippet(`p13n('init', ${config(extra)})`) });
    await expect.poll(() => posts().length).toBe(1);
    // the same visitor (the cookie the core wrote), the same page, now with the early snippet
    await open({ head: earlySnippet(`p13n('init', ${config(extra)})`, { tag: HELD }) });
    await expect.poll(() => posts().length).toBe(2);
    const [core, early] = posts();
    const { uuid: _u, time: _t, ...same } = core.body;
    expect(early.path).toBe(core.path);
    expect(early.headers.authorization).toBe(core.headers.authorization);
    expect(early.headers['wp13n-token']).toBe(core.headers['wp13n-token']);
    expect(early.headers['content-type']).toBe(core.headers['content-type']);
    expect(early.body).toEqual({ ...same, uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), time: expect.any(Number) });
  });

  test('a retryable failure of its request is retried by the core, with the same body, and renders', async ({ open, emulator, posts }) => {
    emulator.setFault({ status: 503, times: 1 });
    emulator.setFault({ status: 200, times: 1, body: OFFERS });
    const tab = await open({ head: LISTEN + earlySnippet(`p13n('init', ${config()})`), body: SLOT });
    await expect.poll(() => seen(tab)).toHaveLength(1);
    expect(await textOf(tab, '[data-p13n-offer="hero"] [data-p13n-attr="headline"]')).toBe('Early hello');
    const [first, retry] = posts();
    expect(posts()).toHaveLength(2);
    expect([first.status, retry.status]).toEqual([503, 200]);
    expect(retry.body).toEqual(first.body);
  });

  test('consent pending: nothing leaves until the visitor says yes, then one page view', async ({ open, posts }) => {
    const tab = await open({ head: earlySnippet(`p13n('init', ${config({ consent: 'pending' })})`) });
    await tagLive(tab);
    await tab.waitForTimeout(300);
    expect(posts()).toEqual([]);
    expect(await tdCookies(tab)).toEqual([]);
    await tab.evaluate(() => (window as any).p13n('consent', 'granted'));
    await expect.poll(() => posts().length).toBe(1);
    await tab.waitForTimeout(300);
    expect(pageViews(posts)).toHaveLength(1);
  });

  test('pasted twice, with the core loaded twice: one page view, and the second init refused', async ({ open, posts }) => {
    const init = `window.inits = window.inits || []; p13n('init', ${config()});`;
    const tab = await open({ head: LISTEN + earlySnippet(init) + earlySnippet(init) + `<script src="{{TAG}}"></script>` });
    await tagLive(tab);
    await expect.poll(() => posts().length).toBe(1);
    await tab.waitForTimeout(500);
    expect(posts()).toHaveLength(1);
    expect(await seen(tab)).toEqual(['offers ' + posts()[0].body.uuid]);
    expect(await tab.console()).toContainEqual(expect.stringMatching(/^error: p13n: init already succeeded/));
  });

  test('an invalid config sends nothing early: the core reports it', async ({ open, posts }) => {
    const tab = await open({ head: LISTEN + earlySnippet(`p13n('init', ${config({ table: 'No-Such-Table' })})`) });
    await tagLive(tab);
    await expect.poll(() => seen(tab)).toEqual(['error config']);
    expect(posts()).toEqual([]);
    expect(await tab.console()).toContainEqual(expect.stringMatching(/^error: p13n: config\.table is invalid/));
  });

  test('under a strict CSP (nonce only), the bundle loads with the snippet nonce; no violation', async ({ open, posts, server, tab }) => {
    const violations = await watchViolations(tab);
    await open({
      csp: `default-src 'none'; script-src 'nonce-e4rly'; connect-src ${server.apiUrl}`,
      head: LISTEN.replace('<script>', '<script nonce="e4rly">') + earlySnippet(`p13n('init', ${config()})`, { nonce: 'e4rly' }),
    });
    await tagLive(tab);
    await expect.poll(() => seen(tab)).toHaveLength(1);
    expect(posts()).toHaveLength(1);
    expect(await violations.events()).toEqual([]);
    expect(await violations.console()).toEqual([]);
  });

  test('under enforced Trusted Types it cannot add the bundle, throws nothing, and the page view still leaves early', async ({ open, posts, server }) => {
    const tab = await open({
      csp: `default-src 'none'; script-src 'self' 'unsafe-inline'; connect-src ${server.apiUrl}; require-trusted-types-for 'script'; trusted-types p13n`,
      // the page loads the bundle itself, as the README says for Trusted Types
      head: LISTEN + earlySnippet(`p13n('init', ${config()})`) + `<script async src="{{TAG}}"></script>`,
    });
    await tagLive(tab);
    await expect.poll(() => seen(tab)).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });
});

test('on a slow line the page view leaves, and is answered, before the bundle has downloaded (Chromium only: routes)', async ({ open, page, emulator, posts }) => {
  emulator.setFault({ status: 200, body: OFFERS });
  // the bundle takes 1.5 s to come, as over a slow phone's connection to a CDN
  let bundleDone = 0;
  await page.route('**/dist/p13n.min.js', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    bundleDone = Date.now();
    await route.continue();
  });
  const shown = async (head: string) => {
    const tab = await open({ head: LISTEN + head, body: SLOT });
    await expect.poll(() => isVisible(tab, '[data-p13n-offer="hero"]'), { timeout: 10_000 }).toBe(true);
    expect(await seen(tab)).toHaveLength(1);
  };
  await shown(earlySnippet(`p13n('init', ${config()})`));
  const [sent] = posts();
  // out, and answered, well before the bundle came; shown once it came
  expect(sent.t).toBeLessThan(bundleDone - 1000);
  await page.context().clearCookies();
  await shown(snippet(`p13n('init', ${config()})`));
  expect(posts()).toHaveLength(2);
  // the short snippet's request had to wait for the bundle
  expect(posts()[1].t).toBeGreaterThanOrEqual(bundleDone);
});
