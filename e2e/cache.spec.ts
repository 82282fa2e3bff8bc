import { call, config, expect, snippet, test, type Tab } from './fixtures';
import { answer, isVisible, offer, storageKeys, textOf } from './pages';

/**
 * A page with one slot. In page time, with no polling gap from the test runner: `seen` logs every p13n:offers
 * (cached or not, the headline it carried), `renders` every p13n:render, `screens` every change of what the slot
 * shows (its text, and whether it is hidden or visible, prehide included), sampled 10 ms apart.
 */
const cachePage = (extra: Record<string, unknown> = {}, path = '/cached-a') => ({
  path,
  head:
    `<script>
      window.seen = [];
      window.renders = [];
      window.errors = [];
      window.screens = [];
      document.addEventListener('p13n:error', function (e) { errors.push(e.detail.error.code) });
      document.addEventListener('p13n:offers', function (e) {
        var hero = e.detail.offers.hero;
        seen.push({ cached: e.detail.cached === true, headline: hero && hero.attributes.headline, uuid: e.detail.uuid, t: performance.now() });
      });
      document.addEventListener('p13n:render', function (e) {
        renders.push({ cached: e.detail.cached, headline: e.detail.offer && e.detail.offer.attributes.headline });
      });
      var last;
      (function sample() {
        var hero = document.getElementById('hero');
        var h2 = hero && hero.querySelector('h2');
        if (h2) {
          var now = h2.textContent + (hero.hidden || getComputedStyle(hero).visibility == 'hidden' ? ' (hidden)' : '');
          if (now != last) { last = now; screens.push({ shows: now, t: performance.now() }) }
        }
        setTimeout(sample, 10);
      })();
    </script>` + snippet(`p13n('init', ${config({ cache: { ttl: 60 }, ...extra })})`),
  body: `<section id="hero" data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2></section>`,
});

type Seen = { cached: boolean; headline?: string; uuid: string; t: number };
type Screen = { shows: string; t: number };
const seen = (page: Tab): Promise<Seen[]> => page.evaluate(() => (window as any).seen);
const screens = (page: Tab): Promise<Screen[]> => page.evaluate(() => (window as any).screens);
/** What the slot showed, in order, leaving out the page's default before the tag touched it. */
const shown = async (page: Tab) => (await screens(page)).map((screen) => screen.shows).filter((shows) => shows != 'Default (hidden)');
const stored = (page: Tab, key: string) => page.evaluate((key) => JSON.parse(localStorage.getItem(key) || 'null'), key);
const hero = (headline: string) => ({ hero: offer({ headline }) });

/** The first view of /cached-a: its answer ('First answer') is stored. */
async function firstView(open: (o: ReturnType<typeof cachePage>) => Promise<Tab>, emulator: { setFault(f: object): unknown }, extra = {}) {
  emulator.setFault(answer(hero('First answer')));
  const page = await open(cachePage(extra));
  await expect.poll(() => textOf(page, '#hero h2')).toBe('First answer');
  return page;
}

