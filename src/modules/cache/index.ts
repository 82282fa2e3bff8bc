/**
 * The offer cache module (`cache: { ttl }`): loaded by a page view when the cache is on. The core every page loads
 * carries none of it: only pages that ask for it pay, and on a repeat view it comes from the HTTP cache.
 */
import type { Settings } from '../../core/config';
import type { CacheKit } from '../../seam';
import type { Offers } from '../../types';

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value == 'object' && !Array.isArray(value);
/** `object[key]` when it is the object's own: storage is page-writable, and a polluted prototype supplies nothing. */
const own = (object: unknown, key: string): unknown => (isObject(object) && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined);

/** A page view's answer, as its `p13n:offers` detail had it. */
interface Answer {
  offers: Offers;
  status: number;
  uuid: string;
}
type Cached = Answer & {
  /** When the answer came (ms). */
  t: number;
};

/** Paths kept: the pages a visitor comes back to, at a few KB each. */
export const MAX_PATHS = 20;

/**
 * The offers cache (`cache: { ttl }`): the last page-view answer per path, kept `ttl` seconds in `localStorage`
 * under `p13n:cache:{request URL}` (or in memory where storage throws), at most MAX_PATHS paths, the oldest dropped first. A repeat
 * view renders from it as soon as the module is in, while the fresh answer, which wins, is on its way. The JSON is
 * written by the core's own writer (`toJSON`), which no `Array.prototype.toJSON` of the page's bends.
 */
export default function createCache(settings: Pick<Settings, 'url' | 'cache'>, { toJSON }: CacheKit) {
  const key = 'p13n:cache:' + settings.url;
  const ttl = settings.cache ? settings.cache.ttl : 0;
  let memory: Record<string, unknown> = {};
  let stored = true; // false from the first time storage throws: then the cache lives in memory
  /** The entry at `path` when it is whole and fresh, read from own properties only: storage is page-writable. */
  const entry = (all: unknown, path: string, now: number): Cached | undefined => {
    const value = own(all, path);
    const t = own(value, 't') as number;
    const answer = { t, offers: own(value, 'offers') as Offers, status: own(value, 'status') as number, uuid: own(value, 'uuid') as string };
    const whole = typeof t == 'number' && isObject(answer.offers) && typeof answer.status == 'number' && typeof answer.uuid == 'string';
    return whole && now >= t && now - t < ttl * 1000 ? answer : undefined;
  };
  const read = () => {
    let text: string | null = null;
    try {
      text = stored ? localStorage.getItem(key) : null;
    } catch {
      stored = false;
    }
    if (!stored) return memory;
    try {
      const saved = JSON.parse(text || '{}');
      return (memory = isObject(saved) ? saved : {});
    } catch {
      return (memory = {}); // not ours, or damaged: the next put writes over it
    }
  };
  return {
    get: (path: string) => entry(read(), path, Date.now()),
    put(path: string, answer: Answer) {
      const now = Date.now();
      const all = read();
      const kept: Record<string, Cached> = Object.create(null);
      kept[path] = { t: now, offers: answer.offers, status: answer.status, uuid: answer.uuid };
      Object.keys(all)
        .map((other) => [other, entry(all, other, now)] as const)
        .filter(([other, cached]) => cached && other != path)
        .sort((a, b) => b[1]!.t - a[1]!.t)
        .slice(0, MAX_PATHS - 1)
        .forEach(([other, cached]) => (kept[other] = cached!));
      memory = kept;
      try {
        if (stored) localStorage.setItem(key, toJSON(kept) as string);
      } catch {
        stored = false;
      }
    },
    clear() {
      memory = {};
      try {
        localStorage.removeItem(key);
      } catch {}
    },
  };
}

export type Cache = ReturnType<typeof createCache>;
