import { LEASE_MS, ofOutbox, recordKey, type Entry } from '../../seam';

export { LEASE_MS, type Entry };

/** Bounds: enough for a long outage of a busy page, far below localStorage's quota (about 5 MB per site). */
export const MAX_EVENTS = 200;
export const MAX_BYTES = 256 * 1024;
const FIELDS = ['id', 'body', 'tries', 'next', 'lease', 'bytes', 'at'] as const;

/** How long a tab keeps the outbox's lock after its write, for the write to reach the other tabs. */
const SETTLE_MS = 20;
/** UTF-8 bytes: what the bounds and the keepalive quota count. */
export const size = (text: string) => new TextEncoder().encode(text).length;
/** An entry's bytes, encoded once and kept on it, rather than on every change to the outbox. */
export const bytes = (entry: Entry) => (typeof entry.bytes == 'number' ? entry.bytes : (entry.bytes = size(entry.body)));
/**
 * An entry's JSON, written field by field from primitives: a page's own `toJSON` (Prototype.js puts one on
 * arrays, a polluted Object.prototype may add one) is never called, so the outbox always reads back.
 */
const json = (entry: Entry) => '{' + FIELDS.filter((field) => entry[field] != null).map((field) => `"${field}":${JSON.stringify(entry[field])}`).join() + '}';
const valid = (entry: Entry) =>
  !!entry && typeof entry.id == 'string' && typeof entry.body == 'string' && entry.tries >= 0 && entry.next >= 0 && entry.lease >= 0;
