// How sure a ratio of the main-thread table is. Each round loads every page once, the page without a tag among
// them, in an order shuffled per round; a tag's cost in a round is its load less that round's page without a tag
// (paired, so what drifts over a run, the machine's state, cancels), and a ratio of two tags is the ratio of the
// medians of their rounds. Its 95% interval is a bootstrap over rounds: rounds drawn with replacement, the ratio
// worked out again, 2,000 times, the 2.5th and 97.5th percentiles kept. The generator is seeded, so a report made
// again from the same measurements (BENCH_RESULTS_JSON) gives the same intervals.
import { median, quantile } from './measure.mjs';

/** A seeded generator of numbers in [0, 1) (mulberry32): small, fast, and the same sequence for a seed. */
export function random(seed = 1) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `items` in an order drawn from `next` (Fisher-Yates). */
export function shuffled(items, next) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Each round's cost of page `name` (`key`: 'task', 'script', 'heap'), less the same round's page without a tag. */
export const paired = (runs, name, key) => runs[name].map((run, round) => run[key] - runs.none[round][key]);

/** The ratio of page `a`'s cost to page `b`'s: medians of their paired costs, over the rounds in `rounds`. */
function ratioOver(runs, a, b, key, rounds) {
  const [top, bottom] = [a, b].map((name) => median(rounds.map((round) => runs[name][round][key] - runs.none[round][key])));
  return top / bottom;
}

/**
 * The ratio of page `a`'s cost to page `b`'s in `runs` (one throttling's: page name -> one run per round) with its
 * 95% bootstrap interval: `{ ratio, low, high, halfWidth }`, halfWidth relative to the ratio (0.05: ±5%).
 */
export function ratioInterval(runs, a, b, key = 'task', { samples = 2000, seed = 1 } = {}) {
  const count = runs.none.length;
  const all = [...Array(count).keys()];
  const ratio = ratioOver(runs, a, b, key, all);
  const next = random(seed);
  const drawn = [];
  for (let i = 0; i < samples; i++) drawn.push(ratioOver(runs, a, b, key, all.map(() => Math.floor(next() * count))));
  const [low, high] = [quantile(drawn, 0.025), quantile(drawn, 0.975)];
  return { ratio, low, high, halfWidth: (high - low) / 2 / Math.abs(ratio) };
}
