/** The two places the proxy can remember what it forwarded: this process's memory, or a Redis shared by many. */
import type { DedupStore } from './types';

/**
 * In this process's memory: right for one instance, lost on restart. At most `maxEntries` keys are kept (the
 * oldest go first), so memory stays bounded at about `maxEntries` times an answer's size whatever the traffic.
 */
export function memoryStore({ maxEntries = 100_000 }: { maxEntries?: number } = {}): DedupStore {
  if (!(maxEntries >= 1)) throw new Error('p13n proxy: memoryStore maxEntries must be at least 1');
  const entries = new Map<string, [value: string, expires: number]>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry[1] <= Date.now()) entries.delete(key);
    return entry && entry[1] > Date.now() ? entry[0] : null;
  };
  const put = (key: string, value: string, ms: number) => {
    entries.delete(key); // to the end of the insertion order, which is the eviction order
    entries.set(key, [value, Date.now() + ms]);
    for (const [oldest, [, expires]] of entries) {
      if (entries.size <= maxEntries && expires > Date.now()) break;
      entries.delete(oldest);
    }
  };
  return {
    claim: async (key, value, ms) => live(key) === null && (put(key, value, ms), true),
    get: async (key) => live(key),
    set: async (key, value, ms) => put(key, value, ms),
    release: async (key, value) => void (live(key) === value && entries.delete(key)),
  };
}

/** What the store needs of a Redis client: node-redis's `sendCommand` (the `redis` package, v4 and later). */
export interface RedisClient {
  sendCommand(args: string[]): Promise<unknown>;
}

// compare and delete in one step: Redis runs a script atomically
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * In Redis, so every proxy instance that uses the same server deduplicates together. Pass a connected client of
 * the official `redis` package, made with `disableOfflineQueue: true` so that commands fail at once rather than
 * wait while it reconnects. Keys are `prefix` + `database/table/uuid`, each with its own expiry.
 */
export function redisStore(client: RedisClient, { prefix = 'p13n:' }: { prefix?: string } = {}): DedupStore {
  if (!client || typeof client.sendCommand != 'function') {
    throw new Error('p13n proxy: redisStore needs a client of the `redis` package: redisStore(await createClient({ url }).connect())');
  }
  const run = (...args: string[]) => client.sendCommand(args);
  return {
    claim: async (key, value, ms) => (await run('SET', prefix + key, value, 'NX', 'PX', String(ms))) === 'OK',
    get: async (key) => {
      const value = await run('GET', prefix + key);
      return value == null ? null : String(value);
    },
    set: async (key, value, ms) => void (await run('SET', prefix + key, value, 'PX', String(ms))),
    release: async (key, value) => void (await run('EVAL', RELEASE, '1', prefix + key, value)),
  };
}
