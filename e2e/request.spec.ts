import { API_KEY, TOKEN, call, config, expect, snippet, test, waitForPosts } from './fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test.describe('the request', () => {
  test('is the contract request, cross-origin with a real preflight', async ({ open, emulator, posts }) => {
    await open({ path: '/shop/shoes?color=red#reviews', head: `<meta name="description" content="Shoes">` + snippet(`p13n('init', ${config()})`) });
    const [pageview] = await waitForPosts(posts, 1);
    const preflight = (emulator.log as { method: string }[]).find((entry) => entry.method == 'OPTIONS');
    expect(preflight).toBeTruthy();
    expect(pageview.path).toBe('/demo_db/pageviews');
    expect(pageview.headers).toMatchObject({
      'content-type': 'application/vnd.treasuredata.v1+json',
      accept: 'application/vnd.treasuredata.v1+json',
      authorization: 'TD1 ' + API_KEY,
      'wp13n-token': TOKEN,
      origin: expect.stringMatching(/^http:\/\/www\.shop\.test:\d+$/),
    });
    expect(pageview.headers).not.toHaveProperty('cookie');
    const body = pageview.body;
    expect(body.td_client_id).toMatch(UUID);
    expect(body.uuid).toMatch(UUID);
    expect(body.td_url).toMatch(/^http:\/\/www\.shop\.test:\d+\/shop\/shoes\?color=red$/);
    expect(body).toMatchObject({ td_path: '/shop/shoes', td_title: 'Test page', td_description: 'Shoes', td_charset: 'utf-8' });
    expect(body.td_host).toMatch(/^www\.shop\.test:\d+$/);
    expect(body.td_viewport).toMatch(/^\d+x\d+$/);
    expect(body.td_screen).toMatch(/^\d+x\d+$/);
    expect(body.td_color).toMatch(/^\d+-bit$/);
    expect(Number.isInteger(body.time)).toBe(true);
  });

  test('writes _td on the registrable domain, and reuses it', async ({ open, posts, tab }) => {
    await open({ head: snippet(`p13n('init', ${config()})`) });
    const [first] = await waitForPosts(posts, 1);
    const cookie = (await tab.cookies()).find((c) => c.name == '_td');
    expect(cookie).toMatchObject({ domain: '.shop.test', path: '/', value: first.body.td_client_id });
    // 730 days, which Chromium and Firefox cap at 400 and WebKitGTK keeps
    const days = Math.round((cookie!.expires * 1000 - Date.now()) / 86400e3);
    expect(days).toBeGreaterThan(399);
    expect(days).toBeLessThanOrEqual(tab.engine == 'webkit' ? 730 : 400);
    expect((await tab.cookies()).some((c) => c.name == '_p13n_probe')).toBe(false);
    // another host of the same site sees the same visitor
    await tab.goto((await tab.url()).replace('www.', 'blog.'));
    const page = tab;
    expect(await call(page, 'clientId')).toBe(first.body.td_client_id);
  });

  test('keeps the id td-js-sdk wrote', async ({ open, posts, tab }) => {
    await tab.addCookies([{ name: '_td', value: '0b7c8a52-9f7e-4c7a-a1a2-3b4c5d6e7f80', domain: '.shop.test', path: '/' }]);
    await open({ head: snippet(`p13n('init', ${config()})`) });
    const [pageview] = await waitForPosts(posts, 1);
    expect(pageview.body.td_client_id).toBe('0b7c8a52-9f7e-4c7a-a1a2-3b4c5d6e7f80');
  });

  test('keeps arrays arrays beside Prototype.js-style Array.prototype.toJSON', async ({ open, posts }) => {
    await open({
      head: `<script>Array.prototype.toJSON = function () { return JSON.stringify(this.slice()) };
        Object.prototype.polluted = 'leak';</script>` + snippet(`p13n('init', ${config({ attributes: { list: ['a', 'b'] } })})`),
    });
    const [pageview] = await waitForPosts(posts, 1);
    expect(pageview.body.list).toEqual(['a', 'b']);
    expect(pageview.body).not.toHaveProperty('polluted');
  });

  test('refuses circular attributes without sending', async ({ open, posts }) => {
    const page = await open({ head: snippet(`p13n('init', ${config({ pageview: false })})`) });
    const result = await page.evaluate(() => {
      const a: Record<string, unknown> = {};
      a.self = a;
      return (window as any).p13n('personalize', a);
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_event' } });
    expect(posts()).toEqual([]);
  });
});

test('the cookie is SameSite=Lax, not Secure on http (Chromium only: the other drivers do not report SameSite)', async ({ open, posts, context }) => {
  await open({ head: snippet(`p13n('init', ${config()})`) });
  await waitForPosts(posts, 1);
  expect((await context.cookies()).find((c) => c.name == '_td')).toMatchObject({ sameSite: 'Lax', secure: false });
});
