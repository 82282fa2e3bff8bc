import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// happy-dom has no Element.setHTML, and a DOM that DOMPurify cannot sanitize in: the sanitizer is tested in the
// browsers (e2e/messages.spec.ts); here it is a stand-in that parses and keeps everything
vi.mock('../modules/purify', () => ({
  default: (html: string) => {
    const template = document.createElement('template');
    template.innerHTML = html;
    return template.content;
  },
}));
import { createClient, MAX_EVENT_BYTES, MAX_HELD, VERSION } from './client';
import { readConfig } from './config';
import { ROUTE_SETTLE_MS } from '../modules/spa';
import type { Client } from '../types';
import * as loader from './load';
import { storedEvents, storeEvents } from '../modules/delivery/outbox.testing';
import type { Entry } from '../seam';
import pkg from '../../package.json';

const KEY = '1/' + 'a'.repeat(40);
const TOKEN = '1/2/' + 'b'.repeat(32);
const CONFIG = { database: 'shop_db', table: 'pageviews', apiKey: KEY, token: TOKEN };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Call = { url: string; init: RequestInit; body: Record<string, unknown> };
let calls: Call[];
let answer: () => Response | Promise<Response>;

beforeEach(() => {
  localStorage.clear(); // the outbox of track() lives there
  calls = [];
  answer = () => json(200, { offers: { hero: { attributes: { headline: 'Hi' } } } });
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init, body: JSON.parse(init.body as string) });
    return answer();
  }));
  for (const domain of ['', '; domain=shop.test']) document.cookie = '_td=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/' + domain;
});
afterEach(() => {
  vi.useRealTimers();
});

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
/** Lets init's microtask, the page view and the fake fetch settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
/** The details of `p13n:{type}` DOM events seen during each test of the calling describe block. */
function listen(type: string) {
  const seen: unknown[] = [];
  const listener = (event: Event) => seen.push((event as CustomEvent).detail);
  beforeEach(() => {
    seen.length = 0;
    document.addEventListener('p13n:' + type, listener);
  });
  afterEach(() => document.removeEventListener('p13n:' + type, listener));
  return seen;
}

