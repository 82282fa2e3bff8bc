import { LEASE_MS, type Entry } from '../../seam';

export { LEASE_MS, type Entry };

/** Bounds: enough for a long outage of a busy page, far below localStorage's quota (about 5 MB per site). */
export const MAX_EVENTS = 200;
export const MAX_BYTES = 256 * 1024;
const FIELDS = ['id', 'body', 'tries', 'next', 'lease', 'bytes'] as const;

/** How long a tab keeps the outbox's lock after its write, for the write to reach the other tabs. */
const SETTLE_MS = 20;
/** UTF-8 bytes: what the bounds and the keepalive quota count. */
export const size = (text: string) => new TextEncoder().encode(text).length;
/** An entry's bytes, encoded once and kept on it, rather than on every change to the outbox. */
export const bytes = (entry: Entry) => (typeof entry.bytes == 'number' ? entry.bytes : (entry.bytes = size(entry.body)));
/**
 * The entries' JSON, written field by field from primitives: a page's own `toJSON` (Prototype.js puts one on
 * arrays, a polluted Object.prototype may add one) is never called, so the outbox always reads back.
 */
const json = (entries: Entry[]) =>
  '[' + entries.map((entry) => '{' + FIELDS.filter((field) => entry[field] != null).map((field) => `"${field}":${JSON.stringify(entry[field])}`).join() + '}').join() + ']';
const valid = (entry: Entry) =>
  !!entry && typeof entry.id == 'string' && typeof entry.body == 'string' && entry.tries >= 0 && entry.next >= 0 && entry.lease >= 0;

/**
 * The events of one endpoint and table, kept in `localStorage` under `key`, or in memory from the first time
 * storage throws (Safari private mode, storage disabled, quota full). Every change is a read-modify-write of
 * the whole list under a Web Lock named `key` where the browser has them (secure pages), so two tabs never
 * claim one event; elsewhere the leases and the single-threaded page keep that window to a few milliseconds.
 */
export function createOutbox(key: string) {
  let memory: Entry[] = [];
  let stored = true;
  const read = (): Entry[] => {
    try {
      const list = stored && JSON.parse(localStorage.getItem(key) || '[]');
      if (Array.isArray(list)) memory = list.filter(valid);
    } catch {
      stored = false;
    }
    return memory;
  };
  const write = (entries: Entry[]) => {
    memory = entries;
    try {
      if (entries.length) localStorage.setItem(key, json(entries));
      else localStorage.removeItem(key);
    } catch {
      stored = false;
    }
  };
  /** `sync` skips the lock and runs at once: for a page being left, whose later tasks may never run. */
  const update = <T>(change: (entries: Entry[]) => T, sync?: boolean): Promise<T> => {
    const run = () => {
      const entries = read();
      const result = change(entries);
      write(entries);
      return result;
    };
    const locks = navigator.locks;
    // Chromium hands a localStorage write to other tabs a moment later: the lock is held until it is theirs
    const settled = () => {
      const result = run();
      return new Promise<T>((resolve) => setTimeout(resolve, SETTLE_MS, result));
    };
    // a lock manager that refuses (a sandboxed frame, say) leaves the page's own ordering to serialize changes
    return sync ? Promise.resolve(run()) : locks ? locks.request(key, settled).catch(run) : Promise.resolve().then(run);
  };
  const find = (entries: Entry[], id: string) => entries.filter((entry) => entry.id == id)[0];
  /** Drops the oldest entries beyond the bounds, and returns them. */
  const bound = (entries: Entry[]) => {
    const dropped: Entry[] = [];
    // a loop, not reduce: Prototype.js replaces Array#reduce with one that returns the array
    let total = 0;
    for (const entry of entries) total += bytes(entry);
    while (entries.length > MAX_EVENTS || (entries.length && total > MAX_BYTES)) {
      const oldest = entries.shift()!;
      total -= bytes(oldest);
      dropped.push(oldest);
    }
    return dropped;
  };

  return {
    /** Stores a new entry; returns those dropped, oldest first, to stay within the bounds. `sync`: at once. */
    add: (entry: Entry, sync?: boolean) => update((entries) => (entries.push(entry), bound(entries)), sync),
    /**
     * Claims, in order, at most `count` entries that are due, not claimed by a live tab, and whose bytes fit
     * `room`; renews the claims on `mine` (this tab's requests still out). With `sync`, at once, and removes
     * what it claims: a page being left hands it to keepalive.
     */
    claim: (now: number, room: number, count = Infinity, sync?: boolean, mine: string[] = []) =>
      update((entries) => {
        const claimed = entries.filter((entry) => {
          // renewed only while still claimed: `mine` may be a moment old, and a retry frees the claim
          if (mine.indexOf(entry.id) >= 0 && entry.lease > now) return !(entry.lease = now + LEASE_MS);
          const due = count > 0 && entry.next <= now && entry.lease <= now && bytes(entry) <= room;
          if (due) {
            count--;
            room -= bytes(entry);
            entry.lease = now + LEASE_MS;
          }
          return due;
        });
        if (sync) claimed.forEach((entry) => entries.splice(entries.indexOf(entry), 1));
        return claimed;
      }, sync),
    /** Delivered, refused for good, or handed to keepalive as the page goes: gone. */
    remove: (ids: string[], sync?: boolean) =>
      update((entries) => {
        for (const id of ids) {
          const at = entries.indexOf(find(entries, id));
          if (at >= 0) entries.splice(at, 1);
        }
      }, sync),
    /** Claimed but never sent (the page is being left): free for the next page at once. */
    release: (ids: string[], sync?: boolean) =>
      update((entries) => {
        for (const id of ids) {
          const entry = find(entries, id);
          if (entry) entry.lease = 0;
        }
      }, sync),
    /**
     * Failed for now: free to be claimed again from `next` on. `back` puts it back if it is gone, which only an
     * event handed over as the page was hidden may be (one dropped meanwhile stays dropped); returns what that
     * drops to stay within the bounds.
     */
    retry: (failed: Entry, next: number, back?: boolean) =>
      update((entries) => {
        const entry = find(entries, failed.id) || (back ? (entries.unshift(failed), failed) : undefined);
        if (entry) {
          entry.tries++;
          entry.next = next;
          entry.lease = 0;
        }
        return bound(entries);
      }),
    /** Every entry, for the earliest next attempt; `due` makes all of them due now (the network is back). */
    list: (due?: boolean) => update((entries) => (due && entries.forEach((entry) => (entry.next = 0)), entries.slice())),
    clear: () => update((entries) => void entries.splice(0)),
    /** An event waits after a failed attempt: as far as this site's pages know, the service is failing. */
    failing: () => read().some((entry) => entry.tries > 0),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
