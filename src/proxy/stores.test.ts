// @vitest-environment node
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedis } from '../../demo/redis.mjs';
import { memoryStore, redisStore, type DedupStore } from '.';
import { PAGE, proxyWith } from './proxy.testing';

// a real redis-server (Debian's, as `.ci/run` installs it), on loopback, for this file
let redis: Awaited<ReturnType<typeof startRedis>>;
const clients: { destroy(): void; isReady: boolean }[] = [];
/** A client as README.md makes it: commands fail at once while disconnected, instead of queueing. */
async function connect(url = redis.url, { wait = true } = {}) {
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {}); // reconnects on its own; the store reports failures as they happen
  clients.push(client);
  // not awaited (README.md waits 2 s at most), the client is usable at once and fails until it is connected
  const connecting = client.connect();
  if (wait) await connecting;
  else connecting.catch(() => {});
  return client;
}
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await redis.stop();
});

let serial = 0;
const stores: [string, () => Promise<DedupStore>][] = [
  ['memoryStore', async () => memoryStore()],
  ['redisStore (a real redis-server)', async () => redisStore(await connect(), { prefix: `test${++serial}:` })],
];

describe.each(stores)('%s', (_, make) => {
  it('claims a key only while no one holds it, atomically', async () => {
    const store = await make();
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claim('k', 'pending ' + i, 10_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.get('k')).toBe('pending ' + claims.indexOf(true));
    expect(await store.get('absent')).toBeNull();
  });

  it('lets a claim lapse after its ms', async () => {
    const store = await make();
    expect(await store.claim('k', 'a', 60)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.get('k')).toBeNull();
    expect(await store.claim('k', 'b', 60_000)).toBe(true);
  });

  it('sets over a claim, and releases only the claim it is given', async () => {
    const store = await make();
    await store.claim('k', 'mine', 10_000);
    await store.release('k', 'not mine');
    expect(await store.get('k')).toBe('mine');
    await store.release('k', 'mine');
    expect(await store.get('k')).toBeNull();
    await store.claim('k', 'mine', 10_000);
    await store.set('k', '{"status":200}', 10_000);
    await store.release('k', 'mine');
    expect(await store.get('k')).toBe('{"status":200}');
    expect(await store.claim('k', 'again', 10_000)).toBe(false);
  });
});

describe.each(stores)('%s: a token bucket for the rate limit', (_, make) => {
  it('gives `burst` tokens at once, then says how long until the next', async () => {
    const store = await make();
    const waits = [];
    for (let i = 0; i < 6; i++) waits.push(await store.take!('rate:203.0.113.9', 10, 5));
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // 10 a second: a token every 100 ms, of which at most a few have gone by
    expect(waits[5]).toBeGreaterThan(50);
    expect(waits[5]).toBeLessThanOrEqual(100);
    // another address has its own bucket
    expect(await store.take!('rate:198.51.100.7', 10, 5)).toBe(0);
  });

  it('refills at perSecond, up to burst', async () => {
    const store = await make();
    for (let i = 0; i < 2; i++) expect(await store.take!('rate:a', 20, 2)).toBe(0);
    expect(await store.take!('rate:a', 20, 2)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 120)); // two tokens' worth at 20 a second, and no more
    expect(await store.take!('rate:a', 20, 2)).toBe(0);
    expect(await store.take!('rate:a', 20, 2)).toBe(0);
    expect(await store.take!('rate:a', 20, 2)).toBeGreaterThan(0);
  });

  it('takes atomically: of many takes at once, exactly burst get through', async () => {
    const store = await make();
    const waits = await Promise.all(Array.from({ length: 40 }, () => store.take!('rate:flood', 0.001, 12)));
    expect(waits.filter((wait) => wait == 0)).toHaveLength(12);
  });
});