describe('createClient', () => {
  it('carries the package version', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('sends one page view after init with the contract request', async () => {
    const client = createClient(CONFIG);
    expect(await client.init()).toEqual({ ok: true });
    await settle();
    expect(calls).toHaveLength(1);
    const [{ url, init, body }] = calls;
    expect(url).toBe('https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews');
    expect(init).toMatchObject({ method: 'POST', mode: 'cors', credentials: 'omit' });
    expect(init.headers).toEqual({
      'Content-Type': 'application/vnd.treasuredata.v1+json',
      Accept: 'application/vnd.treasuredata.v1+json',
      Authorization: 'TD1 ' + KEY,
      'WP13n-Token': TOKEN,
    });
    expect(body.td_client_id).toMatch(UUID);
    expect(body.uuid).toMatch(UUID);
    expect(body.uuid).not.toBe(body.td_client_id);
    expect(body.td_url).toBe('http://www.shop.test/home?q=1');
    expect(body.td_path).toBe('/home');
    expect(body.td_version).toBe(VERSION);
    expect(Number.isInteger(body.time)).toBe(true);
    expect(Math.abs((body.time as number) - Date.now() / 1000)).toBeLessThan(5);
    expect(Object.keys(body)[0]).toBe('td_client_id');
  });

  it('sends no page view with pageview: false', async () => {
    await createClient({ ...CONFIG, pageview: false }).init();
    await settle();
    expect(calls).toHaveLength(0);
  });

  it('merges attributes init < set < call, and set(null) removes a key', async () => {
    const client = createClient({ ...CONFIG, pageview: false, attributes: { a: 'init', b: 'init', c: 'init' } });
    await client.set({ b: 'set', c: 'set', d: 'set' });
    await client.personalize({ c: 'call' });
    await client.set({ d: null });
    await client.personalize();
    expect(calls[0].body).toMatchObject({ a: 'init', b: 'set', c: 'call', d: 'set' });
    expect(calls[1].body).toMatchObject({ a: 'init', b: 'set', c: 'set' });
    expect(calls[1].body).not.toHaveProperty('d');
  });

  it('keeps the client id across calls and shares the _td cookie', async () => {
    document.cookie = '_td=4b1c2a3e-1111-4222-8333-444455556666; path=/; domain=shop.test';
    const client = createClient({ ...CONFIG, pageview: false });
    await client.personalize();
    expect(calls[0].body.td_client_id).toBe('4b1c2a3e-1111-4222-8333-444455556666');
    expect(await client.clientId()).toBe('4b1c2a3e-1111-4222-8333-444455556666');
  });

  it('reset gives a new id, writes it, and forgets set attributes', async () => {
    const client = createClient({ ...CONFIG, pageview: false });
    const before = await client.clientId();
    await client.set({ email: 'a@b.example' });
    expect(await client.reset()).toEqual({ ok: true });
    const after = await client.clientId();
    expect(after).toMatch(UUID);
    expect(after).not.toBe(before);
    expect(document.cookie).toContain('_td=' + after);
    await client.personalize();
    expect(calls[0].body.td_client_id).toBe(after);
    expect(calls[0].body).not.toHaveProperty('email');
  });

  describe('results and events', () => {
    const offers = listen('offers');
    const errors = listen('error');
    const ready = listen('ready');

    it('resolves offers and gives the same detail to the event, handlers and callback', async () => {
      const onOffers = vi.fn();
      const client = createClient({ ...CONFIG, pageview: false, onOffers });
      const handler = vi.fn();
      await client.on('offers', handler);
      const result = await client.personalize();
      expect(result).toEqual({ ok: true, status: 200, offers: { hero: { attributes: { headline: 'Hi' } } }, uuid: calls[0].body.uuid });
      expect(offers).toHaveLength(1);
      expect(offers[0]).toEqual({ offers: result.offers, names: ['hero'], uuid: result.uuid, status: 200 });
      expect(handler).toHaveBeenCalledWith(offers[0]);
      expect(onOffers.mock.calls[0][0]).toBe(offers[0]);
      expect(ready).toEqual([{ clientId: await client.clientId() }]);
    });

    it('a 200 without payload is success with no offers, and still emits p13n:offers', async () => {
      answer = () => new Response('', { status: 200 });
      const result = await createClient({ ...CONFIG, pageview: false }).personalize();
      expect(result).toMatchObject({ ok: true, status: 200, offers: {} });
      expect(offers).toEqual([expect.objectContaining({ offers: {}, names: [] })]);
    });

    it('an API error resolves (never rejects) and emits p13n:error with the uuid', async () => {
      answer = () => json(400, { code: 3001, message: 'RT token is not in configuration.' });
      const onError = vi.fn();
      const result = await createClient({ ...CONFIG, pageview: false, onError }).personalize();
      expect(result).toEqual({
        ok: false,
        offers: {},
        uuid: calls[0].body.uuid,
        error: { code: 3001, status: 400, message: 'RT token is not in configuration.', retryable: false },
      });
      expect(calls).toHaveLength(1);
      expect(errors).toEqual([{ error: result.ok ? null : result.error, uuid: result.uuid }]);
      expect(onError).toHaveBeenCalledWith(errors[0]);
    });

    it('a handler that throws does not stop the others or reach the page', async () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
      const client = createClient({ ...CONFIG, pageview: false });
      const second = vi.fn();
      await client.on('offers', () => {
        throw new Error('page bug');
      });
      await client.on('offers', second);
      await expect(client.personalize()).resolves.toMatchObject({ ok: true });
      expect(second).toHaveBeenCalledTimes(1);
      expect(consoleError).toHaveBeenCalledWith('p13n: a handler threw', expect.any(Error));
    });
  });

  describe('refusals', () => {
    const errors = listen('error');

    it('a bad config resolves a config error, logs once, emits it, and sends nothing', async () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
      const client = createClient({ ...CONFIG, database: 'Bad-Name' });
      const outcome = await client.init();
      expect(outcome).toMatchObject({ ok: false, error: { code: 'config' } });
      expect(outcome.error!.message).toContain('database');
      expect(consoleError).toHaveBeenCalledTimes(1);
      expect(consoleError).toHaveBeenCalledWith(outcome.error!.message);
      expect(errors).toEqual([{ error: outcome.error }]);
      expect(await client.personalize()).toMatchObject({ ok: false, error: { code: 'config' } });
      expect(await client.clientId()).toBeUndefined();
      await settle();
      expect(calls).toHaveLength(0);
    });

    it('refuses attributes that are not an object, and circular ones, without sending', async () => {
      const client = createClient({ ...CONFIG, pageview: false });
      const circular: Record<string, unknown> = { a: 1 };
      circular.self = circular;
      for (const bad of ['text', [1, 2], 42, circular]) {
        expect(await client.personalize(bad as never)).toMatchObject({ ok: false, error: { code: 'invalid_event' } });
      }
      expect(calls).toHaveLength(0);
      expect(errors).toHaveLength(4);
    });

    it('refuses on/off/set misuse with a usage error', async () => {
      const client = createClient({ ...CONFIG, pageview: false });
      expect(await client.on('offer' as 'offers', () => {})).toMatchObject({ ok: false, error: { code: 'usage' } });
      expect(await client.on('offers', 'fn' as never)).toMatchObject({ ok: false, error: { code: 'usage' } });
      expect(await client.set('x' as never)).toMatchObject({ ok: false, error: { code: 'usage' } });
    });
  });

  it('keeps arrays as arrays on a page whose Array.prototype.toJSON was replaced', async () => {
    const proto = Array.prototype as unknown as { toJSON?: () => string };
    proto.toJSON = function () {
      return JSON.stringify(Array.from(this as unknown as unknown[]));
    };
    try {
      await createClient({ ...CONFIG, pageview: false }).personalize({ list: ['a', 'b'], drop: () => 1 });
    } finally {
      delete proto.toJSON;
    }
    expect(calls[0].body.list).toEqual(['a', 'b']);
    expect(calls[0].body).not.toHaveProperty('drop');
  });

  it('a track and a personalize made at once reach fetch in that order: the offers can see the event', async () => {
    const client = createClient({ ...CONFIG, pageview: false });
    await Promise.all([client.track({ step: 1 }), client.personalize({ step: 2 }), client.track({ step: 3 })]);
    expect(calls.map((call) => call.body.step)).toEqual([1, 2, 3]);
  });

  describe('the size limit', () => {
    /** Attributes whose event is `bytes` of JSON: the page view's own fields, then a padding string. */
    async function eventOf(bytes: number, unit = 'x') {
      await createClient({ ...CONFIG, pageview: false }).personalize({ pad: '' });
      const base = new TextEncoder().encode(JSON.stringify(calls.pop()!.body)).length;
      const count = Math.floor((bytes - base) / new TextEncoder().encode(unit).length);
      return { pad: unit.repeat(count) };
    }

    it(`refuses an event over ${MAX_EVENT_BYTES} bytes with too_large, names both sizes, and sends nothing`, async () => {
      const client = createClient({ ...CONFIG, pageview: false });
      for (const call of [client.personalize, client.track]) {
        const result = await call(await eventOf(MAX_EVENT_BYTES + 10));
        expect(result).toMatchObject({ ok: false, error: { code: 'too_large' } });
        expect(result.ok || result.error.message).toMatch(new RegExp(`the event is 6\\d{4} bytes of JSON; at most ${MAX_EVENT_BYTES} fit`));
      }
      expect(calls).toHaveLength(0);
      // nothing stored for later either: the one key is the cookie's domain, found when the id was written
      expect(Object.keys(localStorage)).toEqual(['p13n:domain']);
    });

    it('counts UTF-8 bytes, not characters, and sends an event at the limit whole', async () => {
      const client = createClient({ ...CONFIG, pageview: false });
      // 3 bytes a character: under the limit in characters, over it in bytes
      expect(await client.personalize(await eventOf(MAX_EVENT_BYTES + 30, '€'))).toMatchObject({ error: { code: 'too_large' } });
      const whole = await eventOf(MAX_EVENT_BYTES - 2);
      expect(await client.personalize(whole)).toMatchObject({ ok: true });
      expect(calls[0].body.pad).toBe(whole.pad); // not truncated
      expect(new TextEncoder().encode(calls[0].init.body as string).length).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    });
  });

  it('track sends with keepalive and resolves with no offers', async () => {
    const result = await createClient({ ...CONFIG, pageview: false }).track({ event: 'add_to_cart' });
    expect(calls[0].init.keepalive).toBe(true);
    expect(calls[0].body.event).toBe('add_to_cart');
    expect(result).toEqual({ ok: true, status: 200, offers: {}, uuid: calls[0].body.uuid });
  });

  it('retries keep one uuid and report the last real error', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    answer = () => json(500, { code: 9999, message: 'unknown' });
    const result = await createClient({ ...CONFIG, pageview: false }).personalize();
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((call) => call.body.uuid)).size).toBe(1);
    expect(result).toMatchObject({ ok: false, error: { code: 9999, status: 500, retryable: true } });
  });

  it('debug logs the request and response with the key masked', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await createClient({ ...CONFIG, pageview: false, debug: true }).personalize();
    const text = JSON.stringify(log.mock.calls);
    expect(log).toHaveBeenCalledTimes(2);
    expect(text).toContain('TD1 1/****');
    expect(text).not.toContain('a'.repeat(40));
    expect(text).not.toContain('b'.repeat(32));
    expect(calls[0].url).not.toContain(KEY);
  });

  it('a first-party proxy endpoint sends no credentials, and the page\'s own cookies (its connection)', async () => {
    await createClient({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n', pageview: false }).personalize();
    expect(calls[0].url).toBe('http://www.shop.test/p13n/shop_db/pageviews');
    expect(calls[0].init.headers).not.toHaveProperty('Authorization');
    expect(calls[0].init.headers).not.toHaveProperty('WP13n-Token');
    expect(calls[0].init).toMatchObject({ mode: 'cors', credentials: 'same-origin' });
  });

  it('a track to a first-party proxy goes with same-origin credentials too; to another origin with none', async () => {
    await createClient({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n', pageview: false }).track({ event: 'a' });
    await createClient({ ...CONFIG, table: 'events', pageview: false }).track({ event: 'b' });
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    const by = (path: string) => calls.find((call) => call.url.includes(path))!.init;
    expect(by('/p13n/shop_db/pageviews')).toMatchObject({ keepalive: true, credentials: 'same-origin' });
    expect(by('/public/shop_db/events')).toMatchObject({ keepalive: true, credentials: 'omit' });
  });

  it('never rejects, even when fetch throws synchronously', async () => {
    vi.stubGlobal('fetch', () => {
      throw new TypeError('blocked by an extension');
    });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const result = await createClient({ ...CONFIG, pageview: false, timeout: 2000 }).personalize();
    expect(result).toMatchObject({ ok: false, error: { code: 'network', retryable: true } });
  });
});

describe('consent', () => {
  const errors = listen('error');
  const ready = listen('ready');
  const cookieNames = () => document.cookie.split('; ').filter(Boolean).map((pair) => pair.split('=')[0]);
  const OUTBOX = 'p13n:https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews';

  describe("'tcf'", () => {
    /** The tcf module, as loaded: it hands the core its `decide`, here kept for the test to call. */
    function tcfModule() {
      const heard: { options?: unknown; decide?: (decision: 'granted' | 'denied') => void } = {};
      const read = (options: unknown, decide: typeof heard.decide) => Object.assign(heard, { options, decide });
      const load = vi.spyOn(loader, 'load').mockImplementation(((name: string) => (name == 'tcf' ? Promise.resolve(read) : Promise.reject('no'))) as never);
      return { heard, load };
    }

    it('is pending until the tcf module decides; its decisions apply as the page\'s own would', async () => {
      const { heard, load } = tcfModule();
      const client = createClient({ ...CONFIG, consent: 'tcf', tcf: { vendorId: 42 } });
      const first = client.personalize({ step: 1 });
      await settle();
      expect(load.mock.calls.map((call) => call[0])).toEqual(['tcf']);
      expect(heard.options).toEqual({ vendorId: 42 });
      expect(calls).toHaveLength(0);
      expect(cookieNames()).not.toContain('_td');
      heard.decide!('granted');
      await first;
      expect(calls.map((call) => call.body.step)).toEqual([undefined, 1]);
      heard.decide!('denied');
      expect(cookieNames()).not.toContain('_td');
      expect(await client.track()).toMatchObject({ ok: false, error: { code: 'consent' } });
    });

    it('a tcf module that cannot load: a module error, and denied', async () => {
      vi.spyOn(loader, 'load').mockImplementation((() => Promise.reject('the tcf module did not load from x')) as never);
      const client = createClient({ ...CONFIG, consent: 'tcf' });
      expect(await client.personalize()).toMatchObject({ ok: false, error: { code: 'consent' } });
      expect(errors.map((detail) => (detail as { error: { code: string } }).error.code)).toContain('module');
      expect(calls).toHaveLength(0);
    });

    it('Global Privacy Control, honoured, keeps it denied: the module is not even loaded', async () => {
      Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
      try {
        const { load } = tcfModule();
        const client = createClient({ ...CONFIG, consent: 'tcf', respectGPC: true });
        expect(await client.personalize()).toMatchObject({ ok: false, error: { code: 'consent' } });
        expect(load).not.toHaveBeenCalled();
      } finally {
        delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
      }
    });

    it('tcf must be an object; consent takes tcf', () => {
      expect(readConfig({ ...CONFIG, consent: 'tcf', tcf: [1, 5] })).toMatchObject({ code: 'config', message: expect.stringContaining('config.tcf is invalid') });
      expect(readConfig({ ...CONFIG, consent: 'TCF' })).toMatchObject({ code: 'config', message: expect.stringContaining('config.consent is invalid') });
    });
  });

  it("'pending' holds every call, writes no cookie, then sends them in call order on 'granted'", async () => {
    const client = createClient({ ...CONFIG, consent: 'pending' });
    const first = client.personalize({ step: 1 });
    const second = client.track({ step: 2 });
    await settle();
    expect(calls).toHaveLength(0);
    expect(cookieNames()).not.toContain('_td');
    expect(await client.clientId()).toBeUndefined();
    expect(ready).toEqual([{ clientId: undefined }]);
    expect(await client.consent('granted')).toEqual({ ok: true });
    const [one, two] = await Promise.all([first, second]);
    expect(calls.map((call) => call.body.step)).toEqual([undefined, 1, 2]); // the page view, then the calls
    expect([one.uuid, two.uuid]).toEqual([calls[1].body.uuid, calls[2].body.uuid]);
    const id = await client.clientId();
    expect(id).toMatch(UUID);
    expect(calls.every((call) => call.body.td_client_id == id)).toBe(true);
    expect(document.cookie).toContain('_td=' + id);
  });

  it('held calls go in call order; before delivery is in, a second track waits for it, stored, while later calls go', async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', pageview: false });
    const results = [client.track({ step: 1 }), client.personalize({ step: 2 }), client.track({ step: 3 }), client.personalize({ step: 4 })];
    await client.consent('granted');
    await Promise.all(results);
    // before the delivery module is in, the second track waits for it, stored, while the calls after it go on
    expect(calls.map((call) => call.body.step)).toEqual([1, 2, 4, 3]);
  });

  it('a held call keeps the time and page it was made on', async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', pageview: false });
    await client.init();
    const made = Math.floor(Date.now() / 1000);
    const held = client.personalize();
    history.pushState(null, '', '/later');
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await client.consent('granted');
      await held;
    } finally {
      history.pushState(null, '', '/home?q=1#top');
    }
    expect(calls[0].body).toMatchObject({ td_path: '/home', time: made });
  });

  it(`holds at most ${MAX_HELD} calls, dropping the oldest with a dropped error`, async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', pageview: false });
    const results = Array.from({ length: MAX_HELD + 2 }, (_, i) => client.personalize({ i }));
    const oldest = await Promise.race([results[0], settle().then(() => 'still held')]);
    expect(oldest).toMatchObject({ ok: false, error: { code: 'dropped' } });
    await client.consent('granted');
    await Promise.all(results);
    expect(calls.map((call) => call.body.i)).toEqual(Array.from({ length: MAX_HELD }, (_, i) => i + 2));
  });

  it("'denied' sends nothing, resolves a consent error, and removes the cookie, the outbox (records and an older list) and the id", async () => {
    document.cookie = '_td=4b1c2a3e-1111-4222-8333-444455556666; path=/; domain=shop.test';
    localStorage.setItem(OUTBOX, JSON.stringify([{ id: 'old', body: '{}', tries: 0, next: 0, lease: 0 }]));
    storeEvents(OUTBOX, [{ id: 'record', body: '{}', tries: 0, next: 0, lease: 0 }]);
    localStorage.setItem(OUTBOX + '_other#kept', '{}'); // another table's outbox: not this one's to clear
    const client = createClient({ ...CONFIG, consent: 'denied' });
    expect(await client.personalize()).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(await client.track()).toMatchObject({ ok: false, error: { code: 'consent' } });
    await settle();
    expect(calls).toHaveLength(0);
    expect(cookieNames()).not.toContain('_td');
    expect(storedEvents(OUTBOX)).toEqual([]);
    expect(localStorage.getItem(OUTBOX + '_other#kept')).toBe('{}');
    localStorage.removeItem(OUTBOX + '_other#kept');
    expect(await client.clientId()).toBeUndefined();
    expect(errors.map((detail) => (detail as { error: { code: string } }).error.code)).toEqual(['consent', 'consent', 'consent']);
  });

  it("'denied' later drops what is held and ends the id; 'granted' after that starts a new one", async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', pageview: false });
    const held = client.personalize();
    await client.consent('denied');
    expect(await held).toMatchObject({ ok: false, error: { code: 'consent' } });
    await client.consent('granted');
    await client.personalize();
    expect(calls).toHaveLength(1);
    expect(document.cookie).toContain('_td=' + calls[0].body.td_client_id);
    await client.consent('denied');
    expect(cookieNames()).not.toContain('_td');
    expect(await client.clientId()).toBeUndefined();
    await client.consent('granted');
    expect(await client.clientId()).not.toBe(calls[0].body.td_client_id);
  });

  it("'granted' after 'denied' sends this page's view, which the refusal had dropped", async () => {
    const client = createClient({ ...CONFIG, consent: 'denied' });
    await client.init();
    await settle();
    expect(calls).toHaveLength(0);
    await client.consent('granted');
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0].body.td_path).toBe('/home');
  });

  it("'granted' hides the pre-hidden elements again until the held page view's answer", async () => {
    const style = () => document.getElementById('p13n-prehide');
    let release!: () => void;
    answer = () => new Promise((resolve) => (release = () => resolve(json(200, { offers: {} }))));
    const client = createClient({ ...CONFIG, consent: 'pending', prehide: '.hero', prehideTimeout: 10_000 });
    await client.init();
    style()!.remove(); // as if its timeout had shown the page while the banner waited
    await client.consent('granted');
    expect(style()).not.toBeNull();
    await settle();
    release();
    await settle();
    expect(style()).toBeNull();
  });

  it('a withdrawal hides the offers shown, also from slots added later', async () => {
    document.body.innerHTML = '<p data-p13n-offer="hero" hidden></p>';
    const client = createClient(CONFIG);
    await client.init();
    await settle();
    expect(document.querySelector<HTMLElement>('[data-p13n-offer="hero"]')!.hidden).toBe(false);
    await client.consent('denied');
    expect(document.querySelector<HTMLElement>('[data-p13n-offer="hero"]')!.hidden).toBe(true);
    document.body.insertAdjacentHTML('beforeend', '<p id="late" data-p13n-offer="hero"></p>');
    await settle();
    expect(document.querySelector<HTMLElement>('#late')!.hidden).toBe(true);
  });

  it('a refusal empties the outbox of events tracked before it', async () => {
    answer = () => json(503, {});
    const client = createClient({ ...CONFIG, pageview: false, timeout: 50 });
    await client.track({ event: 'kept for later' });
    expect(storedEvents(OUTBOX).map((entry) => JSON.parse(entry.body).event)).toEqual(['kept for later']);
    await client.consent('denied');
    await settle();
    expect(storedEvents(OUTBOX)).toEqual([]);
  });

  describe('Global Privacy Control', () => {
    beforeEach(() => Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true }));
    afterEach(() => delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl);

    it('respectGPC treats it as denied, and no banner click overrides it', async () => {
      const client = createClient({ ...CONFIG, respectGPC: true });
      expect(await client.consent('granted')).toMatchObject({ ok: false, error: { code: 'usage' } });
      expect(await client.personalize()).toMatchObject({ ok: false, error: { code: 'consent' } });
      await settle();
      expect(calls).toHaveLength(0);
      expect(cookieNames()).not.toContain('_td');
    });

    it('is ignored without respectGPC', async () => {
      await createClient(CONFIG).init();
      await settle();
      expect(calls).toHaveLength(1);
    });
  });

  it('refuses a consent value other than granted or denied', async () => {
    const client = createClient({ ...CONFIG, pageview: false });
    for (const bad of ['pending', 'yes', true, undefined, Symbol('x')]) {
      expect(await client.consent(bad as never)).toMatchObject({ ok: false, error: { code: 'usage' } });
    }
    await client.personalize();
    expect(calls).toHaveLength(1);
  });

  it("a held page view goes with the id td-js-sdk wrote to the cookie before consent came, its uuid and time kept", async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', attributes: { segment: 'vip' } });
    await client.init();
    await settle();
    // td-js-sdk, loading now in signed mode, finds no _td, makes its id and writes it
    document.cookie = '_td=42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16; path=/; domain=shop.test';
    await client.consent('granted');
    await settle();
    expect(calls).toHaveLength(1);
    const [view] = calls;
    expect(view.body).toMatchObject({ td_client_id: '42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16', segment: 'vip', uuid: expect.stringMatching(UUID) });
    expect(await client.clientId()).toBe('42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16');
    expect(document.cookie).toBe('_td=42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16');
    await client.track({ step: 1 });
    expect(calls[1].body.td_client_id).toBe('42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16');
  });

  it('an id set as an attribute is the event\'s own: a cookie td-js-sdk wrote meanwhile does not replace it', async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', attributes: { td_client_id: 'crm-7' } });
    await client.init();
    document.cookie = '_td=42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16; path=/; domain=shop.test';
    await client.consent('granted');
    await settle();
    expect(calls[0].body.td_client_id).toBe('crm-7');
  });

  it('reset while pending makes a new id without writing the cookie', async () => {
    const client = createClient({ ...CONFIG, consent: 'pending', pageview: false });
    expect(await client.reset()).toEqual({ ok: true });
    expect(cookieNames()).not.toContain('_td');
  });
});

