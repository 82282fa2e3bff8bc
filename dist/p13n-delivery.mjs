import { a as ofOutbox, r as recordKey, L as LEASE_MS, o as outboxKey, S as SLOW_MS } from './p13n-seam.mjs';

/** Bounds: enough for a long outage of a busy page, far below localStorage's quota (about 5 MB per site). */
const MAX_EVENTS = 200;
const MAX_BYTES = 256 * 1024;
const FIELDS = ['id', 'body', 'tries', 'next', 'lease', 'bytes', 'at'];
/** How long a tab keeps the outbox's lock after its write, for the write to reach the other tabs. */
const SETTLE_MS = 20;
/** UTF-8 bytes: what the bounds and the keepalive quota count. */
const size = (text) => new TextEncoder().encode(text).length;
/** An entry's bytes, encoded once and kept on it, rather than on every change to the outbox. */
const bytes = (entry) => (typeof entry.bytes == 'number' ? entry.bytes : (entry.bytes = size(entry.body)));
/**
 * An entry's JSON, written field by field from primitives: a page's own `toJSON` (Prototype.js puts one on
 * arrays, a polluted Object.prototype may add one) is never called, so the outbox always reads back.
 */
const json = (entry) => '{' + FIELDS.filter((field) => entry[field] != null).map((field) => `"${field}":${JSON.stringify(entry[field])}`).join() + '}';
const valid = (entry) => !!entry && typeof entry.id == 'string' && typeof entry.body == 'string' && entry.tries >= 0 && entry.next >= 0 && entry.lease >= 0;
const parse = (text) => {
    try {
        const entry = JSON.parse(text);
        return valid(entry) ? entry : undefined;
    }
    catch {
        return undefined;
    }
};
/** The entry a record `id` holds as `text`: a valid one, of that very id (not one copied under another's key). */
const recordOf = (id, text) => {
    const entry = parse(text);
    return entry && entry.id == id ? entry : undefined;
};
/**
 * The events of one endpoint and table. Each is one `localStorage` record under `key#id`, written by this
 * module or by the core (a `track` made before the module is in), so that storing, claiming or removing one costs
 * the same however many wait. (Until 0.2.0 they were one JSON list under `key`, read and written whole for every
 * change; this outbox moves such a list into records when it finds one.) The tab keeps an index of the records
 * in memory, oldest first, from one scan of the keys at its start and the `storage` events of the other tabs;
 * a claim reads each record it takes again, under a Web Lock named `key` where the browser has them (secure
 * pages), so two tabs never claim one event; elsewhere the leases and the single-threaded page keep that window
 * to a few milliseconds. From the first time storage throws (Safari private mode, storage disabled, quota full)
 * the index alone holds them.
 */
