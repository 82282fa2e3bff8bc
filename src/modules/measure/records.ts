/**
 * What the measure module keeps of a visitor's impressions, in `localStorage`, per endpoint and table: every
 * viewable impression of an offer shown (for frequency caps), and the offers seen within the attribution window
 * (for the core to name in `track` events, see `exposuresKey`). Read and written whole, both bounded: a cap counts
 * at most MAX_TIMES impressions of an offer, and nothing is kept past MAX_DAYS.
 */
import { exposuresKey } from '../../seam';

export const MAX_TIMES = 100;
export const MAX_DAYS = 400;
export const MAX_EXPOSURES = 10;
const DAY = 864e5;

type Times = Record<string, number[]>;

/** What is kept under `key`, when it is of the shape `fallback` is (a list, or an object): storage is page-writable. */
const read = <T extends object>(key: string, fallback: T): T => {
  try {
    const value = JSON.parse(localStorage.getItem(key) || 'null');
    return value && typeof value == 'object' && Array.isArray(value) == Array.isArray(fallback) ? value : fallback;
  } catch {
    return fallback; // storage refused, or not JSON
  }
};
/**
 * Written from strings and numbers only: a page's `Array.prototype.toJSON` (Prototype.js) is never called, so what
 * is kept always reads back.
 */
const write = (key: string, text: string) => {
  try {
    localStorage.setItem(key, text);
  } catch {} // full or refused: the next impression tries again
};
const pair = (name: string, value: string | number) => JSON.stringify(name) + ':' + value;

/** A cap as TD's offer attribute `p13n_cap` writes it, `N/Dd` (`3/7d`: at most 3 in 7 days); undefined when it is not one. */
export function parseCap(cap: unknown): [count: number, days: number] | undefined {
  const found = typeof cap == 'string' && /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(cap);
  return found ? [+found[1], +found[2]] : undefined;
}

export function createRecords(settings: { url: string; attribution?: number }) {
  const impressionsKey = 'p13n:impressions:' + settings.url;
  const seenKey = exposuresKey(settings);
  return {
    /** How many viewable impressions of offer `name` (shown, not held out) were recorded in the last `days`. */
    count(name: string, days: number, now = Date.now()): number {
      const times = read<Times>(impressionsKey, {})[name];
      return Array.isArray(times) ? times.filter((time) => time > now - days * DAY).length : 0;
    },
    /** Records viewable impressions of `names` at `now`; `shown` when the visitor saw them (not a holdout). */
    add(names: string[], shown: boolean, now = Date.now()) {
      if (shown) {
        const all = read<Times>(impressionsKey, {});
        const kept: Times = {};
        for (const name of Object.keys(all)) {
          const times = Array.isArray(all[name]) ? all[name].filter((time) => typeof time == 'number' && time > now - MAX_DAYS * DAY) : [];
          if (times.length) kept[name] = times;
        }
        for (const name of names) kept[name] = [now].concat(kept[name] || []).slice(0, MAX_TIMES);
        write(impressionsKey, '{' + Object.keys(kept).map((name) => pair(name, '[' + kept[name].join() + ']')).join() + '}');
      }
      // held out or shown, an offer placed before the visitor names their later conversions: both groups compare
      const until = now + (settings.attribution || 7) * DAY;
      const earlier = read<[string, number][]>(seenKey, []).filter((seen) => Array.isArray(seen) && seen[1] > now && names.indexOf(seen[0]) < 0);
      const seen = names.map((name): [string, number] => [name, until]).concat(earlier).slice(0, MAX_EXPOSURES);
      write(seenKey, '[' + seen.map(([name, time]) => '[' + JSON.stringify(name) + ',' + time + ']').join() + ']');
    },
    /** Consent denied: nothing of the visitor's impressions stays. */
    clear() {
      try {
        localStorage.removeItem(impressionsKey);
        localStorage.removeItem(seenKey);
      } catch {}
    },
  };
}