describe('track delivery, built where it is needed', () => {
  const OUTBOX = 'p13n:https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews';
  const DELIVERY_EVENTS = ['online', 'pagehide', 'pageshow', 'storage', 'visibilitychange'];
  /** The event types listened to on window and document from now on. */
  function listenedTo() {
    const types: string[] = [];
    for (const target of [window, document]) {
      const add = target.addEventListener;
      vi.spyOn(target, 'addEventListener').mockImplementation(function (this: EventTarget, type: string, ...rest: any[]) {
        types.push(type);
        return add.call(this, type, ...(rest as [any]));
      });
    }
    return types;
  }
  const until = async (check: () => boolean) => {
    for (let waited = 0; !check() && waited < 3000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('a page that never tracks, with nothing stored, builds none: no listeners, no storage, only its page view', async () => {
    const types = listenedTo();
    await createClient(CONFIG).init();
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 50)); // past any idle-time start
    expect(calls).toHaveLength(1);
    expect(types.filter((type) => DELIVERY_EVENTS.includes(type))).toEqual([]);
    expect(localStorage.getItem(OUTBOX)).toBeNull();
  });

  it('the first track builds it, and it listens for the page being left from then on', async () => {
    const types = listenedTo();
    const client = createClient({ ...CONFIG, pageview: false });
    await client.init();
    expect(types.filter((type) => DELIVERY_EVENTS.includes(type))).toEqual([]);
    expect(await client.track({ event: 'first' })).toMatchObject({ ok: true });
    // the module's (its outbox's storage and pageshow too), and the core's own pagehide for the event it sent
    // before the module was in
    expect(types.filter((type) => DELIVERY_EVENTS.includes(type)).sort()).toEqual([...DELIVERY_EVENTS, 'pagehide', 'pageshow'].sort());
    expect(calls.map((call) => call.body.event)).toEqual(['first']);
    expect(calls[0].init.keepalive).toBe(true);
  });

  it.each([
    ['a record, as this version keeps them', (entry: Entry) => storeEvents(OUTBOX, [entry])],
    ['a list, as versions before 0.2.0 kept them', (entry: Entry) => localStorage.setItem(OUTBOX, JSON.stringify([entry]))],
  ])('events an earlier page left (%s) are sent after the page has started, in idle time', async (_, leave) => {
    const uuid = '0b7c8a52-9f7e-4c7a-a1a2-3b4c5d6e7f80';
    leave({ id: uuid, body: JSON.stringify({ event: 'left_behind', uuid }), tries: 1, next: 0, lease: 0 });
    await createClient({ ...CONFIG, pageview: false }).init();
    expect(calls).toHaveLength(0); // not during the start, which the page view and the page's own code need
    await until(() => calls.length > 0);
    expect(calls.map((call) => call.body)).toEqual([{ event: 'left_behind', uuid }]);
    await until(() => storedEvents(OUTBOX).length == 0);
    expect(Object.keys(localStorage).filter((name) => name.startsWith(OUTBOX))).toEqual([]);
  });

  it('events an earlier page left wait while consent is pending, and go on a grant', async () => {
    const uuid = '0b7c8a52-9f7e-4c7a-a1a2-3b4c5d6e7f81';
    localStorage.setItem(OUTBOX, JSON.stringify([{ id: uuid, body: JSON.stringify({ event: 'left_behind', uuid }), tries: 1, next: 0, lease: 0 }]));
    const client = createClient({ ...CONFIG, pageview: false, consent: 'pending' });
    await client.init();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toHaveLength(0);
    await client.consent('granted');
    await until(() => calls.length > 0);
    expect(calls.map((call) => call.body.event)).toEqual(['left_behind']);
  });
});

