/**
 * Measurement (`measure: true`, issue 25) in every engine: a viewable impression is recorded once an offer's place
 * has had at least half its pixels in view for a continuous second in a visible tab (the MRC/IAB display rule),
 * once per offer per page view; clicks and dismissals; a holdout group that is shown nothing yet measured; a
 * frequency cap; `p13n_exposures` on later tracks. The events are the emulator's POSTs, as TD would receive them.
 */
import { call, config, expect, test, type LogEntry, type Tab } from './fixtures';
import { answer, offer } from './pages';

const KEY = 'td_in_browser.message_json';
type Body = Record<string, any>;

/** The measurement events the emulator received, oldest first. */
const measured = (posts: () => LogEntry[], event?: string) =>
  posts()
    .map((entry) => entry.body as Body)
    .filter((body) => /^p13n_/.test(body.event) && (!event || body.event == event));
const impressions = (posts: () => LogEntry[]) => measured(posts, 'p13n_impression').flatMap((body) => body.p13n_offers as string[]);
const pageViews = (posts: () => LogEntry[]) => posts().filter((entry) => !(entry.body as Body).event);

/** A page with a slot in view (`hero`) and one far below the fold (`footer`), the tag measuring. */
const PAGE = (extra: Record<string, unknown> = {}) => ({
  head: `<style>body { margin: 0 } section { height: 200px; background: #eee }</style>
    <script src="{{TAG}}"></script><script>p13n('init', ${config({ measure: true, ...extra })})</script>`,
  body: `<section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2><a id="hero-link" href="/next">Go</a></section>
    <div style="height: 3000px"></div>
    <section id="footer" data-p13n-offer="footer" hidden><h2 data-p13n-attr="headline">Default</h2></section>`,
});
const OFFERS = { hero: offer({ headline: 'Spring sale' }), footer: offer({ headline: 'Free shipping' }) };
/** Every request of the test answered with `offers`: page views, and the measurement events, whose answers are not read. */
const always = (offers: Record<string, unknown>) => {
  const { times: _once, ...fault } = answer(offers);
  return { ...fault, forMs: 120_000 };
};

/** Makes the page's tab hidden or visible, as the browser would when the visitor switches tabs. */
const setVisible = (tab: Tab, visible: boolean) =>
  tab.evaluate((visible) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (visible ? 'visible' : 'hidden') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !visible });
    document.dispatchEvent(new Event('visibilitychange'));
  }, visible);
const scrollTo = (tab: Tab, selector: string | null) =>
  tab.evaluate((selector) => (selector ? document.querySelector(selector)!.scrollIntoView() : window.scrollTo(0, 0)), selector);

test.describe('viewable impressions', () => {
  test('an offer in view for a second is one impression; one below the fold is none until scrolled to', async ({ open, emulator, posts }) => {
    emulator.setFault(answer(OFFERS));
    const tab = await open(PAGE());
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero']);
    const [first] = measured(posts, 'p13n_impression');
    const [view] = pageViews(posts);
    expect(first).toMatchObject({ p13n_view: view.body.uuid, p13n_group: 'treated', td_client_id: view.body.td_client_id, td_path: '/test' });
    expect(first.uuid).toMatch(/^[0-9a-f-]{36}$/);
    // the footer was never in view: nothing for it
    await tab.waitForTimeout(1500);
    expect(impressions(posts)).toEqual(['hero']);
    await scrollTo(tab, '#footer');
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero', 'footer']);
    // once per offer per page view: back and forth counts nothing more
    await scrollTo(tab, null);
    await tab.waitForTimeout(1500);
    await scrollTo(tab, '#footer');
    await tab.waitForTimeout(3500);
    expect(impressions(posts)).toEqual(['hero', 'footer']);
  });

  test('less than a second in view, or in view in a hidden tab, is no impression', async ({ open, emulator, posts }) => {
    emulator.setFault(answer(OFFERS));
    const tab = await open({ ...PAGE(), path: '/test' });
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero']);
    await scrollTo(tab, '#footer');
    await tab.waitForTimeout(400);
    await scrollTo(tab, null);
    await tab.waitForTimeout(3000);
    expect(impressions(posts)).toEqual(['hero']);
    // in view, but the tab is hidden: the second waits for the tab to come back
    await setVisible(tab, false);
    await scrollTo(tab, '#footer');
    await tab.waitForTimeout(3000);
    expect(impressions(posts)).toEqual(['hero']);
    await setVisible(tab, true);
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero', 'footer']);
  });

  test('offers in view together are one request; a new page view counts again, a re-render of one answer does not', async ({ open, emulator, posts }) => {
    emulator.setFault(always(OFFERS));
    const tab = await open({
      head: PAGE().head,
      body: `<section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2></section>
        <section data-p13n-offer="footer" hidden><h2 data-p13n-attr="headline">Default</h2></section>`,
    });
    await expect.poll(() => measured(posts, 'p13n_impression').length, { timeout: 10_000 }).toBe(1);
    expect(impressions(posts).sort()).toEqual(['footer', 'hero']);
    // the page re-renders the slot (a framework's update): the same answer, no new impression
    await tab.evaluate(() => {
      const slot = document.querySelector('[data-p13n-offer="hero"]')!;
      slot.replaceWith(slot.cloneNode(true));
    });
    await tab.waitForTimeout(3500);
    expect(measured(posts, 'p13n_impression')).toHaveLength(1);
    // a new page of the same visitor: counted again, under its own view
    await tab.reload();
    await expect.poll(() => measured(posts, 'p13n_impression').length, { timeout: 10_000 }).toBe(2);
    const [one, two] = measured(posts, 'p13n_impression');
    expect(one.p13n_view).not.toBe(two.p13n_view);
    expect(pageViews(posts).map((entry) => entry.body.uuid)).toEqual([one.p13n_view, two.p13n_view]);
  });
});