function createOutbox(key) {
    let index = new Map(); // id -> entry, oldest first
    let stored = true;
    let last = 0;
    const record = (id) => recordKey(key, id);
    /** The id of a record of this outbox, from its storage key (empty for the list 0.1.0 kept under `key`). */
    const idOf = (name) => (name && ofOutbox(key, name) ? name.slice(key.length + 1) : undefined);
    const attempt = (use) => {
        try {
            return stored ? use() : undefined;
        }
        catch {
            stored = false;
            return undefined;
        }
    };
    const save = (entry) => {
        index.set(entry.id, entry);
        attempt(() => localStorage.setItem(record(entry.id), json(entry)));
    };
    const drop = (id) => {
        index.delete(id);
        attempt(() => localStorage.removeItem(record(id)));
    };
    /** The record as storage holds it now (another tab may have changed it); the index's where storage fails. */
    const fresh = (id) => {
        const entry = attempt(() => recordOf(id, localStorage.getItem(record(id))));
        if (!stored)
            return index.get(id);
        entry ? index.set(id, entry) : index.delete(id);
        return entry;
    };
    /** Stamps the order it was stored in, strictly increasing in this tab (ties within a millisecond included). */
    const stamp = (entry) => ((entry.at = last = Math.max(Date.now(), last + 0.001)), entry);
    /** Reads every record, oldest first, then moves a list an earlier version left into records. */
    const scan = () => {
        const found = [];
        attempt(() => {
            for (let i = 0; i < localStorage.length; i++) {
                const id = idOf(localStorage.key(i));
                const entry = id && recordOf(id, localStorage.getItem(record(id)));
                if (entry)
                    found.push(entry);
            }
        });
        index = new Map(found.sort((a, b) => (a.at || 0) - (b.at || 0)).map((entry) => [entry.id, entry]));
        // what this tab stores next goes after all it has seen, whatever another tab's clock said
        index.forEach((entry) => (last = Math.max(last, entry.at || 0)));
        adopt();
    };
    const adopt = () => attempt(() => {
        const list = localStorage.getItem(key);
        if (list == null)
            return;
        let entries;
        try {
            entries = JSON.parse(list);
        }
        catch { } // not JSON: nothing to keep, and removed all the same
        // in the list's order, after what is stored already; an id stored twice keeps its record
        if (Array.isArray(entries))
            for (const entry of entries)
                valid(entry) && !index.has(entry.id) && save(stamp(entry));
        localStorage.removeItem(key);
    });
    /** `sync` skips the lock and runs at once: for a page being left, whose later tasks may never run. */
    const update = (change, sync) => {
        const locks = navigator.locks;
        // Chromium hands a localStorage write to other tabs a moment later: the lock is held until it is theirs
        const settled = () => {
            const result = change();
            return new Promise((resolve) => setTimeout(resolve, SETTLE_MS, result));
        };
        // a lock manager that refuses (a sandboxed frame, say) leaves the page's own ordering to serialize changes
        return sync ? Promise.resolve(change()) : locks ? locks.request(key, settled).catch(change) : Promise.resolve().then(change);
    };
    const append = (entry) => {
        index.delete(entry.id);
        save(stamp(entry));
    };
    /** Drops the oldest entries beyond the bounds, and returns them. */
    const bound = () => {
        const dropped = [];
        let total = 0;
        index.forEach((entry) => (total += bytes(entry)));
        for (const [id, oldest] of index) {
            if (index.size <= MAX_EVENTS && total <= MAX_BYTES)
                break;
            total -= bytes(oldest);
            drop(id);
            dropped.push(oldest);
        }
        return dropped;
    };
    scan();
    // other tabs' changes; a cleared storage (key null) empties the index
    addEventListener('storage', (event) => {
        const id = idOf(event.key);
        if (!stored || !attempt(() => event.storageArea == localStorage))
            return;
        if (event.key == null)
            index.clear();
        const entry = id && recordOf(id, event.newValue);
        if (id)
            entry ? index.set(id, entry) : index.delete(id);
    });
    // back from the back/forward cache, where no storage event reached the page
    addEventListener('pageshow', (event) => event.persisted && scan());
    return {
        /** Stores a new entry; returns those dropped, oldest first, to stay within the bounds. `sync`: at once. */
        add: (entry, sync) => update(() => (append(entry), bound()), sync),
        /**
         * Stores an entry again as the newest, at once and within no bounds: for the core's records, which carry no
         * order among themselves, in the order of the calls that made them (the next add or retry bounds them).
         */
        append,
        /**
         * Claims, in order, at most `count` entries that are due, not claimed by a live tab, and whose bytes fit
         * `room`; renews the claims on `mine` (this tab's requests still out). With `sync`, at once, and removes
         * what it claims: a page being left hands it to keepalive.
         */
        claim: (now, room, count = Infinity, sync, mine = []) => update(() => {
            const claimed = [];
            const renew = new Set(mine);
            for (const [id, known] of index) {
                if (!(count > 0 || renew.size))
                    break;
                // renewed only while still claimed (`mine` may be a moment old, and a retry frees the claim), and only
                // once half the lease is gone: the tab comes back that often while its requests are out
                if (renew.delete(id)) {
                    const entry = known.lease > now && known.lease - now <= LEASE_MS / 2 && fresh(id);
                    if (entry && entry.lease > now)
                        save(((entry.lease = now + LEASE_MS), entry));
                    continue;
                }
                if (!(count > 0 && known.next <= now && known.lease <= now && bytes(known) <= room))
                    continue;
                const entry = fresh(id);
                if (!entry || entry.next > now || entry.lease > now)
                    continue;
                count--;
                room -= bytes(entry);
                entry.lease = now + LEASE_MS;
                sync ? drop(id) : save(entry);
                claimed.push(entry);
            }
            return claimed;
        }, sync),
        /** Delivered, refused for good, or handed to keepalive as the page goes: gone. */
        remove: (ids, sync) => update(() => ids.forEach(drop), sync),
        /** Claimed but never sent (the page is being left): free for the next page at once. */
        release: (ids, sync) => update(() => {
            for (const id of ids) {
                const entry = fresh(id);
                if (entry)
                    save(((entry.lease = 0), entry));
            }
        }, sync),
        /**
         * Failed for now: free to be claimed again from `next` on. `back` puts it back, first, if it is gone, which
         * only an event handed over as the page was hidden may be (one dropped meanwhile stays dropped); returns what
         * that drops to stay within the bounds.
         */
        retry: (failed, next, back) => update(() => {
            let entry = fresh(failed.id);
            if (!entry && back) {
                entry = failed;
                index = new Map([[failed.id, failed], ...index]);
            }
            if (entry) {
                entry.tries++;
                entry.next = next;
                entry.lease = 0;
                save(entry);
            }
            return bound();
        }),
        /** Every entry, for the earliest next attempt; `due` makes all of them due now (the network is back). */
        list: (due) => update(() => {
            adopt();
            if (due)
                index.forEach((entry) => entry.next && save(((entry.next = 0), entry)));
            return [...index.values()];
        }),
        clear: () => update(() => {
            scan();
            index.forEach((_, id) => drop(id));
        }),
        /** An event waits after a failed attempt: as far as this site's pages know, the service is failing. */
        failing: () => [...index.values()].some((entry) => entry.tries > 0),
    };
}