describe('single-page apps', () => {
  const home = location.href;
  const clients: Client[] = [];
  // a client lives as long as its page: each test switches off the route tracking it started
  const spaClient = (config: object) => {
    const client = createClient({ ...CONFIG, ...config });
    clients.push(client);
    // routes are watched once the spa module is in, which spa(true) waits for
    const init = client.init;
    client.init = () => init().then((outcome) => client.spa(true).then(() => outcome));
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.spa(false)));
    history.replaceState(null, '', home);
  });
  const routed = () => new Promise((resolve) => setTimeout(resolve, ROUTE_SETTLE_MS + 20));
  /** A route change as an app makes it, with the route's own title, so its view goes out after the settle. */
  const go = (path: string) => {
    document.title = path;
    history.pushState(null, '', path);
  };

  it('spa: true sends one page view per new URL, with the previous URL as td_referrer', async () => {
    const client = spaClient({ spa: true });
    await client.init();
    await settle();
    history.pushState(null, '', '/shoes');
    document.title = 'Shoes';
    await routed();
    history.pushState(null, '', '/shoes#reviews');
    history.replaceState(null, '', '/shoes');
    await routed();
    expect(calls.map((call) => call.body.td_path)).toEqual(['/home', '/shoes']);
    expect(calls[1].body).toMatchObject({ td_url: 'http://www.shop.test/shoes', td_title: 'Shoes', td_referrer: 'http://www.shop.test/home?q=1' });
  });

  it('spa(false) stops it, spa(true) starts it again from the current URL', async () => {
    const client = spaClient({ spa: true, pageview: false });
    await client.init();
    expect(await client.spa(false)).toEqual({ ok: true });
    go('/off');
    await routed();
    expect(calls).toHaveLength(0);
    await client.spa(true);
    await routed();
    expect(calls).toHaveLength(0);
    go('/on');
    await routed();
    expect(calls.map((call) => call.body.td_path)).toEqual(['/on']);
    expect(await client.spa('yes' as never)).toMatchObject({ ok: false, error: { code: 'usage' } });
  });

  it('a route change hides the pre-hidden elements at once, until its answer; a refusal hides nothing', async () => {
    const style = () => document.getElementById('p13n-prehide');
    let release!: () => void;
    answer = () => new Promise((resolve) => (release = () => resolve(json(200, { offers: {} }))));
    const client = spaClient({ spa: true, pageview: false, prehide: '.hero', prehideTimeout: 10_000 });
    await client.init();
    style()!.remove(); // as if the first page's answer were in
    go('/shoes');
    expect(style()).not.toBeNull();
    await routed();
    expect(calls).toHaveLength(1);
    release();
    await settle();
    expect(style()).toBeNull();
    await client.consent('denied');
    go('/bags');
    expect(style()).toBeNull();
  });

  it('a route left and come back to at once shows again what it hid', async () => {
    const style = () => document.getElementById('p13n-prehide');
    const client = spaClient({ spa: true, prehide: '.hero', prehideTimeout: 10_000 });
    await client.init();
    await settle();
    expect(style()).toBeNull();
    history.pushState(null, '', '/shoes');
    history.pushState(null, '', '/home?q=1');
    expect(style()).not.toBeNull();
    await routed();
    expect(style()).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('a route whose title the app sets 245 ms after the URL carries that title, sent the moment it is set', async () => {
    document.title = 'Home';
    const client = spaClient({ spa: true, pageview: false });
    await client.init();
    history.pushState(null, '', '/slow');
    setTimeout(() => (document.title = 'Slow route'), 245);
    await routed();
    expect(calls).toHaveLength(0);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0].body).toMatchObject({ td_path: '/slow', td_title: 'Slow route', td_referrer: 'http://www.shop.test/home?q=1' });
  });

  it("an older route's late answer does not render over a newer one's", async () => {
    document.body.innerHTML = '<p data-p13n-offer="a" hidden></p><p data-p13n-offer="b" hidden></p>';
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    answer = async () => {
      const path = calls[calls.length - 1].body.td_path;
      if (path == '/first') await slow;
      return json(200, { offers: path == '/first' ? { a: {} } : { b: {} } });
    };
    const client = spaClient({ spa: true, pageview: false });
    await client.init();
    go('/first');
    await routed();
    go('/second');
    await routed();
    release();
    await settle();
    expect(calls).toHaveLength(2);
    expect(document.querySelector<HTMLElement>('[data-p13n-offer="b"]')!.hidden).toBe(false);
    expect(document.querySelector<HTMLElement>('[data-p13n-offer="a"]')!.hidden).toBe(true);
  });
});