const parse = (text: string | null): Entry | undefined => {
  try {
    const entry = JSON.parse(text!);
    return valid(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
};
/** The entry a record `id` holds as `text`: a valid one, of that very id (not one copied under another's key). */
const recordOf = (id: string, text: string | null) => {
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
export function createOutbox(key: string) {
  let index = new Map<string, Entry>(); // id -> entry, oldest first
  let stored = true;
  let last = 0;
  const record = (id: string) => recordKey(key, id);
  /** The id of a record of this outbox, from its storage key (empty for the list 0.1.0 kept under `key`). */
  const idOf = (name: string | null) => (name && ofOutbox(key, name) ? name.slice(key.length + 1) : undefined);
  const attempt = <T>(use: () => T): T | undefined => {
    try {
      return stored ? use() : undefined;
    } catch {
      stored = false;
      return undefined;
    }
  };
  const save = (entry: Entry) => {
    index.set(entry.id, entry);
    attempt(() => localStorage.setItem(record(entry.id), json(entry)));
  };
  const drop = (id: string) => {
    index.delete(id);
    attempt(() => localStorage.removeItem(record(id)));
  };
  /** The record as storage holds it now (another tab may have changed it); the index's where storage fails. */
  const fresh = (id: string) => {
    const entry = attempt(() => recordOf(id, localStorage.getItem(record(id))));
    if (!stored) return index.get(id);
    entry ? index.set(id, entry) : index.delete(id);
    return entry;
  };
  /** Stamps the order it was stored in, strictly increasing in this tab (ties within a millisecond included). */
  const stamp = (entry: Entry) => ((entry.at = last = Math.max(Date.now(), last + 0.001)), entry);
  /** Reads every record, oldest first, then moves a list an earlier version left into records. */
  const scan = () => {
    const found: Entry[] = [];
    attempt(() => {
      for (let i = 0; i < localStorage.length; i++) {
        const id = idOf(localStorage.key(i));
        const entry = id && recordOf(id, localStorage.getItem(record(id)));
        if (entry) found.push(entry);
      }
    });
    index = new Map(found.sort((a, b) => (a.at || 0) - (b.at || 0)).map((entry) => [entry.id, entry]));
    // what this tab stores next goes after all it has seen, whatever another tab's clock said
    index.forEach((entry) => (last = Math.max(last, entry.at || 0)));
    adopt();
  };
  const adopt = () =>
    attempt(() => {
      const list = localStorage.getItem(key);
      if (list == null) return;
      let entries;
      try {
        entries = JSON.parse(list);
      } catch {} // not JSON: nothing to keep, and removed all the same
      // in the list's order, after what is stored already; an id stored twice keeps its record
      if (Array.isArray(entries)) for (const entry of entries) valid(entry) && !index.has(entry.id) && save(stamp(entry));
      localStorage.removeItem(key);
    });
  /** `sync` skips the lock and runs at once: for a page being left, whose later tasks may never run. */
  const update = <T>(change: () => T, sync?: boolean): Promise<T> => {
    const locks = navigator.locks;
    // Chromium hands a localStorage write to other tabs a moment later: the lock is held until it is theirs
    const settled = () => {
      const result = change();
      return new Promise<T>((resolve) => setTimeout(resolve, SETTLE_MS, result));
    };
    // a lock manager that refuses (a sandboxed frame, say) leaves the page's own ordering to serialize changes
    return sync ? Promise.resolve(change()) : locks ? locks.request(key, settled).catch(change) : Promise.resolve().then(change);
  };
  const append = (entry: Entry) => {
    index.delete(entry.id);
    save(stamp(entry));
  };
  /** Drops the oldest entries beyond the bounds, and returns them. */
  const bound = () => {
    const dropped: Entry[] = [];
    let total = 0;
    index.forEach((entry) => (total += bytes(entry)));
    for (const [id, oldest] of index) {
      if (index.size <= MAX_EVENTS && total <= MAX_BYTES) break;
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
    if (!stored || !attempt(() => event.storageArea == localStorage)) return;
    if (event.key == null) index.clear();
    const entry = id && recordOf(id, event.newValue);
    if (id) entry ? index.set(id, entry) : index.delete(id);
  });
  // back from the back/forward cache, where no storage event reached the page
  addEventListener('pageshow', (event) => event.persisted && scan());

  return {
    /** Stores a new entry; returns those dropped, oldest first, to stay within the bounds. `sync`: at once. */
    add: (entry: Entry, sync?: boolean) => update(() => (append(entry), bound()), sync),
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
    claim: (now: number, room: number, count = Infinity, sync?: boolean, mine: string[] = []) =>
      update(() => {
        const claimed: Entry[] = [];
        const renew = new Set(mine);
        for (const [id, known] of index) {
          if (!(count > 0 || renew.size)) break;
          // renewed only while still claimed (`mine` may be a moment old, and a retry frees the claim), and only
          // once half the lease is gone: the tab comes back that often while its requests are out
          if (renew.delete(id)) {
            const entry = known.lease > now && known.lease - now <= LEASE_MS / 2 && fresh(id);
            if (entry && entry.lease > now) save(((entry.lease = now + LEASE_MS), entry));
            continue;
          }
          if (!(count > 0 && known.next <= now && known.lease <= now && bytes(known) <= room)) continue;
          const entry = fresh(id);
          if (!entry || entry.next > now || entry.lease > now) continue;
          count--;
          room -= bytes(entry);
          entry.lease = now + LEASE_MS;
          sync ? drop(id) : save(entry);
          claimed.push(entry);
        }
        return claimed;
      }, sync),
    /** Delivered, refused for good, or handed to keepalive as the page goes: gone. */
    remove: (ids: string[], sync?: boolean) => update(() => ids.forEach(drop), sync),
    /** Claimed but never sent (the page is being left): free for the next page at once. */
    release: (ids: string[], sync?: boolean) =>
      update(() => {
        for (const id of ids) {
          const entry = fresh(id);
          if (entry) save(((entry.lease = 0), entry));
        }
      }, sync),
    /**
     * Failed for now: free to be claimed again from `next` on. `back` puts it back, first, if it is gone, which
     * only an event handed over as the page was hidden may be (one dropped meanwhile stays dropped); returns what
     * that drops to stay within the bounds.
     */
    retry: (failed: Entry, next: number, back?: boolean) =>
      update(() => {
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
    list: (due?: boolean) =>
      update(() => {
        adopt();
        if (due) index.forEach((entry) => entry.next && save(((entry.next = 0), entry)));
        return [...index.values()];
      }),
    clear: () =>
      update(() => {
        scan();
        index.forEach((_, id) => drop(id));
      }),
    /** An event waits after a failed attempt: as far as this site's pages know, the service is failing. */
    failing: () => [...index.values()].some((entry) => entry.tries > 0),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
