import { API_KEY, call, config, expect, snippet, tagLive, test, waitForPosts, type Emulator, type Tab } from './fixtures';

/** A page with the tag initialized (no page view) against the emulator, and a personalize() to run there. */
async function ready(open: (o: { head: string }) => Promise<Tab>, extra: Record<string, unknown> = {}) {
  const page = await open({ head: snippet(`p13n('init', ${config({ pageview: false, ...extra })})`) });
  return (attributes: Record<string, unknown> = {}) => call(page, 'personalize', attributes) as Promise<any>;
}
const fault = (emulator: Emulator, f: Record<string, unknown>) => emulator.setFault(f);

test.describe('responses and errors', () => {
  test('offers pass through untouched, with events, handlers and callbacks in step', async ({ open, posts }) => {
    const page = await open({
      head: snippet(`
        window.got = [];
        p13n('init', ${config({ pageview: false }).slice(0, -1)}, onOffers: function (d) { got.push(['callback', d.names]) } });
        p13n('on', 'offers', function () { throw new Error('a broken handler') });
        p13n('on', 'offers', function (d) { got.push(['handler', d.names]) });
        document.addEventListener('p13n:offers', function (e) { got.push(['event', e.detail.names]) });
      `),
    });
    const result = await call(page, 'personalize', { product_category: 'shoes' });
    expect(result).toMatchObject({ ok: true, status: 200, uuid: (await waitForPosts(posts, 1))[0].body.uuid });
    expect(result.offers).toEqual((posts()[0].response as { offers: unknown }).offers);
    expect(Object.keys(result.offers)).toContain('welcome');
    const names = Object.keys(result.offers);
    expect(await page.evaluate(() => (window as any).got)).toEqual([['event', names], ['handler', names], ['callback', names]]);
  });

  test('a 200 without payload is success with no offers', async ({ open, emulator }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 200, times: 1 });
    expect(await personalize()).toMatchObject({ ok: true, status: 200, offers: {} });
  });

  test('API error bodies become typed errors, and 3xxx is never retried', async ({ open, posts }) => {
    const personalize = await ready(open, { token: '1/2/' + 'f'.repeat(32) });
    expect(await personalize()).toMatchObject({
      ok: false,
      offers: {},
      error: { code: 3001, status: 400, message: 'RT token is not in configuration.', retryable: false },
    });
    // a key of another account than the token's: the tag warns, the API answers 3002
    const other = await ready(open, { apiKey: '9/' + 'c0ffee'.repeat(6) + 'c0ff' });
    expect(await other()).toMatchObject({ ok: false, error: { code: 3002, status: 400, retryable: false } });
    expect(posts()).toHaveLength(2);
  });

  test('415 and 400 are typed and not retried', async ({ open, emulator, posts }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 415, times: 1 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 415, status: 415, retryable: false } });
    fault(emulator, { status: 400, code: 3004, times: 1 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 3004, status: 400, message: 'Invalid event object.', retryable: false } });
    expect(posts()).toHaveLength(2);
  });

  test('a 500 with a 3xxx code is not retried either', async ({ open, emulator, posts }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 500, code: 3010 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 3010, status: 500, retryable: false } });
    expect(posts()).toHaveLength(1);
  });

  test('retries keep one uuid and succeed on the third attempt', async ({ open, emulator, posts }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 503, code: 9999, times: 2 });
    const result = await personalize();
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(posts().map((entry) => entry.body.uuid)).toEqual([result.uuid, result.uuid, result.uuid]);
  });

  test('when attempts run out the last real error is reported', async ({ open, emulator, posts }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 500, code: 9999 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 9999, status: 500, retryable: true } });
    expect(posts()).toHaveLength(3);
  });

  test('when time runs out during a retry the last real error is reported, not timeout', async ({ open, emulator, posts }) => {
    const personalize = await ready(open, { timeout: 1500 });
    fault(emulator, { status: 500, code: 9999, times: 1 });
    fault(emulator, { hang: true });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 9999 } });
    expect(posts()).toHaveLength(2);
  });

  test('429 waits for Retry-After, and is reported when it would outlast the timeout', async ({ open, emulator, posts }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 429, retryAfter: 1, times: 1 });
    expect(await personalize()).toMatchObject({ ok: true });
    const [first, second] = posts();
    expect(second.t - first.t).toBeGreaterThanOrEqual(950);

    fault(emulator, { status: 429, code: 2013, retryAfter: 30, times: 1 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 2013, status: 429, retryable: true } });
    expect(posts()).toHaveLength(3);
  });

  test('non-JSON error bodies are http errors, non-JSON success bodies parse errors', async ({ open, emulator }) => {
    const personalize = await ready(open);
    fault(emulator, { status: 404, body: '<html>Not Found</html>', times: 1 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 'http', status: 404, retryable: false } });
    fault(emulator, { status: 200, body: 'surprise', times: 1 });
    expect(await personalize()).toMatchObject({ ok: false, error: { code: 'parse', status: 200 } });
  });

  test('a dropped connection is a network error, retried', async ({ open, emulator, posts }) => {
    const personalize = await ready(open);
    fault(emulator, { drop: true });
    const result = await personalize();
    expect(result).toMatchObject({ ok: false, error: { code: 'network', retryable: true } });
    // 3 attempts by the tag; Chromium itself may resend a POST once when a reused connection drops, so the
    // emulator can count more, all with the one uuid
    expect(posts().length).toBeGreaterThanOrEqual(3);
    expect(posts().length).toBeLessThanOrEqual(6);
    expect(new Set(posts().map((entry) => entry.body.uuid))).toEqual(new Set([result.uuid]));
  });

  test('a hanging service is a timeout within the configured time', async ({ open, emulator, tab }) => {
    const personalize = await ready(open, { timeout: 700 });
    fault(emulator, { hang: true });
    await tab.evaluate(() => document.addEventListener('p13n:error', (e) => ((window as any).errorDetail = (e as CustomEvent).detail)));
    const result = await personalize();
    expect(result).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true } });
    expect(await tab.evaluate(() => (window as any).errorDetail)).toEqual({ error: result.error, uuid: result.uuid });
  });

  test('a bad config is refused with one console error and nothing sent', async ({ open, emulator }) => {
    const page = await open({ head: snippet(`window.outcome = p13n('init', ${config({ apiKey: 'not-a-key' })})`) });
    await tagLive(page);
    const outcome = await call(page, 'clientId');
    expect(outcome).toBeUndefined();
    expect((await page.console()).filter((m) => m.startsWith('error: p13n'))).toEqual([expect.stringContaining('config.apiKey')]);
    expect(emulator.log).toEqual([]);
  });

  test('debug logs never show the key', async ({ open, posts }) => {
    const page = await open({ head: snippet(`p13n('init', ${config({ debug: true })})`) });
    await waitForPosts(posts, 1);
    await expect.poll(async () => (await page.console()).some((m) => m.includes('←'))).toBe(true);
    expect((await page.console()).join('\n')).not.toContain(API_KEY.split('/')[1]);
    expect(posts()[0].path).not.toContain(API_KEY.split('/')[1]);
  });
});