describe('offer cache', () => {
  const offers = listen('offers');
  const KEY_CACHE = 'p13n:cache:https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews';

  it('a repeat view renders the cached offers as soon as the cache module is in, then the fresh answer wins', async () => {
    document.body.innerHTML = '<p data-p13n-offer="hero" hidden><b data-p13n-attr="headline">Default</b></p>';
    await createClient({ ...CONFIG, cache: { ttl: 60 } }).init();
    await vi.waitFor(() => expect(localStorage.getItem(KEY_CACHE)).toContain('Hi'));
    answer = () => new Promise(() => {}); // the fresh answer of the next view never comes
    // the next page, its slot as the server sent it
    document.body.innerHTML = '<p data-p13n-offer="hero" hidden><b data-p13n-attr="headline">Default</b></p>';
    const next = createClient({ ...CONFIG, cache: { ttl: 60 } });
    await next.init();
    const headline = document.querySelector('[data-p13n-attr="headline"]')!;
    await vi.waitFor(() => expect(offers[1]).toMatchObject({ offers: { hero: {} }, cached: true, uuid: calls[0].body.uuid, status: 200 }));
    expect(headline.textContent).toBe('Hi');
    answer = () => json(200, { offers: { hero: { attributes: { headline: 'Fresh' } } } });
    await next.personalize();
    expect(headline.textContent).toBe('Fresh');
  });

  it('is not read while consent is pending, and a refusal or reset clears it', async () => {
    await createClient({ ...CONFIG, cache: { ttl: 60 } }).init();
    await vi.waitFor(() => expect(localStorage.getItem(KEY_CACHE)).toContain('Hi'));
    const pending = createClient({ ...CONFIG, cache: { ttl: 60 }, consent: 'pending' });
    await pending.init();
    await settle();
    expect(offers).toHaveLength(1);
    await pending.consent('denied');
    await vi.waitFor(() => expect(localStorage.getItem(KEY_CACHE)).toBeNull());
    const client = createClient({ ...CONFIG, cache: { ttl: 60 } });
    await client.init();
    await vi.waitFor(() => expect(localStorage.getItem(KEY_CACHE)).not.toBeNull());
    await client.reset();
    await vi.waitFor(() => expect(localStorage.getItem(KEY_CACHE)).toBeNull());
  });

  it('caches page views only, not personalize calls with the page\'s own attributes', async () => {
    await createClient({ ...CONFIG, cache: { ttl: 60 }, pageview: false }).personalize({ product_id: '1' });
    expect(localStorage.getItem(KEY_CACHE)).toBeNull();
  });
});