test.describe('clicks, dismissals and conversions', () => {
  // on an https page too: there the delivery module has Web Locks, and a page left while one was awaited lost the event
  for (const secure of [false, true]) {
    test(`a click on a link of an offer that leaves the page at once is delivered (${secure ? 'https' : 'http'})`, async ({ open, emulator, posts, server }) => {
      server.pages.set('/next', { headers: {}, body: '<!doctype html><title>Next</title><p>Next page</p>' });
      emulator.setFault(always(OFFERS));
      const tab = await open({ ...PAGE(), secure });
      expect(await tab.evaluate(() => isSecureContext)).toBe(secure);
      await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero']);
      await tab.click('#hero-link');
      await expect.poll(() => measured(posts, 'p13n_click').map((body) => body.p13n_offers), { timeout: 10_000 }).toEqual([['hero']]);
      await tab.waitForFunction(() => location.pathname == '/next');
      const [view] = pageViews(posts);
      expect(measured(posts, 'p13n_click')[0]).toMatchObject({ p13n_view: view.body.uuid, p13n_group: 'treated' });
    });
  }

  test("a modal closed without a click is a dismissal; a later track names the offers seen", async ({ open, emulator, posts }) => {
    emulator.setFault(answer({ welcome: offer({ [KEY]: JSON.stringify({ type: 'modal', content_html: '<h2>Welcome</h2><p>Ten percent off</p>' }) }) }));
    const tab = await open(PAGE());
    await tab.waitForFunction(() => !!document.querySelector('p13n-modal'));
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['welcome']);
    await tab.press('Escape');
    await expect.poll(() => measured(posts, 'p13n_dismiss').map((body) => body.p13n_offers), { timeout: 10_000 }).toEqual([['welcome']]);
    await call(tab, 'track', { event: 'purchase', value: 42 });
    const purchase = posts().map((entry) => entry.body as Body).find((body) => body.event == 'purchase')!;
    expect(purchase.p13n_exposures).toEqual(['welcome']);
  });
});

