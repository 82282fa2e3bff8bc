// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStore, type DedupStore } from '.';
import { PAGE, proxyWith } from './proxy.testing';

const post = (headers: Record<string, string> = {}) =>
  new Request(`${PAGE}/p13n/shop_db/events`, { method: 'POST', body: '{"event":"view"}', headers: { Origin: PAGE, ...headers } });
const ok = () => new Response('{"offers":{}}', { status: 200, headers: { 'Content-Type': 'application/json' } });
const from = (address: string) => ({ address });

afterEach(() => vi.useRealTimers());

describe('the rate limit per visitor address', () => {
  it('answers 429 past the burst, with Retry-After and a numeric code, and forwards nothing', async () => {
    const { handle, upstream } = proxyWith(ok, { rateLimit: { perSecond: 0.5, burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await handle(post(), from('203.0.113.9'))).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await handle(post(), from('203.0.113.9'));
    expect(limited.status).toBe(429);
    // a token every 2 s
    expect(limited.headers.get('Retry-After')).toBe('2');
    expect(limited.headers.get('Content-Type')).toBe('application/json');
    expect(await limited.json()).toEqual({ code: 429, message: 'p13n proxy: too many requests from this address; send again in 2 s' });
    expect(upstream).toHaveBeenCalledTimes(3);
  });

  it('limits only the address that floods', async () => {
    const { handle } = proxyWith(ok, { rateLimit: { perSecond: 1, burst: 2 } });
    for (let i = 0; i < 5; i++) await handle(post(), from('203.0.113.9'));
    expect((await handle(post(), from('203.0.113.9'))).status).toBe(429);
    expect((await handle(post(), from('198.51.100.7'))).status).toBe(200);
    expect((await handle(post(), from('2001:db8::1'))).status).toBe(200);
  });

  it('lets the address send again as its bucket refills', async () => {
    vi.useFakeTimers();
    const { handle } = proxyWith(ok, { rateLimit: { perSecond: 2, burst: 1 } });
    expect((await handle(post(), from('203.0.113.9'))).status).toBe(200);
    expect((await handle(post(), from('203.0.113.9'))).status).toBe(429);
    vi.advanceTimersByTime(500);
    expect((await handle(post(), from('203.0.113.9'))).status).toBe(200);
  });

  it('goes by the visitor as trustedProxies reads it, not by the balancer in front', async () => {
    const { handle } = proxyWith(ok, { rateLimit: { perSecond: 0.01, burst: 1 }, trustedProxies: ['10.0.0.0/8'] });
    const via = (visitor: string) => handle(post({ 'X-Forwarded-For': visitor }), from('10.0.0.5'));
    expect((await via('203.0.113.9')).status).toBe(200);
    expect((await via('198.51.100.7')).status).toBe(200);
    expect((await via('203.0.113.9')).status).toBe(429);
    // a forged entry on the left changes nothing: the balancer appended the real address
    expect((await via('1.2.3.4, 203.0.113.9')).status).toBe(429);
  });

  it('says so in the log a line a minute at most, however many it refuses', async () => {
    vi.useFakeTimers();
    const { handle, log } = proxyWith(ok, { rateLimit: { perSecond: 0.001, burst: 1 } });
    for (let i = 0; i < 50; i++) await handle(post(), from('203.0.113.9'));
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toBe('p13n proxy: rate limited 1 request(s) in the last minute (0.001/s, bursts of 1 per address); latest from 203.0.113.9');
    vi.advanceTimersByTime(60_000);
    await handle(post(), from('198.51.100.7'));
    await handle(post(), from('198.51.100.7'));
    expect(log).toHaveBeenCalledTimes(2);
    expect(log.mock.calls[1][0]).toContain('rate limited 49 request(s) in the last minute') // the 48 unsaid, and this one;
  });

  it('defaults to 20 a second in bursts of 200', async () => {
    const { handle, upstream } = proxyWith(ok);
    const statuses = await Promise.all(Array.from({ length: 210 }, () => handle(post(), from('203.0.113.9')).then((r) => r.status)));
    // the 200 at once, and the few the 20 a second refilled while they were taken
    expect(statuses.filter((status) => status == 200).length).toBeGreaterThanOrEqual(200);
    expect(statuses.filter((status) => status == 200).length).toBeLessThan(205);
    expect(statuses.slice(0, 200).every((status) => status == 200)).toBe(true);
    expect(upstream.mock.calls.length).toBe(statuses.filter((status) => status == 200).length);
  });

  it('is off with rateLimit: false, and for a visitor whose address is unknown', async () => {
    const off = proxyWith(ok, { rateLimit: false });
    for (let i = 0; i < 5; i++) expect((await off.handle(post(), from('203.0.113.9'))).status).toBe(200);
    // a runtime that gives no peer: one bucket for all would limit every visitor together
    const unknown = proxyWith(ok, { rateLimit: { perSecond: 0.01, burst: 1 } });
    for (let i = 0; i < 5; i++) expect((await unknown.handle(post())).status).toBe(200);
  });

  it('lets traffic through when the store fails, as deduplication does', async () => {
    const store: DedupStore = { ...memoryStore(), take: () => Promise.reject(new Error('READONLY')) };
    const { handle, upstream, log } = proxyWith(ok, { store, rateLimit: { perSecond: 0.01, burst: 1 } });
    for (let i = 0; i < 3; i++) expect((await handle(post(), from('203.0.113.9'))).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(3);
    expect(log.mock.calls[0][0]).toContain('the deduplication store failed (READONLY)');
  });

  it('keeps buckets in this process with store: false, or a store that keeps none', async () => {
    const { take: _, ...noBuckets } = memoryStore();
    for (const store of [false as const, noBuckets]) {
      const { handle } = proxyWith(ok, { store, rateLimit: { perSecond: 0.01, burst: 1 } });
      expect((await handle(post(), from('203.0.113.9'))).status).toBe(200);
      expect((await handle(post(), from('203.0.113.9'))).status).toBe(429);
    }
  });

  it('gives back the claim a refused event took meanwhile, so its next arrival goes through at once', async () => {
    vi.useFakeTimers();
    const uuid = '6f9619ff-8b86-4d11-b42d-00c04fc964ff';
    const event = () => new Request(`${PAGE}/p13n/shop_db/events`, { method: 'POST', body: JSON.stringify({ uuid }), headers: { Origin: PAGE } });
    const store = memoryStore();
    const { handle, upstream } = proxyWith(ok, { store, rateLimit: { perSecond: 1, burst: 1 } });
    expect((await handle(post(), from('203.0.113.9'))).status).toBe(200); // the one token
    expect((await handle(event(), from('203.0.113.9'))).status).toBe(429);
    await vi.advanceTimersByTimeAsync(0);
    expect(await store.get(`shop_db/events/${uuid}`)).toBeNull();
    vi.advanceTimersByTime(1000);
    const again = await handle(event(), from('203.0.113.9'));
    expect(again.status).toBe(200);
    expect(again.headers.get('P13n-Duplicate')).toBeNull();
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it('refuses options it cannot use, naming them', () => {
    expect(() => proxyWith(ok, { rateLimit: { perSecond: 0 } })).toThrow('rateLimit.perSecond must be a number of requests above 0');
    expect(() => proxyWith(ok, { rateLimit: { perSecond: Infinity } })).toThrow('rateLimit.perSecond');
    expect(() => proxyWith(ok, { rateLimit: { burst: 0.5 } })).toThrow('rateLimit.burst must be a whole number of requests, at least 1');
    expect(() => proxyWith(ok, { rateLimit: { burst: '10' as never } })).toThrow('rateLimit.burst');
  });
});