describe('pre-hiding', () => {
  const style = () => document.getElementById('p13n-prehide');
  afterEach(() => style()?.remove());

  it('hides from when the client is made until the first answer, failed or not', async () => {
    answer = () => json(400, { code: 3001, message: 'no' });
    const client = createClient({ ...CONFIG, prehide: '.hero', nonce: 'n0nce' });
    expect(style()!.textContent).toBe('.hero{visibility:hidden!important}');
    expect(style()!.getAttribute('nonce')).toBe('n0nce');
    await client.init();
    await settle();
    expect(style()).toBeNull();
  });

  it('shows at once what the snippet hid when the config is refused or consent denied', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const config of [{ ...CONFIG, table: '!' }, { ...CONFIG, consent: 'denied' }]) {
      const snippetStyle = document.createElement('style');
      snippetStyle.id = 'p13n-prehide';
      document.head.appendChild(snippetStyle);
      await createClient(config).init();
      expect(style()).toBeNull();
    }
  });

  it('the timeout bounds a request that hangs', async () => {
    answer = () => new Promise(() => {});
    await createClient({ ...CONFIG, prehide: '.hero', prehideTimeout: 30, timeout: 10_000 }).init();
    expect(style()).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(style()).toBeNull();
  });
});

describe('debug', () => {
  it('debug: true loads the module that explains each error, a refused config included', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await createClient({ ...CONFIG, timeout: -1, debug: true }).init()).toMatchObject({ ok: false, error: { code: 'config' } });
    await vi.waitFor(() => expect(info).toHaveBeenCalledWith('p13n (debug):', expect.stringContaining('config.timeout must be a number of milliseconds')));
  });

  it('without debug, no module is loaded and nothing is explained', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await createClient({ ...CONFIG, timeout: -1 }).init();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(info).not.toHaveBeenCalled();
  });
});