/** Keepalive bytes in flight at once: every keepalive fetch and beacon of a page shares 64 KiB (Fetch spec). */
const BUDGET = 60 * 1024;
/**
 * Requests in flight at once. Few, so that few are ever out when the page is left: such a request completes
 * in the browser, but no page can read its answer any more.
 */
const PARALLEL = 4;
/**
 * How long an answered request's bytes still count against the budget. Firefox frees a keepalive request's share
 * of the 64 KiB a few milliseconds after its answer has been read (measured: 1 ms later is too soon, 5 ms enough),
 * and fails a keepalive request made before then that would not fit beside it, as a network error.
 */
const RELEASE_MS = 25;
/** Backoff between attempts of one event: 1 s doubling to 60 s, each between half and all of that. */
const redelay = (tries) => Math.min(60000, 1000 * 2 ** tries) * (0.5 + Math.random() / 2);
/**
 * `track` delivery. Each event is stored in the outbox before it is sent, with keepalive so the request outlives
 * the page, and leaves the outbox on a 2xx or an answer that retrying cannot change. What fails for now is sent
 * again with the same uuid after a backoff (or the server's Retry-After), on `online`, when the page is hidden,
 * and on the next page of the site. `report` hears of events given up on: dropped to keep the outbox within its
 * bounds, or refused by the API on a resend.
 */
