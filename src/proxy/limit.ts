/**
 * A rate limit per visitor address: a token bucket of `burst` requests, refilled at `perSecond`. Every request the
 * proxy forwards counts against the site's own limits at Treasure Data (429 with 2003 or 2013), so one client
 * flooding the proxy would otherwise take personalization down for every visitor. The buckets live in the store,
 * so every instance on one Redis limits together. A store that fails lets traffic through, as deduplication does.
 */
import { apiError, type Answer } from './answer';
import type { StoreGuard } from './guard';
import type { DedupStore, RateLimit } from './types';

/** What a visitor may send by default: a busy office or mobile carrier behind one address must still get through. */
const DEFAULT_LIMIT: Required<RateLimit> = { perSecond: 20, burst: 200 };
/**
 * The `code` of the proxy's own 429 (the API's own limits answer 2003 and 2013): the tag retries it after
 * `Retry-After`, as it does any 429 whose code is not a 3xxx (a request the service refuses for good).
 */
export const LIMITED_CODE = 429;
const MINUTE = 60_000;

export function limitOptions(option: RateLimit | false | undefined): Required<RateLimit> | undefined {
  if (option === false) return;
  const { perSecond, burst } = { ...DEFAULT_LIMIT, ...option };
  if (!(typeof perSecond == 'number' && perSecond > 0 && perSecond < Infinity)) {
    throw new Error('p13n proxy: rateLimit.perSecond must be a number of requests above 0 (or rateLimit: false)');
  }
  if (!(Number.isInteger(burst) && burst >= 1)) throw new Error('p13n proxy: rateLimit.burst must be a whole number of requests, at least 1');
  return { perSecond, burst };
}

/**
 * Returns `limited(visitor)`: undefined when the visitor may go on, the 429 to answer otherwise. A visitor whose
 * address is unknown (no peer) is not limited: one bucket for all of them would limit everyone together.
 */
export function rateLimiter(take: Required<DedupStore>['take'], limit: Required<RateLimit>, guard: StoreGuard, log: (message: string) => void) {
  let quietUntil = 0;
  /** Requests refused since the last line in the log. */
  let unsaid = 0;
  return async function limited(visitor: string | undefined): Promise<Answer | undefined> {
    if (!visitor || guard.isDown()) return;
    let waitMs: number;
    try {
      waitMs = await guard.ask(take('rate:' + visitor, limit.perSecond, limit.burst));
    } catch (error) {
      guard.down(error);
      return;
    }
    if (!(waitMs > 0)) return;
    unsaid++;
    if (Date.now() >= quietUntil) {
      // a line a minute at most, however hard the proxy is flooded
      log(`p13n proxy: rate limited ${unsaid} request(s) in the last minute (${limit.perSecond}/s, bursts of ${limit.burst} per address); latest from ${visitor}`);
      quietUntil = Date.now() + MINUTE;
      unsaid = 0;
    }
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return apiError(429, LIMITED_CODE, `too many requests from this address; send again in ${seconds} s`, { 'retry-after': String(seconds) });
  };
}