describe("TD's in-browser content", () => {
  // each test its own target: the clients of earlier tests still watch the page for theirs
  let target = 0;
  const withMessage = () =>
    json(200, { offers: { banner: { attributes: { 'td_in_browser.message_json': JSON.stringify({ type: 'replacement', selector: `.hero${target}`, content_html: '<p>From TD</p>' }) } } } });
  const hero = () => document.querySelector(`.hero${target}`)!;
  const style = () => document.getElementById('p13n-prehide');
  beforeEach(() => {
    target++;
    document.body.innerHTML = `<div class="hero hero${target}"><p>Default</p></div>`;
  });

  it('an answer with a message loads the messages module, which fills the target; the pre-hiding holds until then', async () => {
    const load = vi.spyOn(loader, 'load');
    answer = () => withMessage();
    const client = createClient({ ...CONFIG, prehide: '.hero', prehideTimeout: 10_000 });
    await client.init();
    await vi.waitFor(() => expect(hero().shadowRoot && hero().shadowRoot!.innerHTML).toBe('<p>From TD</p>'));
    expect(style()).toBeNull();
    expect(load.mock.calls.map((call) => call[0])).toEqual(['messages', 'purify']);
  });

  it('the pre-hiding is not lifted before the message is in', async () => {
    answer = () => withMessage();
    const shown: unknown[] = [];
    // the moment the target is filled, the style must still be there
    document.addEventListener('p13n:message', function seen(event) {
      if ((event as CustomEvent).detail.action == 'shown') shown.push(!!style()), document.removeEventListener('p13n:message', seen);
    });
    await createClient({ ...CONFIG, prehide: '.hero', prehideTimeout: 10_000 }).init();
    await vi.waitFor(() => expect(shown).toEqual([true]));
    await vi.waitFor(() => expect(style()).toBeNull());
  });

  it('no message, no module: the answer reveals at once', async () => {
    const load = vi.spyOn(loader, 'load');
    await createClient({ ...CONFIG, prehide: '.hero', prehideTimeout: 10_000 }).init();
    await settle();
    await settle();
    expect(style()).toBeNull();
    expect(load).not.toHaveBeenCalled();
  });

  it('messages: false leaves the content to the page', async () => {
    const load = vi.spyOn(loader, 'load');
    answer = () => withMessage();
    const offers = vi.fn();
    await createClient({ ...CONFIG, messages: false, onOffers: offers }).init();
    await vi.waitFor(() => expect(offers).toHaveBeenCalled());
    await settle();
    expect(hero().shadowRoot).toBeNull();
    expect(load).not.toHaveBeenCalled();
  });

  it('messages must be a boolean', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await createClient({ ...CONFIG, messages: 'yes' }).init()).toMatchObject({ ok: false, error: { code: 'config', message: expect.stringContaining('config.messages is invalid') } });
  });

  it('a personalize answer shows its messages too; consent denied restores the target', async () => {
    const client = createClient(CONFIG);
    await client.init();
    await settle();
    answer = () => withMessage();
    await client.personalize({ product_id: '1' });
    await vi.waitFor(() => expect(hero().shadowRoot && hero().shadowRoot!.innerHTML).toBe('<p>From TD</p>'));
    await client.consent('denied');
    await vi.waitFor(() => expect(hero().shadowRoot!.innerHTML).toBe('<slot></slot>'));
  });

  it('an answer that comes back after consent was denied shows nothing and is not cached', async () => {
    let arrive!: () => void;
    answer = () => new Promise<Response>((resolve) => (arrive = () => resolve(withMessage())));
    const client = createClient({ ...CONFIG, cache: { ttl: 60 } });
    await client.init();
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await client.consent('denied');
    arrive();
    await settle();
    await settle();
    expect(hero().shadowRoot).toBeNull();
    expect(Object.keys(localStorage).filter((key) => key.startsWith('p13n:cache'))).toEqual([]);
  });

  it('the messages module that does not load is one module error, and the page goes on', async () => {
    vi.spyOn(loader, 'load').mockImplementation(((name: string) => (name == 'messages' ? Promise.reject('the messages module did not load from x') : Promise.reject('other'))) as never);
    answer = () => withMessage();
    const errors = vi.fn();
    const client = createClient({ ...CONFIG, prehide: '.hero', prehideTimeout: 10_000, onError: errors });
    const result = await client.personalize();
    expect(result.ok).toBe(true);
    await vi.waitFor(() => expect(errors).toHaveBeenCalledWith({ error: expect.objectContaining({ code: 'module' }) }));
    await vi.waitFor(() => expect(style()).toBeNull());
    expect(hero().shadowRoot).toBeNull();
  });
});