function createDelivery({ keepalive, failure }, settings, report, log) {
    const outbox = createOutbox(outboxKey(settings));
    const inFlight = new Map(); // -> when it was sent
    const handedOver = new Set();
    let queue = []; // claimed by this tab, waiting for room
    // no retryable failure seen since the service last answered well, by this page or, as the events waiting after
    // a failed attempt tell, by the page before it: a page left before it hears an answer must not trust an outage
    let healthy = !outbox.failing();
    let left = false; // pagehide came: what this page still hears is the browser tearing it down
    let timer;
    // delivered, not yet out of storage: they leave it together, one write for all that came in meanwhile, so
    // storage keeps pace with a fast drain, and a page left in between takes them out at once (see leave)
    const delivered = new Set();
    let removing;
    const forget = (id) => {
        delivered.add(id);
        return (removing = removing || drain());
    };
    async function drain() {
        try {
            for (let ids = [...delivered]; ids.length; ids = [...delivered]) {
                await outbox.remove(ids);
                ids.forEach((id) => delivered.delete(id));
            }
        }
        finally {
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
            const [next, resolve] = queue.shift();
            attempt(next).then(resolve);
        }
    };
    const fits = (entry) => inFlight.size < PARALLEL && bytes(entry) <= room();
    /** Sent at once when there is room and nothing waits before it; else when its turn comes. */
    const enqueue = (entry) => (fits(entry) && !queue.length ? attempt(entry) : new Promise((resolve) => queue.push([entry, resolve])));
    const mine = () => queue.map(([entry]) => entry.id).concat([...inFlight.keys()].map((entry) => entry.id));
    // a dropped event stays dropped: not put back by a later failure of the request that was out for it
    const dropped = (entries) => entries.forEach((entry) => {
        handedOver.delete(entry.id);
        report({ code: 'dropped', message: 'p13n: the outbox was full: its oldest event was dropped' }, entry.id);
    });
    /** Sends `entry`, or follows the request the core already sent for it (`sending`), to its end. */
    async function attempt(entry, sending) {
        inFlight.set(entry, Date.now());
        const reply = await (sending || keepalive(settings, entry.body, log));
        // Chromium fails the fetches of a page it unloads as pagehide is dispatched, maybe before this module's
        // listener has run (the page's own, or another tag's, may come first): in a visible page, no answer is read
        // a task later, by when `left` tells, and the request still counts as out should the page be leaving. Not
        // in a hidden one, whose timers wait up to a second, time enough for the tab to be closed.
        if (!reply.ok && reply.error.code == 'network' && document.visibilityState == 'visible')
            await new Promise((resolve) => setTimeout(resolve));
        inFlight.delete(entry);
        releasing += bytes(entry);
        setTimeout(() => {
            releasing -= bytes(entry);
            pump();
        }, RELEASE_MS);
        // Chromium fails the fetches of a page it unloads, though they go on: such a failure says nothing
        if (left)
            return reply;
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
    const flush = (due) => flushNow(due).catch(() => { });
    async function flushNow(due) {
        const now = Date.now();
        const entries = await outbox.list(due);
        const claimed = await outbox.claim(now, room(), queue.length ? 0 : PARALLEL - inFlight.size, false, mine());
        // the page was left meanwhile (a flush begun as it was hidden): what it just claimed is the next page's
        if (left)
            return void outbox.release(claimed.map((entry) => entry.id), true);
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
        if (next < Infinity)
            timer = setTimeout(flush, Math.min(Math.max(next - now, 50), 2 ** 31 - 1));
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
    function leave(event) {
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
        if (done.length)
            outbox.remove(done, true);
        if (event.type != 'pagehide')
            return void flush();
        left = true;
        const held = queue;
        queue = [];
        outbox.release(held.map(([entry]) => entry.id).concat(proxied ? out.map((entry) => entry.id) : []), true);
        const gone = failure('network', 'the page was left before this event was sent: the next page sends it', true);
        held.forEach(([, resolve]) => resolve(gone));
        if (trusted) {
            // a claim with `sync` takes them out of storage at once: handed over like those already out
            outbox.claim(now, room(), PARALLEL - inFlight.size, true).then((entries) => entries.forEach((entry) => {
                handedOver.add(entry.id);
                attempt(entry);
            }));
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
        async send(id, body, queued) {
            const entry = { id, body, tries: 0, next: 0, lease: Date.now() + LEASE_MS };
            // stored at once, not under the tabs' lock: a page left right after the call (a track, then a link followed)
            // may never be granted the lock, and the event would be neither stored nor sent. A new entry is this tab's
            // own (claimed, with an id no other tab has), so only a write of another tab at the very same moment can
            // undo it, as the core's own first send also accepts.
            dropped(await outbox.add(entry, true));
            const sent = enqueue(entry);
            if (queued)
                queued();
            return sent;
        },
        /**
         * An event the core stored, claimed by this tab, before this module was in, and sent itself (`sending`) or
         * left for this module to send. A failure puts a sent one back should it be gone (the core hands it over as
         * the page is left).
         */
        adopt(entry, sending) {
            // the core's records carry no order among themselves: stored again as adopted, which is the calls' order
            outbox.append(entry);
            if (!sending)
                return enqueue(entry);
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

export { BUDGET, PARALLEL, RELEASE_MS, createDelivery as default, redelay };
