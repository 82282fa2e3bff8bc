import type { Settings } from '../../core/config';
import { LEASE_MS, outboxKey, SLOW_MS, type Entry, type Kit } from '../../seam';
import type { Reply } from '../../core/transport';
import type { P13nError } from '../../types';
import { bytes, createOutbox } from './outbox';

/** Keepalive bytes in flight at once: every keepalive fetch and beacon of a page shares 64 KiB (Fetch spec). */
export const BUDGET = 60 * 1024;
/**
 * Requests in flight at once. Few, so that few are ever out when the page is left: such a request completes
 * in the browser, but no page can read its answer any more.
 */
export const PARALLEL = 4;
/**
 * How long an answered request's bytes still count against the budget. Firefox frees a keepalive request's share
 * of the 64 KiB a few milliseconds after its answer has been read (measured: 1 ms later is too soon, 5 ms enough),
 * and fails a keepalive request made before then that would not fit beside it, as a network error.
 */
export const RELEASE_MS = 25;
/** Backoff between attempts of one event: 1 s doubling to 60 s, each between half and all of that. */
export const redelay = (tries: number) => Math.min(60_000, 1000 * 2 ** tries) * (0.5 + Math.random() / 2);

/**
 * `track` delivery. Each event is stored in the outbox before it is sent, with keepalive so the request outlives
 * the page, and leaves the outbox on a 2xx or an answer that retrying cannot change. What fails for now is sent
 * again with the same uuid after a backoff (or the server's Retry-After), on `online`, when the page is hidden,
 * and on the next page of the site. `report` hears of events given up on: dropped to keep the outbox within its
 * bounds, or refused by the API on a resend.
 */
