/**
 * Exactly once at the service: the first arrival of an event's uuid is forwarded, and every later arrival of it
 * gets the first one's answer. A tag cannot know whether a request that was out as its page unloaded got
 * through, so it sends the event again with the same uuid; here, on the server, that can be known.
 */
import { apiError } from './errors';
import type { DedupStore } from './types';

/** Marks a claim: the first arrival is being forwarded. An answer is remembered as JSON, which never starts so. */
const PENDING = 'pending ';
/** How often a later arrival looks whether the first one's answer is in. */
const POLL_MS = 50;
/** A store that does not answer within this is treated as unreachable, so a visitor never waits on it long. */
const STORE_TIMEOUT_MS = 1000;
/** After a store failure, how long the proxy forwards without asking the store, rather than wait on it each time. */
const STORE_RETRY_MS = 5000;

interface Remembered {
  status: number;
  type: string | null;
  body: string;
}

/** Answers sending again cannot change are remembered; a failure (5xx, 429, 408, a timeout's 502) is not. */
const final = (status: number) => status < 500 && status != 429 && status != 408;

const replay = ({ status, type, body }: Remembered) =>
  new Response(body || null, { status, headers: { ...(type ? { 'Content-Type': type } : {}), 'P13n-Duplicate': 'true' } });

const busy = () => apiError(503, 9999, 'this event is still being forwarded; send it again later', { 'Retry-After': '1' });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DedupOptions {
  store: DedupStore;
  /** How long an answer is remembered. */
  rememberMs: number;
  /** How long a claim holds: longer than a forward can take, so that only a crashed instance's claim lapses. */
  claimMs: number;
  log: (message: string) => void;
}

/** Returns `once(key, forward)`: `forward()` for the first arrival of `key`, its remembered answer for the rest. */
export function deduplicate({ store, rememberMs, claimMs, log }: DedupOptions) {
  let downUntil = 0;
  const ask = <T>(work: Promise<T>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
    });
    return Promise.race([work, late])
      .finally(() => clearTimeout(timer))
      .then((value) => {
        if (downUntil) log('p13n proxy: the deduplication store answers again; deduplicating');
        downUntil = 0;
        return value;
      });
  };
  const down = (error: unknown) => {
    if (!downUntil) {
      log(
        `p13n proxy: the deduplication store failed (${error instanceof Error ? error.message : error}); ` +
          'forwarding every arrival (at least once, duplicates possible) until it answers again',
      );
    }
    downUntil = Date.now() + STORE_RETRY_MS;
  };

  /**
   * `'claimed'` once this arrival holds the claim, the remembered answer when the first arrival's is in, `'busy'`
   * when it is still being forwarded after a claim's whole life, `'unknown'` when the store fails.
   */
  async function claimOrWait(key: string, claim: string): Promise<Remembered | 'claimed' | 'busy' | 'unknown'> {
    const deadline = Date.now() + claimMs;
    let held: string | null;
    try {
      for (;;) {
        if (await ask(store.claim(key, claim, claimMs))) return 'claimed';
        held = await ask(store.get(key));
        if (held && !held.startsWith(PENDING)) break;
        // still in flight elsewhere (or gone between the two calls: claim again at once)
        if (Date.now() > deadline) return 'busy';
        if (held) await sleep(POLL_MS);
      }
    } catch (error) {
      down(error);
      return 'unknown';
    }
    try {
      const answer = JSON.parse(held) as Remembered;
      if (answer.status >= 200 && answer.status < 600 && typeof answer.body == 'string') return answer;
    } catch {}
    return 'unknown'; // not written by this proxy: forwarding is the safe side
  }

  return async function once(key: string, forward: () => Promise<Response>): Promise<Response> {
    if (Date.now() < downUntil) return forward();
    const claim = PENDING + crypto.randomUUID();
    const found = await claimOrWait(key, claim);
    if (found == 'unknown') return forward();
    if (found == 'busy') return busy();
    if (found != 'claimed') return replay(found);

    const response = await forward();
    if (!final(response.status)) {
      await ask(store.release(key, claim)).catch(down);
      return response;
    }
    const answer: Remembered = { status: response.status, type: response.headers.get('Content-Type'), body: await response.text() };
    await ask(store.set(key, JSON.stringify(answer), rememberMs)).catch(down);
    return new Response(answer.body || null, { status: answer.status, headers: response.headers });
  };
}
