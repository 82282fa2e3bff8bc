import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, VERSION } from './client';
import pkg from '../package.json';

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
    expect(url).toBe('https://us01.p13n.in.treasuredata.com/shop_db/pageviews');
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

  it('a first-party proxy endpoint sends no credentials', async () => {
    await createClient({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n', pageview: false }).personalize();
    expect(calls[0].url).toBe('http://www.shop.test/p13n/shop_db/pageviews');
    expect(calls[0].init.headers).not.toHaveProperty('Authorization');
    expect(calls[0].init.headers).not.toHaveProperty('WP13n-Token');
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