export default function createDelivery(
  { keepalive, failure }: Kit,
  settings: Settings,
  report: (error: P13nError, id: string) => void,
  log?: (...data: unknown[]) => void,
) {
  const outbox = createOutbox(outboxKey(settings));
  const inFlight = new Map<Entry, number>(); // -> when it was sent
  const handedOver = new Set<string>();
  let queue: [Entry, (reply: Reply) => void][] = []; // claimed by this tab, waiting for room
  // no retryable failure seen since the service last answered well, by this page or, as the events waiting after
  // a failed attempt tell, by the page before it: a page left before it hears an answer must not trust an outage
  let healthy = !outbox.failing();
  let left = false; // pagehide came: what this page still hears is the browser tearing it down
  let timer: ReturnType<typeof setTimeout> | undefined;
  // delivered, not yet out of storage: they leave it together, one write for all that came in meanwhile, so
  // storage keeps pace with a fast drain, and a page left in between takes them out at once (see leave)
  const delivered = new Set<string>();
  let removing: Promise<void> | undefined;
  const forget = (id: string) => {
    delivered.add(id);
    return (removing = removing || drain());
  };
  async function drain() {
    try {
      for (let ids = [...delivered]; ids.length; ids = [...delivered]) {
        await outbox.remove(ids);
        ids.forEach((id) => delivered.delete(id));
      }
    } finally {
      removing = undefined;
    }
  }

  let releasing = 0; // bytes of answered requests the browser may not have freed yet (see RELEASE_MS)
  const room = () => {
    let free = BUDGET - releasing;
    inFlight.forEach((_, entry) => (free -= bytes(entry)));
    return free;
  };
  /** Sends, in order, the events this tab has waiting for room, as far as the room goes. */
  const pump = () => {
    while (queue[0] && fits(queue[0][0])) {
      const [next, resolve] = queue.shift()!;
      attempt(next).then(resolve);
    }
  };
  const fits = (entry: Entry) => inFlight.size < PARALLEL && bytes(entry) <= room();
  /** Sent at once when there is room and nothing waits before it; else when its turn comes. */
  const enqueue = (entry: Entry) => (fits(entry) && !queue.length ? attempt(entry) : new Promise<Reply>((resolve) => queue.push([entry, resolve])));
  const mine = () => queue.map(([entry]) => entry.id).concat([...inFlight.keys()].map((entry) => entry.id));
  // a dropped event stays dropped: not put back by a later failure of the request that was out for it
  const dropped = (entries: Entry[]) =>
    entries.forEach((entry) => {
      handedOver.delete(entry.id);
      report({ code: 'dropped', message: 'p13n: the outbox was full: its oldest event was dropped' }, entry.id);
    });

  /** Sends `entry`, or follows the request the core already sent for it (`sending`), to its end. */
  async function attempt(entry: Entry, sending?: Promise<Reply>): Promise<Reply> {
    inFlight.set(entry, Date.now());
    const reply = await (sending || keepalive(settings, entry.body, log));
    // Chromium fails the fetches of a page it unloads as pagehide is dispatched, maybe before this module's
    // listener has run (the page's own, or another tag's, may come first): in a visible page, no answer is read
    // a task later, by when `left` tells, and the request still counts as out should the page be leaving. Not
    // in a hidden one, whose timers wait up to a second, time enough for the tab to be closed.
    if (!reply.ok && reply.error.code == 'network' && document.visibilityState == 'visible') await new Promise((resolve) => setTimeout(resolve));
    inFlight.delete(entry);
    releasing += bytes(entry);
    setTimeout(() => {
      releasing -= bytes(entry);
      pump();
    }, RELEASE_MS);
    // Chromium fails the fetches of a page it unloads, though they go on: such a failure says nothing
    if (left) return reply;
    const done = (healthy = reply.ok || !reply.error.retryable);
    await (done
      ? forget(entry.id)
      : outbox.retry(entry, Date.now() + Math.max(redelay(entry.tries), reply.wait || 0), handedOver.has(entry.id)).then(dropped));
    handedOver.delete(entry.id);
    pump();
    flush();
    return reply;
  }

  /** Sends what is due and has room, renews this tab's claims, then sets the timer for what waits. */
  // called from timers and page events: whatever went wrong must not become the page's unhandled rejection
  const flush = (due?: boolean) => flushNow(due).catch(() => {});
  async function flushNow(due?: boolean) {
    const now = Date.now();
    const entries = await outbox.list(due);
    const claimed = await outbox.claim(now, room(), queue.length ? 0 : PARALLEL - inFlight.size, false, mine());
    // the page was left meanwhile (a flush begun as it was hidden): what it just claimed is the next page's
    if (left) return void outbox.release(claimed.map((entry) => entry.id), true);
    // flushes overlap (each end of a request, `online`, a hidden page starts one) and claim for the same room:
    // what is claimed waits its turn like a new event, so no more than PARALLEL and BUDGET are ever out
    for (const entry of claimed) {
      // refused for good is reported; consent denied meanwhile (see clear) is not the event's fault
      enqueue(entry).then((reply) => reply.ok || reply.error.retryable || reply.error.code == 'consent' || report(reply.error, entry.id));
    }
    clearTimeout(timer);
    // back before this tab's own claims lapse, to renew them while its requests are out
    const next = Math.min(...entries.map((entry) => Math.max(entry.next, entry.lease)), mine().length ? now + LEASE_MS / 2 : Infinity);
    // timers overflow past 2^31-1 ms (24.8 days) and would fire at once
    if (next < Infinity) timer = setTimeout(flush, Math.min(Math.max(next - now, 50), 2 ** 31 - 1));
  }

  /**
   * The page is hidden or being left, and may never run again. A request it has out will complete, but its
   * answer may never be read. Unless this page saw the service fail or hang (or, before it heard an answer, an
   * earlier page did: events wait after a failed attempt), or the browser is offline, those requests are counted
   * delivered (and put back should the page live on and see one fail), and on pagehide up to PARALLEL due events
   * go out with them, counted the same way: the common case, a `track` and a link followed at once, is sent once.
   * Otherwise nothing more is sent, what is out stays claimed, and the next page sends it again once the claim
   * lapses: never lost, at worst sent twice. Whatever else this page holds goes to the next page at once.
   */
  function leave(event: Event) {
    const now = Date.now();
    // a first-party proxy (no key in the page) deduplicates by uuid: nothing out counts delivered, it goes to the
    // next page at once, and the proxy answers a second arrival without forwarding it
    const proxied = !settings.headers.Authorization;
    let trusted = healthy && navigator.onLine && !proxied;
    inFlight.forEach((since) => (trusted = trusted && now - since < SLOW_MS));
    const out = [...inFlight.keys()];
    // delivered events still on their way out of storage go at once, with those handed over: one write
    const done = [...delivered];
    if (trusted) {
      out.forEach((entry) => handedOver.add(entry.id));
      done.push(...out.map((entry) => entry.id));
    }
    if (done.length) outbox.remove(done, true);
    if (event.type != 'pagehide') return void flush();
    left = true;
    const held = queue;
    queue = [];
    outbox.release(held.map(([entry]) => entry.id).concat(proxied ? out.map((entry) => entry.id) : []), true);
    const gone = failure('network', 'the page was left before this event was sent: the next page sends it', true);
    held.forEach(([, resolve]) => resolve(gone));
    if (trusted) {
      // a claim with `sync` takes them out of storage at once: handed over like those already out
      outbox.claim(now, room(), PARALLEL - inFlight.size, true).then((entries) =>
        entries.forEach((entry) => {
          handedOver.add(entry.id);
          attempt(entry);
        }),
      );
    }
  }

  addEventListener('online', () => flush(true));
  addEventListener('pagehide', leave);
  addEventListener('pageshow', (event) => {
    // back from the back/forward cache: this page lives again
    if (event.persisted) {
      left = false;
      flush();
    }
  });
  document.addEventListener('visibilitychange', (event) => document.visibilityState == 'hidden' && leave(event));
  flush();

  return {
    /**
     * Stores the event, claimed by this tab, and sends it as soon as there is room; `queued` hears when it is
     * sent or waits its turn, so that calls sent one after another keep their order.
     */
    async send(id: string, body: string, queued?: () => void): Promise<Reply> {
      const entry: Entry = { id, body, tries: 0, next: 0, lease: Date.now() + LEASE_MS };
      // stored at once, not under the tabs' lock: a page left right after the call (a track, then a link followed)
      // may never be granted the lock, and the event would be neither stored nor sent. A new entry is this tab's
      // own (claimed, with an id no other tab has), so only a write of another tab at the very same moment can
      // undo it, as the core's own first send also accepts.
      dropped(await outbox.add(entry, true));
      const sent = enqueue(entry);
      if (queued) queued();
      return sent;
    },
    /**
     * An event the core stored, claimed by this tab, before this module was in, and sent itself (`sending`) or
     * left for this module to send. A failure puts a sent one back should it be gone (the core hands it over as
     * the page is left).
     */
    adopt(entry: Entry, sending?: Promise<Reply>): Promise<Reply> {
      // the core's records carry no order among themselves: stored again as adopted, which is the calls' order
      outbox.append(entry);
      if (!sending) return enqueue(entry);
      handedOver.add(entry.id);
      return attempt(entry, sending);
    },
    flush,
    /** Consent refused: nothing more goes out; what waits for room is answered, the outbox emptied. */
    clear() {
      const refused = failure('consent', 'consent is denied: nothing is sent');
      queue.forEach(([, resolve]) => resolve(refused));
      queue = [];
      return outbox.clear();
    },
  };
}
