/**
 * Issue 11 in the browser: the first-party proxy rides the page's own connection (credentials to the page's
 * origin only), a refused init leaves the page free for a corrected one, and a returning visitor's page view writes
 * one cookie (the registrable domain is probed once per browser).
 */
import type { Page, Request } from '@playwright/test';
import { call, config, expect, snippet, test, waitForPosts, type Tab } from './fixtures';

/** Placed before the tag: records the URL and the `credentials` option of every fetch the page makes. */
const RECORD_FETCH = `<script>
  window.fetches = [];
  (function (fetch) {
    window.fetch = function (input, init) {
      fetches.push({ url: String(input && input.url || input), credentials: init && init.credentials });
      return fetch.apply(this, arguments);
    };
  })(window.fetch);
</script>`;

/** Placed before the tag: records every write to document.cookie, and lets it through. */
const RECORD_COOKIES = `<script>
  window.cookieWrites = [];
  (function (proto) {
    while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
    var real = Object.getOwnPropertyDescriptor(proto, 'cookie');
    Object.defineProperty(document, 'cookie', {
      configurable: true,
      get: function () { return real.get.call(document) },
      set: function (text) { cookieWrites.push(text); real.set.call(document, text) },
    });
  })(Document.prototype);
</script>`;

const OFFERS = `window.seen = [];
  p13n('on', 'offers', function (detail) { seen.push(detail.names.join(',')) });`;

/** The requests for the table the browser sent, with the headers as they went on the wire (cookies included). */
function tableRequests(page: Page) {
  const requests: Request[] = [];
  page.on('request', (request) => request.method() == 'POST' && request.url().includes('/demo_db/pageviews') && requests.push(request));
  return async () => Promise.all(requests.map(async (request) => ({ url: request.url(), headers: await request.allHeaders() })));
}

const PROXIED = JSON.stringify({ database: 'demo_db', table: 'pageviews', endpoint: '/p13n' });

test.describe('credentials follow the origin', () => {
  test('a same-origin proxy endpoint is fetched with same-origin credentials, a cross-origin one with none', async ({ open, posts }) => {
    const page = await open({ head: RECORD_FETCH + snippet(`${OFFERS}\n  p13n('init', ${PROXIED});`) });
    await expect.poll(() => page.evaluate(() => (window as any).seen)).toEqual(['welcome']);
    const [forwarded] = await waitForPosts(posts, 1);
    expect(forwarded.path).toBe('/public/demo_db/pageviews'); // the proxy adds the credentials on the way
    expect(await page.evaluate(() => (window as any).fetches)).toEqual([
      { url: expect.stringMatching(/^http:\/\/www\.shop\.test:\d+\/p13n\/demo_db\/pageviews$/), credentials: 'same-origin' },
    ]);
    await open({ head: RECORD_FETCH + snippet(`p13n('init', ${config()});`) });
    await waitForPosts(posts, 2);
    expect(await page.evaluate(() => (window as any).fetches)).toEqual([
      { url: expect.stringMatching(/^http:\/\/localhost:\d+\/demo_db\/pageviews$/), credentials: 'omit' },
    ]);
    expect(posts()[1].headers).not.toHaveProperty('cookie');
  });

  test("a same-origin proxy endpoint is sent the page's cookies (Chromium only: request events)", async ({ open, page, posts }) => {
    const sent = tableRequests(page);
    await open({ head: snippet(`p13n('init', ${PROXIED});`) });
    const [forwarded] = await waitForPosts(posts, 1);
    // the _td cookie the tag wrote went with the request, to the page's own server
    const [request] = await sent();
    expect(request.headers.cookie).toContain(`_td=${forwarded.body.td_client_id}`);
    expect(request.headers).not.toHaveProperty('authorization');
  });

  test('a cross-origin endpoint is sent no cookie, even one the API origin has set (Chromium only: request events)', async ({ open, page, context, server, posts }) => {
    await context.addCookies([{ name: 'api_session', value: 'must-not-leave', url: server.apiUrl }]);
    const sent = tableRequests(page);
    await open({ head: snippet(`p13n('init', ${config()});`) });
    await waitForPosts(posts, 1);
    const requests = await sent();
    expect(requests).toHaveLength(1);
    expect(requests[0].headers).not.toHaveProperty('cookie');
    expect(posts()[0].headers).not.toHaveProperty('cookie');
  });
});

test('a refused init (a mistyped database), then a corrected one from the page: offers arrive, one page view', async ({ open, posts }) => {
  const errors = `window.errors = [];
  p13n('on', 'error', function (detail) { errors.push(detail.error.code + ': ' + detail.error.message) });`;
  // the snippet queues the init (it returns nothing before the bundle arrives): its refusal is an error event
  const page = await open({ head: snippet(`${OFFERS}\n  ${errors}\n  p13n('init', ${config({ database: 'Demo-DB' })});`) });
  await expect.poll(() => page.evaluate(() => (window as any).errors)).toEqual([expect.stringMatching(/^config: p13n: config\.database/)]);
  expect(await call(page, 'personalize')).toMatchObject({ ok: false, error: { code: 'config' } });
  expect(posts()).toEqual([]);
  // later, as a developer fixing the typo in the console, or a tag manager, does
  expect(await call(page, 'init', JSON.parse(config().replace('{{API}}', await apiUrl(page))))).toEqual({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).seen)).toEqual(['welcome']);
  await page.waitForTimeout(300);
  expect(posts()).toHaveLength(1);
  expect(posts()[0].path).toBe('/demo_db/pageviews');
  expect(await page.evaluate(() => (window as any).errors)).toHaveLength(2); // the refusal, and the personalize it answered
  expect((await page.console()).filter((m) => m.startsWith('error: p13n'))).toEqual([expect.stringContaining('config.database')]);
});

/** The emulator's URL as the page knows it: the site's port on localhost. */
const apiUrl = (page: Tab) => page.evaluate(() => `http://localhost:${location.port}`);

test("a returning visitor's page view writes one cookie, and no probe", async ({ open, posts }) => {
  const head = RECORD_COOKIES + snippet(`p13n('init', ${config()});`);
  const page = await open({ head });
  await waitForPosts(posts, 1);
  const first: string[] = await page.evaluate(() => (window as any).cookieWrites);
  expect(first.some((text) => text.startsWith('_p13n_probe='))).toBe(true); // the first visit finds the domain
  expect(await page.evaluate(() => localStorage.getItem('p13n:domain'))).toBe('shop.test');
  const logged = (await page.console()).length;

  await open({ head });
  await waitForPosts(posts, 2);
  const writes: string[] = await page.evaluate(() => (window as any).cookieWrites);
  expect(writes).toHaveLength(1);
  expect(writes[0]).toMatch(/^_td=[0-9a-f-]{36};.*domain=shop\.test/i);
  const cookies = (await page.cookies()).filter((cookie) => cookie.name.startsWith('_'));
  expect(cookies.map((cookie) => `${cookie.name} ${cookie.domain}`)).toEqual(['_td .shop.test']);
  expect(posts()[1].body.td_client_id).toBe(posts()[0].body.td_client_id);
  // no "Cookie rejected for invalid domain" from Firefox on a returning visitor's page
  expect((await page.console()).slice(logged).filter((line) => /rejected/.test(line))).toEqual([]);
});