describe('memoryStore', () => {
  it('keeps at most maxEntries answers, the oldest going first', async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await store.set(key, key, 60_000);
    expect(await Promise.all(['a', 'b', 'c', 'd'].map((key) => store.get(key)))).toEqual([null, 'b', 'c', 'd']);
    expect(() => memoryStore({ maxEntries: 0 })).toThrow('maxEntries');
  });

  it('keeps at most maxEntries rate-limit buckets, the least recent sender going first', async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const address of ['a', 'b', 'c', 'd']) await store.take!('rate:' + address, 0.001, 2);
    // d pushed a out: a starts again with a full bucket (2 at once); d, still kept, has its one left
    expect(await store.take!('rate:d', 0.001, 2)).toBe(0);
    expect(await store.take!('rate:d', 0.001, 2)).toBeGreaterThan(0);
    expect([await store.take!('rate:a', 0.001, 2), await store.take!('rate:a', 0.001, 2)]).toEqual([0, 0]);
  });

  it('never evicts a claim whose forward is out, however many answers come in meanwhile', async () => {
    const store = memoryStore({ maxEntries: 3 });
    await store.claim('in flight', 'pending 1', 60_000);
    for (let i = 0; i < 10; i++) await store.set('burst ' + i, '{}', 60_000);
    expect(await store.get('in flight')).toBe('pending 1');
    expect(await store.claim('in flight', 'pending 2', 60_000)).toBe(false);
  });
});

describe('redisStore', () => {
  it('refuses what is not a redis client, saying how to make one', () => {
    expect(() => redisStore({} as never)).toThrow('redisStore needs a client of the `redis` package');
  });

  it('takes a fractional window (Redis takes whole milliseconds)', async () => {
    const store = redisStore(await connect(), { prefix: 'fraction:' });
    expect(await store.claim('k', 'a', 1000 / 3)).toBe(true);
    await store.set('k', '{}', 86_400_000 / 7);
    expect(await store.get('k')).toBe('{}');
  });

  it("keeps a bucket only until it would be full again, on Redis's clock", async () => {
    const client = await connect();
    const store = redisStore(client, { prefix: 'bucket:' });
    expect(await store.take!('rate:a', 100, 10)).toBe(0);
    // one token short of 10, refilled at 100 a second: full in 10 ms, kept a second past that
    expect(Number(await client.sendCommand(['PTTL', 'bucket:rate:a']))).toBeGreaterThan(900);
    expect(Number(await client.sendCommand(['PTTL', 'bucket:rate:a']))).toBeLessThanOrEqual(1010);
  });

  it('runs its scripts by their hash, and loads them again when Redis has forgotten them (a restart)', async () => {
    const client = await connect();
    const store = redisStore(client, { prefix: 'scripts:' });
    expect(await store.take!('rate:a', 1, 2)).toBe(0);
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await store.take!('rate:a', 1, 2)).toBe(0);
    expect(await store.take!('rate:a', 1, 2)).toBeGreaterThan(0);
    await store.claim('k', 'mine', 10_000);
    await client.sendCommand(['SCRIPT', 'FLUSH']);
    await store.release('k', 'mine');
    expect(await store.get('k')).toBeNull();
  });

  it('keeps its keys under the prefix, each with an expiry', async () => {
    const client = await connect();
    const store = redisStore(client, { prefix: 'shop:' });
    await store.set('db/table/u', '{}', 60_000);
    expect(await client.sendCommand(['GET', 'shop:db/table/u'])).toBe('{}');
    expect(Number(await client.sendCommand(['PTTL', 'shop:db/table/u']))).toBeGreaterThan(59_000);
  });
});