describe('measurement, in the core', () => {
  const SEEN = 'p13n:seen:https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews';

  it("with a holdout, every request carries the visitor's group, drawn from td_client_id; without, none", async () => {
    const { fraction } = await import('./group');
    const ids = ['visitor-0', 'visitor-1', 'visitor-2', 'visitor-3', 'visitor-4'];
    for (const clientId of ids) await createClient({ ...CONFIG, clientId, holdout: 0.35, pageview: false }).personalize();
    expect(calls.map((call) => call.body.p13n_group)).toEqual(ids.map((id) => (fraction(id) < 0.35 ? 'holdout' : 'treated')));
    expect(new Set(calls.map((call) => call.body.p13n_group))).toEqual(new Set(['holdout', 'treated']));
    calls.length = 0;
    await createClient({ ...CONFIG, pageview: false, attributes: { p13n_group: 'mine' } }).personalize();
    expect(calls[0].body.p13n_group).toBe('mine');
    // the group is the tag's to give: no attribute overrides it
    await createClient({ ...CONFIG, clientId: 'visitor-0', holdout: 0.35, pageview: false, attributes: { p13n_group: 'mine' } }).personalize();
    expect(calls[1].body.p13n_group).toBe('holdout');
  });

  it('a track names the offers seen within the attribution window, most recent first (p13n_exposures); only with measure', async () => {
    localStorage.setItem(SEEN, JSON.stringify([['hero', Date.now() + 1000], ['footer', Date.now() + 5000], ['old', Date.now() - 1]]));
    const client = createClient({ ...CONFIG, measure: true, pageview: false });
    await client.track({ event: 'purchase' });
    await client.personalize();
    expect(calls.map((call) => call.body.p13n_exposures)).toEqual([['hero', 'footer'], undefined]);
    calls.length = 0;
    await createClient({ ...CONFIG, pageview: false }).track({ event: 'purchase' });
    expect(calls[0].body).not.toHaveProperty('p13n_exposures');
    // whatever a page put there instead: nothing named, nothing thrown
    localStorage.setItem(SEEN, '{"hero": 1}');
    await createClient({ ...CONFIG, measure: true, pageview: false }).track({ event: 'purchase' });
    expect(calls[1].body).not.toHaveProperty('p13n_exposures');
  });

  it('refuses a holdout that is not a share below 1, and an attribution that is not a positive number of days', async () => {
    for (const bad of [{ holdout: 1 }, { holdout: -0.1 }, { holdout: '0.1' }, { attribution: 0 }, { attribution: '7' }, { measure: 'yes' }]) {
      const outcome = await createClient({ ...CONFIG, ...bad }).init();
      expect(outcome, JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'config', message: expect.stringContaining(`config.${Object.keys(bad)[0]} is invalid`) } });
    }
  });
});

