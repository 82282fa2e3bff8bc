/**
 * Exactly once at the service: the first arrival of an event's uuid is forwarded, and every later arrival of it
 * gets the first one's answer. A tag cannot know whether a request that was out as its page unloaded got
 * through, so it sends the event again with the same uuid; here, on the server, that can be known.
 */
import { answer, apiError, decoder, type Answer } from './answer';
import { STORE_TIMEOUT_MS, type StoreGuard } from './guard';
import type { DedupStore } from './types';

/** Marks a claim: the first arrival is being forwarded. An answer is remembered as JSON, which never starts so. */
const PENDING = 'pending ';
/** How often a later arrival looks whether the first one's answer is in. */
const POLL_MS = 50;

interface Remembered {
  status: number;
  type: string | null;
  body: string;
}

/** Answers sending again cannot change are remembered; a failure (5xx, 429, 408, a timeout's 502) is not. */
const final = (status: number) => status < 500 && status != 429 && status != 408;

const replay = ({ status, type, body }: Remembered) => answer(status, body, { ...(type ? { 'content-type': type } : {}), 'p13n-duplicate': 'true' });

const busy = () => apiError(503, 9999, 'this event is still being forwarded; send it again later', { 'retry-after': '1' });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DedupOptions {
  store: DedupStore;
  /** How long an answer is remembered. */
  rememberMs: number;
  /** How long a claim holds: longer than a forward can take, so that only a crashed instance's claim lapses. */
  claimMs: number;
  guard: StoreGuard;
  /** Called for each arrival answered from the store. */
  duplicate: () => void;
}

/**
 * Returns `once(key, forward, admit)`: `forward()` for the first arrival of `key`, its remembered answer for the
 * rest; `admit()` (the rate limit) is asked meanwhile, and its refusal is the answer of an arrival it refuses.
 */
export function deduplicate({ store, rememberMs, claimMs, guard, duplicate }: DedupOptions) {
  const { ask, down } = guard;

  /**
   * `'claimed'` once this arrival holds the claim, the remembered answer when the first arrival's is in, `'busy'`
   * when it is still being forwarded after a claim's whole life, and when the store fails, the claim it may have
   * set all the same (a claim that timed out may still land).
   */
  async function claimOrWait(key: string, claim: string, first: Promise<boolean>): Promise<Remembered | 'claimed' | 'busy' | { unknown: Promise<boolean> }> {
    const deadline = Date.now() + claimMs;
    let held: string | null;
    let claiming = first;
    try {
      for (;;) {
        if (await ask(claiming)) return 'claimed';
        claiming = Promise.resolve(false);
        held = await ask(store.get(key));
        if (held && !held.startsWith(PENDING)) break;
        // still in flight elsewhere (or gone between the two calls: claim again at once)
        if (Date.now() > deadline) return 'busy';
        if (held) await sleep(POLL_MS);
        claiming = store.claim(key, claim, claimMs);
      }
    } catch (error) {
      down(error);
      return { unknown: claiming };
    }
    try {
      const answer = JSON.parse(held) as Remembered;
      if (answer.status >= 200 && answer.status < 600 && typeof answer.body == 'string') return answer;
    } catch {}
    return { unknown: claiming }; // not written by this proxy: forwarding is the safe side
  }

  /** Remembers a final answer under the claim, or gives the claim up for a failure, so that a resend need not wait. */
  async function settle(key: string, claim: string, reply: Answer): Promise<void> {
    if (!final(reply.status)) return void (await ask(store.release(key, claim)).catch(down));
    const { status, headers, body } = reply;
    const remembered: Remembered = { status, type: headers['content-type'] || null, body: typeof body == 'string' ? body : decoder.decode(body || undefined) };
    await ask(store.set(key, JSON.stringify(remembered), rememberMs)).catch(down);
  }

  return async function once(key: string, forward: () => Promise<Answer>, admit: () => Promise<Answer | undefined>): Promise<Answer> {
    if (guard.isDown()) return (await admit()) || forward();
    const claim = PENDING + crypto.randomUUID();
    // the claim and the rate limit at once: one round trip to the store before the forward, not two
    const first = store.claim(key, claim, claimMs);
    first.catch(() => {}); // heard below (ask): not an unhandled rejection while the rate limit is asked
    const refused = await admit();
    if (refused) {
      // not forwarded: a claim it took is given back at once
      void ask(first).then((mine) => (mine ? ask(store.release(key, claim)) : undefined)).catch(() => {});
      return refused;
    }
    const found = await claimOrWait(key, claim, first);
    if (found == 'busy') return busy();
    // answered as soon as the service has: the answer is stored meanwhile (`settled`, which a server awaits
    // before it counts the request done)
    if (found == 'claimed') {
      const reply = await forward();
      return { ...reply, settled: settle(key, claim, reply) };
    }
    if (!('unknown' in found)) return duplicate(), replay(found);
    const reply = await forward();
    // a claim that timed out may have been set: left unsettled, it would hold a resend off for a claim's life and
    // then let it through again. Once it is known (within a bound), it is settled as any other; the visitor does
    // not wait for that.
    const late = Promise.race([found.unknown, sleep(STORE_TIMEOUT_MS).then(() => false)]);
    void late.then((mine) => (mine ? settle(key, claim, reply) : undefined)).catch(() => {});
    return reply;
  };
}
