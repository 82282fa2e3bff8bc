/**
 * Every call the proxy makes to its store goes through here: a store that does not answer in time is taken as
 * down, the proxy works without it for a while (forwarding at least once, and letting traffic through the rate
 * limit, whose buckets are in the store too), and says so once, and once more when it answers again. A store must never keep a visitor waiting long.
 *
 * "In time" is counted in time the proxy could have heard the answer. Node reads an answer only when its event loop
 * is free; a busy proxy (a long task, GC, a CPU it shares) runs its timers before it reads what arrived meanwhile,
 * so a timer alone took a stalled proxy for a dead store and stopped deduplicating while Redis was fine.
 */

/** A store that does not answer within this, counted in time the event loop was free, is taken as down. */
export const STORE_TIMEOUT_MS = 1000;
/** After a store failure, how long the proxy works without it, rather than wait on it for every request. */
const STORE_RETRY_MS = 5000;
/** How often the event loop's stalls are measured: a tick that comes late by more than this was stalled. */
const TICK_MS = 50;

/**
 * A measure of the event loop's stalls: the milliseconds it has been stalled since it was made, counted by a
 * ticker that comes late when the loop is busy. One per proxy, which lives as long as its process.
 */
function loopStalls() {
  let stalled = 0;
  let lastTick = Date.now();
  const now = () => stalled + Math.max(0, Date.now() - lastTick - TICK_MS);
  const ticker = setInterval(() => {
    stalled = now();
    lastTick = Date.now();
  }, TICK_MS);
  // never the reason a process stays up (Node; other runtimes have no unref)
  (ticker as { unref?: () => void }).unref?.();
  return now;
}

export interface StoreGuard {
  /** `work`, or a rejection once it has had STORE_TIMEOUT_MS of the event loop's free time without answering. */
  ask<T>(work: Promise<T>): Promise<T>;
  /** Notes a failure: logged once, and the store is left alone for STORE_RETRY_MS. */
  down(error: unknown): void;
  /** True while the store is left alone after a failure. */
  isDown(): boolean;
}

export function guardStore(log: (message: string) => void, onFailure: () => void = () => {}): StoreGuard {
  let downUntil = 0;
  const stalledNow = loopStalls();
  return {
    ask<T>(work: Promise<T>) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const started = Date.now();
      const stalledAtStart = stalledNow();
      const late = new Promise<never>((_, reject) => {
        const check = () => {
          const heard = Date.now() - started - (stalledNow() - stalledAtStart);
          if (heard >= STORE_TIMEOUT_MS) reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`));
          // the loop was stalled: wait on, and let it read what may have arrived meanwhile
          else timer = setTimeout(check, STORE_TIMEOUT_MS - heard);
        };
        timer = setTimeout(check, STORE_TIMEOUT_MS);
      });
      return Promise.race([work, late])
        .finally(() => clearTimeout(timer))
        .then((value) => {
          if (downUntil) log('p13n proxy: the deduplication store answers again; deduplicating');
          downUntil = 0;
          return value;
        });
    },
    down(error) {
      onFailure();
      if (!downUntil) {
        log(
          `p13n proxy: the deduplication store failed (${error instanceof Error ? error.message : error}); ` +
            'forwarding every arrival (at least once, duplicates possible) until it answers again',
        );
      }
      downUntil = Date.now() + STORE_RETRY_MS;
    },
    isDown: () => Date.now() < downUntil,
  };
}
