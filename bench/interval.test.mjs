// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { paired, random, ratioInterval, shuffled } from './interval.mjs';

/** `rounds` rounds of pages whose true costs are `costs` (ms) over a page without a tag, with noise and drift. */
function simulate(costs, rounds, { noise = 1, drift = 0, seed = 7 } = {}) {
  const next = random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  const runs = Object.fromEntries(['none', ...Object.keys(costs)].map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    // the machine's state in this round: every page of the round pays it
    const machine = 10 + drift * Math.sin(round / 5);
    runs.none.push({ task: machine + noise * gauss() });
    for (const [name, cost] of Object.entries(costs)) runs[name].push({ task: machine + cost + noise * gauss() });
  }
  return runs;
}

describe('the main-thread ratios', () => {
  it('bracket the true ratio 95% of the time, and narrow as rounds are added', () => {
    const intervals = (rounds, runs) =>
      [...Array(runs).keys()].map((seed) => ratioInterval(simulate({ tag: 4, td: 8 }, rounds, { seed }), 'tag', 'td', 'task', { samples: 400 }));
    const few = intervals(30, 60);
    const covered = few.filter(({ low, high }) => low <= 0.5 && 0.5 <= high).length / few.length;
    expect(covered).toBeGreaterThan(0.85);
    const mean = (list) => list.reduce((sum, { halfWidth }) => sum + halfWidth, 0) / list.length;
    expect(mean(intervals(300, 6))).toBeLessThan(mean(few) / 2);
  }, 30_000);

  it('pair each page with the same round: a machine that drifts by more than the costs does not widen them', () => {
    const steady = ratioInterval(simulate({ tag: 4, td: 8 }, 100), 'tag', 'td');
    const drifting = ratioInterval(simulate({ tag: 4, td: 8 }, 100, { drift: 20 }), 'tag', 'td');
    expect(drifting.halfWidth).toBeLessThan(steady.halfWidth * 1.2);
    for (const cost of paired(simulate({ tag: 4 }, 3, { noise: 0, drift: 20 }), 'tag', 'task')) expect(cost).toBeCloseTo(4, 9);
  });

  it('are the same from the same measurements: the generator is seeded', () => {
    const runs = simulate({ tag: 4, td: 8 }, 40);
    expect(ratioInterval(runs, 'tag', 'td')).toEqual(ratioInterval(runs, 'tag', 'td'));
    expect(shuffled([1, 2, 3, 4, 5], random(3))).toEqual(shuffled([1, 2, 3, 4, 5], random(3)));
    expect(shuffled([1, 2, 3, 4, 5], random(3)).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
