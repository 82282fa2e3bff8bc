/** The two places the proxy can remember what it forwarded: this process's memory, or a Redis shared by many. */
import type { DedupStore } from './types';

/**
 * In this process's memory: right for one instance, lost on restart. At most `maxEntries` keys are kept (the
 * oldest go first), so memory stays bounded at about `maxEntries` times an answer's size whatever the traffic.
 */
export function memoryStore({ maxEntries = 100_000 }: { maxEntries?: number } = {}): Required<DedupStore> {
  if (!(maxEntries >= 1)) throw new Error('p13n proxy: memoryStore maxEntries must be at least 1');
  // claims apart from answers: a burst of new uuids evicts old answers, never a claim whose forward is out (claims
  // are as many as the requests in flight, and end with them)
  const claims = new Map<string, [value: string, expires: number]>();
  const answers = new Map<string, [value: string, expires: number]>();
  const live = (map: typeof claims, key: string) => {
    const entry = map.get(key);
    if (entry && entry[1] <= Date.now()) map.delete(key);
    return entry && entry[1] > Date.now() ? entry[0] : null;
  };
  const held = (key: string) => live(claims, key) ?? live(answers, key);
  const buckets = new Map<string, [tokens: number, at: number]>();
  return {
    claim: async (key, value, ms) => {
      if (held(key) !== null) return false;
      claims.set(key, [value, Date.now() + ms]);
      return true;
    },
    get: async (key) => held(key),
    set: async (key, value, ms) => {
      claims.delete(key);
      answers.delete(key); // to the end of the insertion order, which is the eviction order
      answers.set(key, [value, Date.now() + ms]);
      for (const [oldest, [, expires]] of answers) {
        if (answers.size <= maxEntries && expires > Date.now()) break;
        answers.delete(oldest);
      }
    },
    release: async (key, value) => void (live(claims, key) === value && claims.delete(key)),
    take: async (key, perSecond, burst) => takeFrom(buckets, key, perSecond, burst, maxEntries),
  };
}

/**
 * A bucket in memory: `[tokens, at]`. Returns the milliseconds until a token is there (0: one was taken). A bucket
 * that would be full again is the same as none: the least recent ones are dropped as they fill, and beyond
 * `maxEntries` whatever their state, so the map holds the visitors who sent recently, and never more.
 */
function takeFrom(buckets: Map<string, [tokens: number, at: number]>, key: string, perSecond: number, burst: number, maxEntries: number) {
  const now = Date.now();
  const [tokens, at] = buckets.get(key) || [burst, now];
  const available = Math.min(burst, tokens + ((now - at) * perSecond) / 1000);
  buckets.delete(key); // to the end of the insertion order: the least recent visitors go first
  if (available < 1) {
    buckets.set(key, [available, now]);
    return Math.ceil(((1 - available) * 1000) / perSecond);
  }
  buckets.set(key, [available - 1, now]);
  for (const [oldest, [left, since]] of buckets) {
    if (buckets.size <= maxEntries && left + ((now - since) * perSecond) / 1000 < burst) break;
    buckets.delete(oldest);
  }
  return 0;
}

/** What the store needs of a Redis client: node-redis's `sendCommand` (the `redis` package, v4 and later). */
export interface RedisClient {
  sendCommand(args: string[]): Promise<unknown>;
}

// compare and delete in one step: Redis runs a script atomically
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * A token bucket, atomically, on Redis's clock (instances' clocks may differ): "tokens at" under the key, which
 * expires once the bucket would be full again (a full bucket and none are the same). Returns 0 when a token was
 * taken, else the milliseconds until there is one.
 */
const TAKE = `local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local rate, burst = tonumber(ARGV[1]) / 1000, tonumber(ARGV[2])
local tokens, at = burst, now
local held = redis.call('GET', KEYS[1])
if held then
  local t, a = string.match(held, '^(%S+) (%S+)$')
  if t then tokens, at = tonumber(t), tonumber(a) end
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if tokens < 1 then return math.ceil((1 - tokens) / rate) end
tokens = tokens - 1
redis.call('SET', KEYS[1], string.format('%.6f %d', tokens, now), 'PX', math.ceil((burst - tokens) / rate) + 1000)
return 0`;

/**
 * In Redis, so every proxy instance that uses the same server deduplicates together. Pass a connected client of
 * the official `redis` package, made with `disableOfflineQueue: true` so that commands fail at once rather than
 * wait while it reconnects, and best with `commandOptions: { timeout: 0 }`: the proxy times every call itself, and the
 * client's own timeout costs a timer signal per command. Keys are `prefix` + `database/table/uuid`, each with its own expiry.
 */
export function redisStore(client: RedisClient, { prefix = 'p13n:' }: { prefix?: string } = {}): DedupStore {
  if (!client || typeof client.sendCommand != 'function') {
    throw new Error('p13n proxy: redisStore needs a client of the `redis` package: redisStore(await createClient({ url }).connect())');
  }
  const run = (...args: string[]) => client.sendCommand(args);
  /**
   * Runs a script by its SHA-1 (EVALSHA), loading it with EVAL only when Redis does not know it (NOSCRIPT: it
   * restarted, or never saw it): the rate limit runs one for every request, and its text is 600 bytes.
   */
  const script = (source: string) => {
    const sha = crypto.subtle.digest('SHA-1', new TextEncoder().encode(source)).then((digest) =>
      Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join(''),
    );
    return async (key: string, ...args: string[]) => {
      try {
        return await run('EVALSHA', await sha, '1', prefix + key, ...args);
      } catch (error) {
        if (!/NOSCRIPT/.test(String(error instanceof Error ? error.message : error))) throw error;
        return run('EVAL', source, '1', prefix + key, ...args);
      }
    };
  };
  const release = script(RELEASE);
  const take = script(TAKE);
  // Redis takes whole milliseconds only
  const px = (ms: number) => String(Math.ceil(ms));
  return {
    claim: async (key, value, ms) => (await run('SET', prefix + key, value, 'NX', 'PX', px(ms))) === 'OK',
    get: async (key) => {
      const value = await run('GET', prefix + key);
      return value == null ? null : String(value);
    },
    set: async (key, value, ms) => void (await run('SET', prefix + key, value, 'PX', px(ms))),
    release: async (key, value) => void (await release(key, value)),
    take: async (key, perSecond, burst) => Number(await take(key, String(perSecond), String(burst))),
  };
}