test.describe('offer cache', () => {
  test('a repeat view renders the cached offers at once, then the fresh answer wins; another path has none', async ({ open, tab: page, emulator, server, posts }) => {
    const key = storageKeys(server.apiUrl).cache;
    await firstView(open, emulator);
    const [first] = await seen(page);
    expect(first).toMatchObject({ cached: false, headline: 'First answer' });
    expect(await stored(page, key)).toEqual({
      '/cached-a': { t: expect.any(Number), offers: hero('First answer'), status: 200, uuid: first.uuid },
    });

    // the fresh answer takes a second: the cached one is on screen long before it
    emulator.setFault(answer(hero('Fresh answer'), { delayMs: 1000 }));
    await page.reload();
    await expect.poll(() => textOf(page, '#hero h2')).toBe('Fresh answer');
    await expect.poll(() => isVisible(page, '#hero')).toBe(true);
    const views = await seen(page);
    expect(views.map(({ cached, headline }) => ({ cached, headline }))).toEqual([
      { cached: true, headline: 'First answer' },
      { cached: false, headline: 'Fresh answer' },
    ]);
    expect(views[0].uuid).toBe(first.uuid); // the earlier answer's
    expect(views[1].uuid).not.toBe(first.uuid);
    expect(await shown(page)).toEqual(['First answer', 'Fresh answer']);
    const [cachedScreen, freshScreen] = (await screens(page)).filter((screen) => screen.shows != 'Default (hidden)');
    expect(freshScreen.t - cachedScreen.t).toBeGreaterThan(700);
    // the fresh request went out as usual, and its answer is what is kept now
    expect(posts()).toHaveLength(2);
    expect((await stored(page, key))['/cached-a']).toMatchObject({ offers: hero('Fresh answer'), uuid: views[1].uuid });

    // another path: nothing cached, nothing shown until its own answer
    emulator.setFault(answer(hero('Answer for b'), { delayMs: 800 }));
    await open(cachePage({}, '/cached-b'));
    await expect.poll(() => textOf(page, '#hero h2')).toBe('Answer for b');
    expect((await seen(page)).map((view) => view.cached)).toEqual([false]);
    expect(await shown(page)).toEqual(['Answer for b']);
    expect((await screens(page))[0].shows).toBe('Default (hidden)');
    expect(Object.keys(await stored(page, key)).sort()).toEqual(['/cached-a', '/cached-b']);
  });

  test('with prehide, a cached view shows at once; slots get p13n:render with cached true, then false', async ({ open, tab: page, emulator }) => {
    const extra = { prehide: '#hero', prehideTimeout: 5000 };
    await firstView(open, emulator, extra);
    emulator.setFault(answer(hero('Fresh answer'), { delayMs: 1000 }));
    await page.reload();
    await expect.poll(() => textOf(page, '#hero h2')).toBe('Fresh answer');
    expect(await page.evaluate(() => getComputedStyle(document.getElementById('hero')!).visibility)).toBe('visible');
    // shown, not pre-hidden, from the cached render on: well before the fresh answer (1 s) and the timeout (5 s)
    expect(await shown(page)).toEqual(['First answer', 'Fresh answer']);
    const [cachedScreen, freshScreen] = (await screens(page)).filter((screen) => screen.shows != 'Default (hidden)');
    expect(freshScreen.t - cachedScreen.t).toBeGreaterThan(700);
    expect(await page.evaluate(() => (window as any).renders)).toEqual([
      { cached: true, headline: 'First answer' },
      { cached: false, headline: 'Fresh answer' },
    ]);
  });

  test('a failed fresh request leaves the cached offers in place', async ({ open, tab: page, emulator }) => {
    await firstView(open, emulator);
    emulator.setFault({ status: 500, code: 3010, times: 1 }); // final at once, no retries
    await page.reload();
    await expect.poll(() => page.evaluate(() => (window as any).errors)).toEqual([3010]);
    await expect.poll(() => textOf(page, '#hero h2')).toBe('First answer');
    await expect.poll(() => isVisible(page, '#hero')).toBe(true);
    expect((await seen(page)).map((view) => view.cached)).toEqual([true]);
    expect(await shown(page)).toEqual(['First answer']);
  });

  test('reset clears the cache', async ({ open, tab: page, emulator, server }) => {
    const key = storageKeys(server.apiUrl).cache;
    await firstView(open, emulator);
    expect(await stored(page, key)).not.toBeNull();
    expect(await call(page, 'reset')).toEqual({ ok: true });
    expect(await stored(page, key)).toBeNull();
    emulator.setFault(answer(hero('After reset'), { delayMs: 800 }));
    await page.reload();
    await expect.poll(() => textOf(page, '#hero h2')).toBe('After reset');
    expect((await seen(page)).map((view) => view.cached)).toEqual([false]);
    expect(await shown(page)).toEqual(['After reset']);
  });

  test('consent denied clears it, later or at init; pending does not show it', async ({ open, tab: page, emulator, server, posts }) => {
    const key = storageKeys(server.apiUrl).cache;
    // denied later
    await firstView(open, emulator);
    expect(await call(page, 'consent', 'denied')).toEqual({ ok: true });
    expect(await stored(page, key)).toBeNull();

    // pending: the stored answer stays, but is not shown, and nothing is sent
    await firstView(open, emulator);
    const sent = posts().length;
    await open(cachePage({ consent: 'pending' }));
    await page.waitForTimeout(500);
    expect(await seen(page)).toEqual([]);
    expect(await shown(page)).toEqual([]);
    expect(posts()).toHaveLength(sent);
    expect(await stored(page, key)).toMatchObject({ '/cached-a': { offers: hero('First answer') } });

    // denied at init: the stored answer goes, and is not shown
    await open(cachePage({ consent: 'denied' }));
    expect(await stored(page, key)).toBeNull();
    await page.waitForTimeout(300);
    expect(await seen(page)).toEqual([]);
    expect(await shown(page)).toEqual([]);
    expect(posts()).toHaveLength(sent);
  });

  test('an expired entry is not used', async ({ open, tab: page, emulator, server }) => {
    const key = storageKeys(server.apiUrl).cache;
    await firstView(open, emulator, { cache: { ttl: 1 } });
    expect(await stored(page, key)).toMatchObject({ '/cached-a': { offers: hero('First answer') } });
    await page.waitForTimeout(1100);
    emulator.setFault(answer(hero('Fresh answer'), { delayMs: 800 }));
    await page.reload();
    await expect.poll(() => textOf(page, '#hero h2')).toBe('Fresh answer');
    expect((await seen(page)).map((view) => view.cached)).toEqual([false]);
    expect(await shown(page)).toEqual(['Fresh answer']);
  });
});