describe('proxy instances sharing one Redis', () => {
  const UUID = '6f9619ff-8b86-4d11-b42d-00c04fc964ff';
  const post = () =>
    new Request(PAGE + '/p13n/shop_db/events', { method: 'POST', body: JSON.stringify({ uuid: UUID }), headers: { Origin: PAGE } });
  /** Proxy instances, one Redis connection each (to `url`), forwarding to one upstream stub. */
  async function instances(count: number, reply: () => Promise<Response>, { url = redis.url, prefix = 'p13n:', wait = true } = {}) {
    const upstream = vi.fn(reply);
    const log = vi.fn();
    const proxies = [];
    for (let i = 0; i < count; i++) {
      const store = redisStore(await connect(url, { wait }), { prefix });
      // one upstream and one log for all of them, as one service and one log collector would be
      proxies.push(proxyWith([], { fetch: upstream as never, log, store }).handle);
    }
    return { proxies, upstream, log };
  }
  const answer = () => Promise.resolve(new Response('{"offers":{}}', { status: 200, headers: { 'Content-Type': 'application/json' } }));

  it('forwards an event once whichever instance each arrival reaches, the ones in flight waiting', async () => {
    const { proxies, upstream } = await instances(3, () => new Promise((resolve) => setTimeout(() => resolve(answer()), 150)), { prefix: 'shared1:' });
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => proxies[i % 3](post())));
    expect(upstream).toHaveBeenCalledTimes(1);
    expect(answers.map((response) => response.status)).toEqual(Array(9).fill(200));
    expect(answers.filter((response) => response.headers.get('P13n-Duplicate'))).toHaveLength(8);
    expect((await proxies[1](post())).headers.get('P13n-Duplicate')).toBe('true');
    expect(upstream).toHaveBeenCalledTimes(1);
  });

  it('rate limits an address together: its burst is shared by every instance', async () => {
    const prefix = 'shared-limit:';
    const upstream = vi.fn(answer);
    const proxies = [];
    for (let i = 0; i < 2; i++) {
      const store = redisStore(await connect(), { prefix });
      proxies.push(proxyWith([], { fetch: upstream as never, store, rateLimit: { perSecond: 0.01, burst: 4 } }).handle);
    }
    const noUuid = () => new Request(PAGE + '/p13n/shop_db/events', { method: 'POST', body: '{}', headers: { Origin: PAGE } });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await proxies[i % 2](noUuid(), { address: '203.0.113.9' })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect((await proxies[1](noUuid(), { address: '198.51.100.7' })).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(5);
  });

  it('does not take a busy event loop for a dead store: a reply that came while it was stalled is read', async () => {
    const store = redisStore(await connect(), { prefix: 'stalled:' });
    const stall = () => {
      const until = Date.now() + 1500;
      while (Date.now() < until);
    };
    // once the claim is out, the loop stalls past the store's timeout (a long task, GC, a CPU it did not get)
    const stalling = { ...store, claim: (...args: Parameters<DedupStore['claim']>) => (setImmediate(stall), store.claim(...args)) };
    const upstream = vi.fn(answer);
    const { handle: proxy, log } = proxyWith([], { fetch: upstream as never, store: stalling });
    expect((await proxy(post())).status).toBe(200);
    expect((await proxy(post())).headers.get('P13n-Duplicate')).toBe('true');
    expect(upstream).toHaveBeenCalledTimes(1);
    expect(log).not.toHaveBeenCalled();
  });

  it('forwards from the start when Redis is down as the proxy starts (its client never connected)', async () => {
    const down = await startRedis();
    await down.stop();
    const { proxies: [proxy], upstream, log } = await instances(1, answer, { url: down.url, wait: false });
    expect((await proxy(post())).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toContain('the deduplication store failed (The client is offline)');
  });

  it('keeps forwarding while Redis is down, logs it, and deduplicates again once it is back', async () => {
    const own = await startRedis();
    try {
      const { proxies: [proxy], upstream, log } = await instances(1, answer, { url: own.url });
      const client = clients[clients.length - 1];
      await own.stop();
      expect((await proxy(post())).status).toBe(200);
      expect(upstream).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0][0]).toMatch(/^p13n proxy: the deduplication store failed \(.+\); forwarding every arrival/);

      const again = await startRedis({ port: own.port });
      try {
        await vi.waitFor(() => expect(client.isReady).toBe(true), { timeout: 5000 });
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(Date.now() + 5001); // past the proxy's pause before asking the store again
        expect((await proxy(post())).status).toBe(200);
        expect(log).toHaveBeenLastCalledWith('p13n proxy: the deduplication store answers again; deduplicating');
        expect((await proxy(post())).headers.get('P13n-Duplicate')).toBe('true');
        expect(upstream).toHaveBeenCalledTimes(2);
      } finally {
        vi.useRealTimers();
        await again.stop();
      }
    } finally {
      await own.stop();
    }
  });
});