test.describe('holdout and caps', () => {
  test('the control group is shown nothing, its page code told why, and is measured where the place has a box', async ({ open, emulator, posts }) => {
    // with holdout 0.99 nearly every visitor is in the control group; this one is (its id draws 0.78)
    const clientId = 'holdout-visitor-1';
    emulator.setFault(answer(OFFERS));
    const tab = await open({
      head: `<script>window.results = []; document.addEventListener('p13n:offers', function (e) { results.push(e.detail) })</script>` + PAGE({ holdout: 0.99, clientId }).head,
      body: `<section data-p13n-offer="hero"><h2 data-p13n-attr="headline">Default</h2></section>`,
    });
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero']);
    expect(measured(posts, 'p13n_impression')[0]).toMatchObject({ p13n_group: 'holdout' });
    expect(pageViews(posts)[0].body.p13n_group).toBe('holdout');
    // its default stayed: not filled, not hidden
    expect(await tab.evaluate(() => document.querySelector('[data-p13n-offer="hero"] h2')!.textContent)).toBe('Default');
    expect(await tab.evaluate(() => (window as any).results.map((detail: any) => [detail.names, detail.holdout]))).toEqual([[[], true]]);
  });

  test('the group is stable per visitor, and splits visitors at the share asked', async ({ open, posts, emulator, server }) => {
    // 400 visitors, each a client of the ES module with its own id, holdout 0.25: their page views carry the group
    const visitors = async (tab: Tab) => {
      await tab.evaluate(async (settings) => {
        const { createClient } = await import('/dist/p13n.mjs' as string);
        await Promise.all(Array.from({ length: 400 }, (_, i) => createClient({ ...settings, clientId: 'visitor-' + i }).init()));
      }, JSON.parse(config({ holdout: 0.25 }).replace('{{API}}', server.apiUrl)));
      await expect.poll(() => pageViews(posts).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(400);
      const groups = new Map(pageViews(posts).map((entry) => [entry.body.td_client_id as string, entry.body.p13n_group as string]));
      emulator.reset({ keepFaults: true });
      return groups;
    };
    const tab = await open({ head: '' });
    const first = await visitors(tab);
    const held = [...first.values()].filter((group) => group == 'holdout').length;
    // 400 draws of a fair 0.25: within 3 standard deviations (±26 visitors)
    expect(held).toBeGreaterThan(100 - 26);
    expect(held).toBeLessThan(100 + 26);
    expect(new Set(first.values())).toEqual(new Set(['holdout', 'treated']));
    // the same visitors on another page: every one in the same group
    await tab.reload();
    expect(await visitors(tab)).toEqual(first);
  });

  test('an offer past its cap is treated as absent', async ({ open, emulator, posts }) => {
    emulator.setFault(always({ hero: offer({ headline: 'Spring sale', p13n_cap: '2/7d' }) }));
    const tab = await open(PAGE());
    for (let seen = 1; seen <= 2; seen++) {
      await expect.poll(() => impressions(posts), { timeout: 10_000 }).toHaveLength(seen);
      await tab.reload();
    }
    await expect.poll(() => pageViews(posts).length).toBe(3);
    await tab.waitForTimeout(500);
    expect(await tab.evaluate(() => (document.querySelector('[data-p13n-offer="hero"]') as HTMLElement).hidden)).toBe(true);
    await tab.waitForTimeout(3000);
    expect(impressions(posts)).toEqual(['hero', 'hero']);
  });
});

test.describe("TD's in-browser content, an offer's own holdout, consent", () => {
  test('a replacement is measured in its target: its impression, and a click on its link', async ({ open, emulator, posts, server }) => {
    server.pages.set('/next', { headers: {}, body: '<!doctype html><title>Next</title><p>Next page</p>' });
    const replacement = JSON.stringify({ type: 'replacement', selector: '#banner', content_html: '<h2>Spring sale</h2><a id="go" href="/next">Shop now</a>' });
    emulator.setFault(answer({ banner: offer({ [KEY]: replacement }) }));
    const tab = await open({ head: PAGE().head, body: '<div id="banner" style="min-height: 100px"><p>Our own banner</p></div>' });
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['banner']);
    // the link is in the target's shadow root: the messages module tells of the click
    // clicked a task later: the evaluation returns before the page is left
    await tab.evaluate(() => void setTimeout(() => (document.querySelector('#banner')!.shadowRoot!.querySelector('#go') as HTMLElement).click()));
    await expect.poll(() => measured(posts, 'p13n_click').map((body) => body.p13n_offers), { timeout: 10_000 }).toEqual([['banner']]);
  });

  test("an offer's own p13n_holdout keeps its place as it was, tells the page why, and measures the would-be impression", async ({ open, emulator, posts }) => {
    // 'visitor-3 hero' draws 0.21 (FNV-1a): within the offer's holdout of 0.5; footer has none
    emulator.setFault(answer({ hero: offer({ headline: 'Spring sale', p13n_holdout: 0.5 }), footer: offer({ headline: 'Free shipping' }) }));
    const tab = await open({
      head: `<script>window.results = []; document.addEventListener('p13n:offers', function (e) { results.push(e.detail) })</script>` + PAGE({ clientId: 'visitor-3' }).head,
      body: `<section data-p13n-offer="hero"><h2 data-p13n-attr="headline">Default</h2></section>
        <section data-p13n-offer="footer" hidden><h2 data-p13n-attr="headline">Default</h2></section>`,
    });
    await expect.poll(() => measured(posts, 'p13n_impression').length, { timeout: 10_000 }).toBe(2);
    const groups = Object.fromEntries(measured(posts, 'p13n_impression').map((body) => [body.p13n_group, body.p13n_offers]));
    expect(groups).toEqual({ holdout: ['hero'], treated: ['footer'] });
    expect(await tab.evaluate(() => [...document.querySelectorAll('h2')].map((h) => h.textContent))).toEqual(['Default', 'Free shipping']);
    expect(await tab.evaluate(() => (window as any).results.map((detail: any) => [detail.names, detail.holdout]))).toEqual([[['footer'], true]]);
  });

  test('consent denied stops measuring and removes the impression records; measure: false loads and stores nothing', async ({ open, emulator, posts, server }) => {
    emulator.setFault(always(OFFERS));
    const tab = await open(PAGE());
    await expect.poll(() => impressions(posts), { timeout: 10_000 }).toEqual(['hero']);
    const kept = () => tab.evaluate(() => Object.keys(localStorage).filter((key) => /^p13n:(seen|impressions):/.test(key)).sort());
    expect(await kept()).toEqual([`p13n:impressions:${server.apiUrl}/demo_db/pageviews`, `p13n:seen:${server.apiUrl}/demo_db/pageviews`]);
    await call(tab, 'consent', 'denied');
    expect(await kept()).toEqual([]);
    await scrollTo(tab, '#footer');
    await tab.waitForTimeout(3500);
    expect(impressions(posts)).toEqual(['hero']);

    // the same page without measure: no module, no listener, nothing kept
    await open({ ...PAGE({ measure: false }), path: '/plain' });
    await expect.poll(() => pageViews(posts).length).toBe(2);
    await tab.waitForTimeout(2500);
    expect(await tab.evaluate(() => document.querySelectorAll('script[src*="p13n-measure"]').length)).toBe(0);
    expect(await kept()).toEqual([]);
    expect(impressions(posts)).toEqual(['hero']);
  });
});

