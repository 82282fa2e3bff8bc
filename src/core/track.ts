import { resolved, type Settings } from './config';
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
  const early = new Map<Entry, number>(); // events this core sent itself, still out -> when
  const unsent = new Set<Entry>(); // events it stored for the module to send
  /**
   * The outbox in storage: the records, `key#id`, and a list an earlier version left under `key`. The seam's
   * `ofOutbox` and `recordKey`, written out here: through them the core every page loads is 18 bytes larger.
   */
  const stored = () => Object.keys(localStorage).filter((name) => name.split('#')[0] == key);
  /** Stores an event as the delivery module does, one record, at once: the page may be gone before a lock is granted. */
  const put = (entry: Entry, gone?: unknown) => {
    try {
      if (gone) localStorage.removeItem(key + '#' + entry.id);
      else localStorage.setItem(key + '#' + entry.id, toJSON(entry as never) as string);
    } catch {} // storage refused: the request is out all the same
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
    try {
      // an event waiting after a failed attempt: an earlier page saw the service fail, and none since saw it well
      for (const name of stored()) trusted = trusted && !JSON.parse(localStorage[name]).tries;
    } catch {
      trusted = false;
    }
    unsent.forEach((entry) => put(((entry.lease = 0), entry)));
    // out and trusted: delivered; out and not, claimed until the lease lapses (it may yet arrive), but for the proxy
    early.forEach((_, entry) => (trusted ? put(entry, 1) : proxied && put(((entry.lease = 0), entry))));
  };

  /** Events earlier pages left are sent once the page's own start is done (consent granted). */
  function resume() {
    let waiting;
    try {
      waiting = stored()[0];
    } catch {}
    if (!waiting || delivery) return;
    // in idle time where the browser has it (Safari has not), else in the next task
    if ('requestIdleCallback' in self) requestIdleCallback(start, { timeout: 1000 });
    else setTimeout(start, 1);
  }
  return {
    /** Stores and sends one event; the answer is its outcome, or a timeout while it is still being tried. */
    _send(id: string, body: string, queued: () => void): Promise<Reply> {
      let sent;
      if (delivery) sent = delivery.send(id, body, queued);
      else {
        const entry: Entry = { id, body, tries: 0, next: 0, lease: Date.now() + LEASE_MS };
        // one keepalive request at a time until the module is in: every keepalive request of a page shares 64 KiB
        const sending = early.size ? undefined : keepalive(settings, body, log);
        put(entry);
        addEventListener('pagehide', leave);
        // stored: the calls made after it may go, and be stored too, should the page be left this instant
        queued();
        if (sending) early.set(entry, Date.now());
        else unsent.add(entry);
        const settle = (reply: Reply) => {
          early.delete(entry);
          unsent.delete(entry);
          // delivered, or refused for good: out of storage; failed for now: free for the next page to claim, and
          // counted, so that a page left with a request out knows the service was failing (see leave)
          entry.lease = 0;
          if (sending) entry.tries++;
          put(entry, reply.ok || !reply.error.retryable);
          return reply;
        };
        const later = failure('module', 'stored: the next page sends it', true);
        sent = start().then(() => {
          if (!delivery) return (sending || resolved(later)).then(settle);
          early.delete(entry);
          unsent.delete(entry);
          return delivery.adopt(entry, sending);
        });
      }
      // the caller hears within its timeout; the event stays in flight, or queued, until it settles
      const late = failure('timeout', `not confirmed within ${settings.timeout} ms; still trying`, true);
      return Promise.race([sent, new Promise<Reply>((resolve) => setTimeout(resolve, settings.timeout, late))]);
    },
    _resume: resume,
    /** Consent refused: nothing more goes out, and nothing stays stored. */
    _clear() {
      early.clear();
      unsent.clear();
      if (delivery) return void delivery.clear();
      try {
        stored().map((name) => localStorage.removeItem(name));
      } catch {}
    },
  };
}

export type Tracker = ReturnType<typeof createTracker>;
