import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readConfig, type Settings } from './config';
import { LEASE_MS, outboxKey } from '../seam';
import type { P13nError } from '../types';
import { storedEvents, storeEvents } from '../modules/delivery/outbox.testing';

// the delivery module arrives when a test says so, or never
const arrival = vi.hoisted(() => ({ load: undefined as undefined | ((name: string) => Promise<unknown>) }));
vi.mock('./load', () => ({ load: (name: string) => arrival.load!(name) }));
const { createTracker } = await import('./track');
const { default: createDelivery } = await import('../modules/delivery');

const settings = readConfig({ database: 'shop_db', table: 'pageviews', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32), timeout: 3000 }) as Settings;
const KEY = outboxKey(settings);
const stored = () => storedEvents(KEY);
let statuses: number[];
let bodies: string[];
let keepalive: unknown[];
let reported: P13nError[];
const report = (error: P13nError) => void reported.push(error);

beforeEach(() => {
  localStorage.clear();
  statuses = [];
  bodies = [];
  keepalive = [];
  reported = [];
  vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
    bodies.push(init.body as string);
    keepalive.push(init.keepalive);
    return new Response('{"offers":{}}', { status: statuses.shift() || 200 });
  }));
});
afterEach(() => {
  arrival.load = undefined;
});

describe('a track before the delivery module is in', () => {
  it('is stored in the outbox format and sent with keepalive at once, in the same task', () => {
    arrival.load = () => new Promise(() => {}); // still loading
    const queued = vi.fn();
    void createTracker(settings, report)._send('e1', '{"uuid":"e1"}', queued);
    expect(bodies).toEqual(['{"uuid":"e1"}']);
    expect(keepalive).toEqual([true]);
    expect(queued).toHaveBeenCalledOnce();
    const [entry] = stored();
    expect(entry).toEqual({ id: 'e1', body: '{"uuid":"e1"}', tries: 0, next: 0, lease: expect.any(Number) });
    expect(Object.keys(localStorage)).toEqual([KEY + '#e1']); // one record per event, as the module keeps them
    expect(entry.lease).toBeGreaterThan(Date.now() + LEASE_MS - 1000); // claimed by this tab
  });

  it('is followed to its end by the module once it is in: delivered, it leaves storage', async () => {
    let arrive!: (module: unknown) => void;
    arrival.load = () => new Promise((resolve) => (arrive = resolve));
    const sent = createTracker(settings, report)._send('e1', '{"uuid":"e1"}', () => {});
    arrive(createDelivery);
    expect(await sent).toMatchObject({ ok: true, status: 200 });
    await vi.waitFor(() => expect(stored()).toEqual([]));
    expect(bodies).toHaveLength(1); // the module sent nothing again
  });

  it('one keepalive request at a time: a second is stored at once and sent by the module', async () => {
    let arrive!: (module: unknown) => void;
    arrival.load = () => new Promise((resolve) => (arrive = resolve));
    const tracker = createTracker(settings, report);
    const second = vi.fn();
    const results = [tracker._send('e1', '{"uuid":"e1"}', () => {}), tracker._send('e2', '{"uuid":"e2"}', second)];
    expect(bodies).toEqual(['{"uuid":"e1"}']);
    expect(stored().map((entry) => entry.id)).toEqual(['e1', 'e2']);
    expect(second).toHaveBeenCalled(); // stored: the calls made after it may go (and be stored) at once
    arrive(createDelivery);
    expect(await Promise.all(results)).toMatchObject([{ ok: true }, { ok: true }]);
    expect(bodies).toEqual(['{"uuid":"e1"}', '{"uuid":"e2"}']);
  });

  it('when the module cannot load: an error event; delivered ones leave storage, failed ones are freed for the next page', async () => {
    arrival.load = () => Promise.reject('the delivery module did not load from x');
    const tracker = createTracker(settings, report);
    statuses = [503];
    const results = await Promise.all([tracker._send('e1', '{"uuid":"e1"}', () => {}), tracker._send('e2', '{"uuid":"e2"}', () => {})]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'http', status: 503, retryable: true } });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'module', retryable: true } });
    expect(reported.map((error) => error.code)).toEqual(['module']);
    expect(reported[0].message).toMatch(/^p13n: the delivery module did not load from x; see https:/);
    // e1's attempt failed and is counted; e2 was never sent
    expect(stored().map((entry) => [entry.id, entry.lease, entry.tries])).toEqual([['e1', 0, 1], ['e2', 0, 0]]);
    // a later track tries the module again, and is delivered by the core meanwhile
    expect(await tracker._send('e3', '{"uuid":"e3"}', () => {})).toMatchObject({ ok: true });
    expect(reported.map((error) => error.code)).toEqual(['module', 'module']);
    expect(stored().map((entry) => entry.id)).toEqual(['e1', 'e2']);
  });

  it('a page left with it out, online, counts it delivered: the next page does not send it again', () => {
    arrival.load = () => new Promise(() => {});
    void createTracker(settings, report)._send('e1', '{"uuid":"e1"}', () => {});
    expect(stored()).toHaveLength(1);
    dispatchEvent(new PageTransitionEvent('pagehide'));
    expect(stored()).toEqual([]);
  });

  it('through a first-party proxy, a page left with it out keeps it, free for the next page at once (the proxy deduplicates)', () => {
    const proxied = readConfig({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n' }) as Settings;
    const key = outboxKey(proxied);
    arrival.load = () => new Promise(() => {});
    const tracker = createTracker(proxied, report);
    void tracker._send('e1', '{"uuid":"e1"}', () => {});
    void tracker._send('e2', '{"uuid":"e2"}', () => {});
    dispatchEvent(new PageTransitionEvent('pagehide'));
    // e1 was out, e2 waited for the module: both for the next page, at once
    expect(storedEvents(key).map((entry) => [entry.id, entry.lease])).toEqual([['e1', 0], ['e2', 0]]);
  });

  it('a page left with it out while an earlier page\'s event waits after a failed attempt keeps it for the next page', () => {
    arrival.load = () => new Promise(() => {});
    storeEvents(KEY, [{ id: 'e0', body: '{"uuid":"e0"}', tries: 1, next: Date.now() + 60_000, lease: 0 }]);
    void createTracker(settings, report)._send('e1', '{"uuid":"e1"}', () => {});
    dispatchEvent(new PageTransitionEvent('pagehide'));
    // the service was failing when last tried: e1 stays, claimed until its lease lapses, then sent again
    expect(stored().map((entry) => [entry.id, entry.lease > Date.now()])).toEqual([['e0', false], ['e1', true]]);
  });

  it('with the module blocked, a page that saw its own send fail keeps the next one out as it is left', async () => {
    // a table of its own: the trackers and modules of the tests before still listen, and send, on theirs
    const own = readConfig({ database: 'shop_db', table: 'blocked', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32), timeout: 3000 }) as Settings;
    expect(own.url).toMatch(/\/blocked$/);
    arrival.load = () => Promise.reject('blocked');
    const tracker = createTracker(own, report);
    statuses = [503];
    await tracker._send('b1', '{"uuid":"b1"}', () => {});
    arrival.load = () => new Promise(() => {}); // the next try of the module does not come in time
    void tracker._send('b2', '{"uuid":"b2"}', () => {});
    dispatchEvent(new PageTransitionEvent('pagehide'));
    const kept = storedEvents(outboxKey(own));
    expect(kept.map((entry) => [entry.id, entry.tries])).toEqual([['b1', 1], ['b2', 0]]);
  });

  it('a page left offline keeps it for the next page', () => {
    arrival.load = () => new Promise(() => {});
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    void createTracker(settings, report)._send('e1', '{"uuid":"e1"}', () => {});
    dispatchEvent(new PageTransitionEvent('pagehide'));
    expect(stored().map((entry) => entry.id)).toEqual(['e1']);
  });
});

describe('a page left before the delivery module is in', () => {
  it('frees what waited for the module, so the next page sends it at once', () => {
    arrival.load = () => new Promise(() => {});
    const tracker = createTracker(settings, report);
    void tracker._send('e1', '{"uuid":"e1"}', () => {});
    void tracker._send('e2', '{"uuid":"e2"}', () => {});
    expect(stored().map((entry) => entry.lease > 0)).toEqual([true, true]);
    dispatchEvent(new PageTransitionEvent('pagehide'));
    expect(stored().map((entry) => [entry.id, entry.lease])).toEqual([['e2', 0]]); // e1 was out: handed over
  });
});
