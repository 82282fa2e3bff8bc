/**
 * The measure module's decisions, which no browser is needed for: what the page is shown of an answer (the control
 * group, an offer's own holdout, a frequency cap), what is kept of the visitor's impressions, and the caps as TD's
 * offer attribute writes them. Viewability itself needs a real IntersectionObserver: e2e/measure.spec.ts, in the
 * three engines.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fraction } from '../../core/group';
import { readConfig, type Settings } from '../../core/config';
import { exposuresKey } from '../../seam';
import createMeasure from './index';
import { createRecords, MAX_EXPOSURES, parseCap } from './records';

const CONFIG = { database: 'shop_db', table: 'pageviews', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32) };
const settingsOf = (extra: object) => readConfig({ ...CONFIG, ...extra }) as Settings;
const SETTINGS = settingsOf({ measure: true });
const DAY = 864e5;
const OFFERS = { hero: { attributes: { headline: 'Spring sale' } }, footer: { attributes: { headline: 'Free shipping' } } };

/** A module with a kit whose requests are kept, for visitor `id`. */
function measure(settings: Settings, id = 'visitor-1') {
  const requests: Record<string, unknown>[] = [];
  const module = createMeasure({ request: (attributes) => requests.push(attributes), clientId: () => id, fraction }, settings);
  modules.push(module);
  return { module, requests };
}
const modules: { clear(): void }[] = [];

beforeEach(() => {
  localStorage.clear();
  // happy-dom has no IntersectionObserver of its own: one that never reports keeps viewability out of these tests
  vi.stubGlobal('IntersectionObserver', class {
    observe() {}
    unobserve() {}
    disconnect() {}
  });
});
afterEach(() => {
  modules.splice(0).forEach((module) => module.clear());
});

describe('parseCap', () => {
  it.each([
    ['3/7d', [3, 7]],
    [' 1 / 30 d ', [1, 30]],
    ['2/0.5d', [2, 0.5]],
  ])('reads %j', (cap, read) => expect(parseCap(cap)).toEqual(read));

  it.each([['3'], ['3/7'], ['3/7h'], ['x/7d'], [3], [null], [{}]])('refuses %j: no cap at all', (cap) => expect(parseCap(cap)).toBeUndefined());
});

describe('what the page is shown of an answer', () => {
  it('everything, when no holdout or cap applies', () => {
    const { module } = measure(SETTINGS);
    expect(module.answer(OFFERS, 'view-1', true)).toEqual([OFFERS]);
  });

  it('nothing in the control group, with the holdout flag; everything to the others', () => {
    const share = 0.5;
    const held = Array.from({ length: 40 }, (_, i) => 'v' + i).filter((id) => fraction(id) < share);
    const treated = Array.from({ length: 40 }, (_, i) => 'v' + i).filter((id) => fraction(id) >= share);
    expect(held.length).toBeGreaterThan(5);
    expect(treated.length).toBeGreaterThan(5);
    expect(measure(settingsOf({ measure: true, holdout: share }), held[0]).module.answer(OFFERS, 'view-1', true)).toEqual([{}, true]);
    expect(measure(settingsOf({ measure: true, holdout: share }), treated[0]).module.answer(OFFERS, 'view-1', true)).toEqual([OFFERS]);
  });

  it("an offer's own p13n_holdout takes that offer out for the visitors it draws, by the visitor and the offer's name", () => {
    const offers = { ...OFFERS, hero: { attributes: { headline: 'Spring sale', p13n_holdout: 0.5 } } };
    const ids = Array.from({ length: 200 }, (_, i) => 'v' + i);
    const withheld = ids.filter((id) => measure(SETTINGS, id).module.answer(offers, 'view-1', true)[1]);
    expect(withheld).toEqual(ids.filter((id) => fraction(id + ' hero') < 0.5));
    expect(withheld.length).toBeGreaterThan(70);
    expect(withheld.length).toBeLessThan(130);
    const [shown, holdout] = measure(SETTINGS, withheld[0]).module.answer(offers, 'view-1', true);
    expect([Object.keys(shown), holdout]).toEqual([['footer'], true]);
  });

  it('an offer past its p13n_cap is absent, with no holdout flag; one within it is shown', () => {
    const records = createRecords(SETTINGS);
    records.add(['hero'], true, Date.now() - 2 * DAY);
    records.add(['hero'], true, Date.now() - 1 * DAY);
    const capped = { ...OFFERS, hero: { attributes: { headline: 'Spring sale', p13n_cap: '2/7d' } } };
    expect(measure(SETTINGS).module.answer(capped, 'view-1', true)).toEqual([{ footer: OFFERS.footer }]);
    // a cap of 3, or a window the impressions are out of, lets it through
    const three = { ...OFFERS, hero: { attributes: { headline: 'Spring sale', p13n_cap: '3/7d' } } };
    expect(Object.keys(measure(SETTINGS).module.answer(three, 'view-1', true)[0])).toEqual(['hero', 'footer']);
    const hours = { ...OFFERS, hero: { attributes: { headline: 'Spring sale', p13n_cap: '2/0.5d' } } };
    expect(Object.keys(measure(SETTINGS).module.answer(hours, 'view-1', true)[0])).toEqual(['hero', 'footer']);
  });

  it('declines the rendering of a held-out slot: its place keeps what the page shows by default', () => {
    const { module } = measure(settingsOf({ measure: true, holdout: 0.99 }), 'v0');
    module.answer(OFFERS, 'view-1', true);
    const slot = document.createElement('section');
    document.body.append(slot);
    const render = (name: string) => slot.dispatchEvent(new CustomEvent('p13n:render', { bubbles: true, cancelable: true, detail: { name } }));
    expect(render('hero')).toBe(false);
    expect(render('other')).toBe(true);
    slot.remove();
  });
});

