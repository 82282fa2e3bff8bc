/**
 * Route changes of a single-page app (`spa: true`) in every engine: history.pushState, replaceState and the back
 * button, each new URL one page view with its own title and the URL left as referrer; the latest route's answer
 * is the one that renders, and what `prehide` names is hidden from the moment the URL changes.
 */
import { config, expect, tagLive, test, waitForPosts } from './fixtures';
import { answer, isVisible, offer, textOf, visibility } from './pages';

const TAG = (extra: Record<string, unknown> = {}) =>
  `<script src="{{TAG}}"></script><script>p13n('init', ${config({ spa: true, ...extra })})</script>`;

test('one page view per new URL, with its title and the URL left as referrer; none for a hash or the same URL', async ({ open, posts }) => {
  const page = await open({ head: TAG() });
  await tagLive(page);
  await waitForPosts(posts, 1);
  const start = await page.url();
  await page.evaluate(() => {
    history.pushState({}, '', '/test/shoes');
    document.title = 'Shoes';
  });
  const [, shoes] = await waitForPosts(posts, 2);
  expect(shoes.body).toMatchObject({ td_path: '/test/shoes', td_title: 'Shoes', td_referrer: start });
  expect(shoes.body.td_url).toMatch(/\/test\/shoes$/);

  // nothing new: the same URL again, a replaceState that keeps it, a fragment
  await page.evaluate(() => {
    history.pushState({}, '', '/test/shoes');
    history.replaceState({}, '', '/test/shoes');
    history.pushState({}, '', '/test/shoes#reviews');
  });
  // a redirect: a push followed at once by a replace is one view, of the final URL
  await page.evaluate(() => {
    history.pushState({}, '', '/test/old-bags');
    history.replaceState({}, '', '/test/bags');
    document.title = 'Bags';
  });
  const [, , bags] = await waitForPosts(posts, 3);
  expect(bags.body).toMatchObject({ td_path: '/test/bags', td_title: 'Bags' });
  expect(bags.body.td_referrer).toMatch(/\/test\/shoes$/); // the fragment is not part of td_url, nor of the referrer

  // the back button: popstate, two steps back to the first route
  await page.evaluate(() => history.go(-2));
  const [, , , back] = await waitForPosts(posts, 4);
  expect(back.body.td_path).toBe('/test/shoes');
  expect(back.body.td_referrer).toMatch(/\/test\/bags$/);
  await page.waitForTimeout(500);
  expect(posts().map((entry) => entry.body.td_path)).toEqual(['/test', '/test/shoes', '/test/bags', '/test/shoes']);
});

test("a route's answer renders, never the route left before it; prehide hides from the moment the URL changes", async ({ open, emulator, posts }) => {
  const hero = (headline: string) => ({ hero: offer({ headline }) });
  emulator.setFault(answer(hero('Home offer')));
  // the first route's answer is slow, the second's fast: the slow one must not render over the second route
  emulator.setFault(answer(hero('Shoes offer'), { delayMs: 1200 }));
  emulator.setFault(answer(hero('Bags offer')));
  const page = await open({
    head: TAG({ prehide: '#hero', prehideTimeout: 5000 }),
    body: `<section id="hero" data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2></section>`,
  });
  await expect.poll(() => textOf(page, '#hero h2')).toBe('Home offer');
  expect(await visibility(page, '#hero')).toBe('visible');

  // hidden in the same task as the URL change: the last route's offer never shows on the new one
  expect(await page.evaluate(() => {
    history.pushState({}, '', '/test/shoes');
    return getComputedStyle(document.getElementById('hero')!).visibility;
  })).toBe('hidden');
  await waitForPosts(posts, 2);
  await page.evaluate(() => history.pushState({}, '', '/test/bags'));
  await expect.poll(() => textOf(page, '#hero h2')).toBe('Bags offer');
  await expect.poll(() => visibility(page, '#hero')).toBe('visible');
  // the slow answer for /test/shoes comes now, and changes nothing
  await expect.poll(() => emulator.log.filter((entry: { status?: number }) => entry.status == 200).length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
  await page.waitForTimeout(300);
  expect(await textOf(page, '#hero h2')).toBe('Bags offer');
  expect(await isVisible(page, '#hero')).toBe(true);
});
