import type { Settings } from './config';
import { problem } from './errors';
import { load } from './load';
import { toJSON } from './payload';
import { LEASE_MS, outboxKey, SLOW_MS, type Entry, type Modules } from '../seam';
import { failure, keepalive, type Reply } from './transport';
import type { P13nError } from '../types';

type Delivery = ReturnType<Modules['delivery']>;

/**
 * The core's side of `track`. Delivery (the outbox, retries, the tabs' shared claims) is a module, loaded by the
 * first `track`, or by `resume` when storage holds events an earlier page left. A `track` made before it is in is
 * stored in the outbox, in its format, and sent at once with keepalive all the same, since the page may be left
 * that instant; the module then follows that request to its end. Should the module never come, a delivered event
 * leaves storage, a failed one stays for the next page, and a page left with one out counts it delivered unless
 * it is offline or slow, or an event waits after a failed attempt, as the module does.
 */
export function createTracker(settings: Settings, report: (error: P13nError, id?: string) => void, log?: (...data: unknown[]) => void) {
  const key = outboxKey(settings);
  let delivery: Delivery | undefined;
  let loading: Promise<unknown> | undefined;
  const early = new Map<string, number>(); // events this core sent itself, still out -> when
  const unsent = new Set<string>(); // events it stored for the module to send
  /** One read-modify-write of the outbox, at once: the page may be gone before a lock would be granted. */
  const edit = (change: (entries: Entry[]) => Entry[]) => {
    try {
      const entries = change(JSON.parse(localStorage.getItem(key) || '[]'));
      if (entries.length) localStorage.setItem(key, toJSON(entries as never) as string);
      else localStorage.removeItem(key);
    } catch {} // storage refused, or holds no list: the request is out all the same
  };
  const start = () =>
    (loading =
      loading ||
      load('delivery', settings.nonce).then(
        (create) => (delivery = create({ keepalive, failure }, settings, report, log)),
        (why) => {
          // tried again by the next track, and on the next page
          loading = undefined;
          report(problem('module', why));
        },
      ));
  /**
   * The page is left before the module came: what is out counts delivered (unless offline, slow, or the service
   * was failing when an earlier page last tried), and what waited for the module is free for the next page to
   * send at once. Through a first-party proxy (no key in the page) nothing out counts delivered, and every claim
   * is let go: all goes to the next page at once, since the proxy answers a second arrival of a uuid without
   * forwarding it.
   */
  const leave = () => {
    if (delivery) return;
    const now = Date.now();
    const proxied = !settings.headers.Authorization;
    let trusted = !proxied && navigator.onLine;
    early.forEach((since) => (trusted = trusted && now - since < SLOW_MS));
    edit((entries) => {
      for (const entry of entries) {
        if (proxied || unsent.has(entry.id)) entry.lease = 0;
        // an event waiting after a failed attempt: an earlier page saw the service fail, and none since saw it well
        if (entry.tries) trusted = false;
      }
      return trusted ? entries.filter((entry) => !early.has(entry.id)) : entries;
    });
  };

  /** Events earlier pages left are sent once the page's own start is done (consent granted). */
  function resume() {
    let waiting;
    try {
      waiting = /^\[./.test(localStorage.getItem(key) || '');
    } catch {}
    if (!waiting || delivery) return;
    // in idle time where the browser has it (Safari has not), else in the next task
    if ('requestIdleCallback' in self) requestIdleCallback(start, { timeout: 1000 });
    else setTimeout(start, 1);
  }

  return {
    /** Stores and sends one event; the answer is its outcome, or a timeout while it is still being tried. */
    send(id: string, body: string, queued: () => void): Promise<Reply> {
      let sent;
      if (delivery) sent = delivery.send(id, body, queued);
      else {
        const entry: Entry = { id, body, tries: 0, next: 0, lease: Date.now() + LEASE_MS };
        // one keepalive request at a time until the module is in: every keepalive request of a page shares 64 KiB
        const sending = early.size ? undefined : keepalive(settings, body, log);
        edit((entries) => entries.concat(entry));
        addEventListener('pagehide', leave);
        // stored: the calls made after it may go, and be stored too, should the page be left this instant
        queued();
        if (sending) early.set(id, Date.now());
        else unsent.add(id);
        const settle = (reply: Reply) => {
          early.delete(id);
          unsent.delete(id);
          // delivered, or refused for good: out of storage; failed for now: free for the next page to claim, and
          // counted, so that a page left with a request out knows the service was failing (see leave)
          const done = reply.ok || !reply.error.retryable;
          edit((entries) => {
            for (const kept of entries) {
              if (kept.id != id) continue;
              kept.lease = 0;
              if (sending) kept.tries++;
            }
            return done ? entries.filter((stored) => stored.id != id) : entries;
          });
          return reply;
        };
        const stored = failure('module', 'stored: the next page sends it', undefined, true);
        sent = start().then(() => {
          if (!delivery) return (sending || Promise.resolve(stored)).then(settle);
          early.delete(id);
          unsent.delete(id);
          return delivery.adopt(entry, sending);
        });
      }
      // the caller hears within its timeout; the event stays in flight, or queued, until it settles
      const late = failure('timeout', `not confirmed within ${settings.timeout} ms; still trying`, undefined, true);
      return Promise.race([sent, new Promise<Reply>((resolve) => setTimeout(resolve, settings.timeout, late))]);
    },
    resume,
    /** Consent refused: nothing more goes out, and nothing stays stored. */
    clear() {
      early.clear();
      unsent.clear();
      if (delivery) return void delivery.clear();
      try {
        localStorage.removeItem(key);
      } catch {}
    },
  };
}

export type Tracker = ReturnType<typeof createTracker>;
