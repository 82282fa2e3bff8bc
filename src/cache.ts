import { isObject, own } from './config';
import { toJSON } from './payload';
import type { Offers } from './types';

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
 * under `key` (or in memory where storage throws), at most MAX_PATHS paths, the oldest dropped first. A repeat
 * view renders from it at once, while the fresh answer, which wins, is on its way.
 */
export function createCache(key: string, ttl: number) {
  let memory: Record<string, Cached> = {};
  const fresh = (entry: Cached | undefined, now: number) => isObject(entry) && isObject(entry.offers) && now - entry.t < ttl * 1000 && now >= entry.t;
  const read = (): Record<string, Cached> => {
    try {
      const stored = JSON.parse(localStorage.getItem(key) || '{}');
      if (stored && typeof stored == 'object') memory = stored;
    } catch {}
    return memory;
  };
  return {
    get(path: string): Cached | undefined {
      const entry = own(read(), path) as Cached | undefined;
      return fresh(entry, Date.now()) ? entry : undefined;
    },
    put(path: string, answer: Answer) {
      const now = Date.now();
      const all = read();
      all[path] = { t: now, offers: answer.offers, status: answer.status, uuid: answer.uuid };
      const kept = Object.keys(all)
        .filter((path) => fresh(own(all, path) as Cached, now))
        .sort((a, b) => all[b].t - all[a].t)
        .slice(0, MAX_PATHS);
      memory = Object.create(null);
      kept.forEach((path) => (memory[path] = all[path]));
      try {
        localStorage.setItem(key, toJSON(memory) as string);
      } catch {}
    },
    clear() {
      memory = {};
      try {
        localStorage.removeItem(key);
      } catch {}
    },
  };
}