describe('the impression records', () => {
  const seen = () => JSON.parse(localStorage.getItem(exposuresKey(SETTINGS)) || 'null');

  it('name each offer seen once, most recent first, until the attribution window ends', () => {
    const records = createRecords(settingsOf({ attribution: 2 }));
    const now = Date.now();
    records.add(['hero'], true, now - 3000);
    records.add(['footer'], true, now - 2000);
    records.add(['hero'], true, now - 1000);
    expect(seen()).toEqual([
      ['hero', now - 1000 + 2 * DAY],
      ['footer', now - 2000 + 2 * DAY],
    ]);
    // two days on, the first impressions are out of the window
    records.add(['banner'], true, now + 2 * DAY - 1500);
    expect(seen().map(([name]: [string]) => name)).toEqual(['banner', 'hero']);
  });

  it(`keep at most ${MAX_EXPOSURES} offers, and count held-out impressions as seen but never against a cap`, () => {
    const records = createRecords(SETTINGS);
    for (let i = 0; i < 15; i++) records.add(['offer' + i], true);
    expect(seen()).toHaveLength(MAX_EXPOSURES);
    records.add(['held'], false);
    expect(seen()[0][0]).toBe('held');
    expect(records.count('held', 7)).toBe(0);
    expect(records.count('offer3', 7)).toBe(1);
  });

  it('read back whatever a page left in storage, and write what reads back beside a Prototype.js Array#toJSON', () => {
    localStorage.setItem(exposuresKey(SETTINGS), '{"not":"a list"}');
    localStorage.setItem('p13n:impressions:' + SETTINGS.url, '[1,2]');
    const toJSON = vi.fn(function (this: unknown[]) {
      return JSON.stringify(this.slice());
    });
    (Array.prototype as { toJSON?: unknown }).toJSON = toJSON;
    try {
      const records = createRecords(SETTINGS);
      records.add(['hero'], true);
      expect(records.count('hero', 1)).toBe(1);
      expect(seen().map(([name]: [string]) => name)).toEqual(['hero']);
    } finally {
      delete (Array.prototype as { toJSON?: unknown }).toJSON;
    }
  });

  it('go with a refusal of consent', () => {
    const { module } = measure(SETTINGS);
    createRecords(SETTINGS).add(['hero'], true);
    module.clear();
    expect(Object.keys(localStorage).filter((key) => key.startsWith('p13n:'))).toEqual([]);
  });
});
