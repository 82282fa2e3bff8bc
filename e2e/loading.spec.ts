import { watchViolations } from './pages';
import { call, config, expect, snippet, tagLive, test, waitForPosts } from './fixtures';

test.describe('loading', () => {
  test('the async snippet replays queued calls in order, then is live', async ({ open, posts }) => {
    const page = await open({
      head: snippet(`
        window.seen = [];
        p13n('on', 'ready', function (d) { seen.push('ready ' + typeof d.clientId) });
        p13n('set', { from_set: 1 });
        p13n('init', ${config({ attributes: { from_init: 1 } })});
        p13n('on', 'offers', function (d) { seen.push('offers ' + d.status) });
        window.beforeLoad = typeof p13n('personalize', { from_call: 1 });
      `),
    });
    // both go out at once, so they may arrive in either order
    const bodies = (await waitForPosts(posts, 2)).map((entry) => entry.body);
    expect(bodies).toHaveLength(2);
    expect(bodies).toContainEqual(expect.not.objectContaining({ from_call: 1 }));
    expect(bodies).toContainEqual(expect.objectContaining({ from_call: 1 }));
    for (const body of bodies) expect(body).toMatchObject({ from_set: 1, from_init: 1 });
    await expect.poll(() => page.evaluate(() => (window as any).seen)).toEqual(['ready string', 'offers 200', 'offers 200']);
    expect(await page.evaluate(() => (window as any).beforeLoad)).toBe('undefined');
  });

  test('a plain script tag works before and after the calls', async ({ open, posts }) => {
    const page = await open({ head: `<script src="{{TAG}}"></script><script>p13n('init', ${config()})</script>` });
    await waitForPosts(posts, 1);
    expect(await call(page, 'personalize', { late: true })).toMatchObject({ ok: true, status: 200 });
    expect(posts()[1].body).toMatchObject({ late: true });
  });

  test('a tag manager may inject it after load', async ({ open, posts }) => {
    const page = await open({
      head: `<script>
        window.addEventListener('load', function () {
          setTimeout(function () {
            window.p13n = window.p13n || function () { (p13n.q = p13n.q || []).push(arguments) };
            p13n('init', ${config()});
            var s = document.createElement('script'); s.src = '{{TAG}}'; document.body.appendChild(s);
          }, 50);
        });
      </script>`,
    });
    await waitForPosts(posts, 1);
    expect(await call(page, 'clientId')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a second copy changes nothing and loses nothing', async ({ open, posts }) => {
    const page = await open({
      head: snippet(`p13n('init', ${config()}); p13n('track', { before_second: 1 });`) +
        `<script src="{{TAG}}"></script><script src="{{TAG}}"></script>`,
    });
    await tagLive(page); // open() has waited for the load event: both copies ran
    expect(await call(page, 'init', JSON.parse(config().replace('{{API}}', 'http://localhost')))).toMatchObject({
      ok: false,
      error: { code: 'config' },
    });
    await waitForPosts(posts, 2);
    await page.waitForTimeout(300); // a second copy replaying the queue again would show up here
    expect(posts().map((entry) => entry.body.before_second ?? 'pageview').sort()).toEqual([1, 'pageview']);
  });

  test('data-p13n-init initializes with no inline script under a strict CSP', async ({ open, posts, server, tab }) => {
    const violations = await watchViolations(tab);
    await open({
      csp: `default-src 'none'; script-src 'self'; connect-src ${server.apiUrl}`,
      head: `<script async src="{{TAG}}" data-p13n-init='${config()}'></script>`,
    });
    const [pageview] = await waitForPosts(posts, 1);
    expect(pageview.body.td_path).toBe('/test');
    expect(await violations.events()).toEqual([]);
    expect(await violations.console()).toEqual([]);
  });

  test('defines no global but p13n', async ({ open }) => {
    const page = await open({ head: `<script>window.before = Object.getOwnPropertyNames(window)</script>` });
    await page.evaluate(() => new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/dist/p13n.min.js';
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    }));
    const added = await page.evaluate(() =>
      Object.getOwnPropertyNames(window).filter((name) => (window as any).before.indexOf(name) < 0 && name != 'before'),
    );
    expect(added).toEqual(['p13n']);
  });
});
