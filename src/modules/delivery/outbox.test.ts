import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOutbox, LEASE_MS, MAX_BYTES, MAX_EVENTS, type Entry } from './outbox';
import { storedEvents, storeEvents } from './outbox.testing';

const KEY = 'p13n:https://us01.p13n.in.treasuredata.com/shop_db/events';
const NOW = 1_800_000_000_000;

/** A fresh, due, unclaimed entry; `size` pads the body to that many characters. */
const entry = (id: string, size = 0, extra: Partial<Entry> = {}): Entry => {
  const body = JSON.stringify({ uuid: id });
  return { id, body: body + ' '.repeat(Math.max(0, size - body.length)), tries: 0, next: 0, lease: 0, ...extra };
};
const ids = (entries: Entry[]) => entries.map((e) => e.id);
/** The records localStorage holds for KEY (one per event, under KEY#id), oldest first. */
const stored = () => storedEvents(KEY);
/** Adds entries one by one, in order. */
async function fill(outbox: ReturnType<typeof createOutbox>, entries: Entry[]) {
  for (const e of entries) await outbox.add(e);
}
/** A fake Web Locks API: callbacks for one name run one at a time, each after the previous has settled. */
function fakeLocks() {
  const chains = new Map<string, Promise<unknown>>();
  const request = vi.fn((name: string, callback: () => unknown) => {
    const run = (chains.get(name) || Promise.resolve())
      // a real lock is granted in a later task, not synchronously
      .then(() => new Promise((resolve) => setTimeout(resolve, 0)))
      .then(() => callback());
    chains.set(name, run.catch(() => {}));
    return run;
  });
  Object.defineProperty(navigator, 'locks', { value: { request }, configurable: true });
  return request;
}
const refuse = (name: string) => () => {
  throw new DOMException('p13n test: storage refused', name);
};
/**
 * Replaces localStorage with a Map-backed one whose reads and/or writes throw (happy-dom binds Storage methods
 * to each instance, so spying on Storage.prototype would not reach them).
 */
function stubStorage(fail: { reads?: boolean; writes?: boolean }) {
  const data = new Map<string, string>();
  vi.stubGlobal('localStorage', {
    getItem: fail.reads ? refuse('SecurityError') : (key: string) => data.get(key) ?? null,
    setItem: fail.writes ? refuse('QuotaExceededError') : (key: string, value: string) => void data.set(key, '' + value),
    removeItem: fail.writes ? refuse('SecurityError') : (key: string) => void data.delete(key),
    clear: () => data.clear(),
  });
}
/** Makes every localStorage access throw, as storage disabled by the user does. */
const breakStorage = {
  methods: () => stubStorage({ reads: true, writes: true }),
  getter: () => {
    vi.spyOn(globalThis, 'localStorage', 'get').mockImplementation(refuse('SecurityError'));
  },
};

beforeEach(() => {
  localStorage.clear();
});
afterEach(() => {
  delete (navigator as { locks?: unknown }).locks;
});

describe('createOutbox: order and storage', () => {
  it('lists entries in the order they were added', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b'), entry('c')]);
    expect(ids(await outbox.list())).toEqual(['a', 'b', 'c']);
  });

  it('keeps them in localStorage under its key, where a second outbox (another tab) sees them', async () => {
    await fill(createOutbox(KEY), [entry('a'), entry('b')]);
    expect(ids(stored())).toEqual(['a', 'b']);
    const other = createOutbox(KEY);
    expect(ids(await other.list())).toEqual(['a', 'b']);
    await other.add(entry('c'));
    expect(ids(await createOutbox(KEY).list())).toEqual(['a', 'b', 'c']);
  });

  it('keeps outboxes of different keys apart', async () => {
    await createOutbox(KEY).add(entry('a'));
    expect(await createOutbox(KEY + '2').list()).toEqual([]);
  });

  it('removes the given entries only, and the key once empty', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b'), entry('c')]);
    await outbox.remove(['b']);
    expect(ids(await outbox.list())).toEqual(['a', 'c']);
    await outbox.remove(['a', 'c', 'unknown']);
    expect(await outbox.list()).toEqual([]);
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  it('clear empties it, for every tab', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    await outbox.clear();
    expect(await outbox.list()).toEqual([]);
    expect(await createOutbox(KEY).list()).toEqual([]);
  });

  it('list(true) makes every entry due now', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a', 0, { next: NOW + 60_000 }), entry('b', 0, { next: NOW + 5000, tries: 3 })]);
    expect(await outbox.claim(NOW, Infinity)).toEqual([]);
    expect((await outbox.list(true)).map((e) => e.next)).toEqual([0, 0]);
    expect(ids(await createOutbox(KEY).claim(NOW, Infinity))).toEqual(['a', 'b']);
  });
});

describe('createOutbox: one record per event', () => {
  /** Counts the Storage calls `run` makes, by method, and the characters of the values read and written. */
  async function storageCalls(run: () => Promise<unknown>) {
    const calls = { getItem: 0, setItem: 0, removeItem: 0, key: 0, characters: 0 };
    const real = localStorage;
    const counting = new Proxy(real, {
      get(target, name) {
        if (name in calls)
          return (...args: string[]) => {
            calls[name as keyof typeof calls]++;
            const value = (target as any)[name](...args);
            const text = name == 'setItem' ? args[1] : name == 'getItem' ? value : null;
            calls.characters += text ? text.length : 0;
            return value;
          };
        const value = (target as any)[name];
        return typeof value == 'function' ? value.bind(target) : value;
      },
    });
    vi.stubGlobal('localStorage', counting);
    try {
      await run();
    } finally {
      vi.unstubAllGlobals();
    }
    return calls;
  }
  /**
   * Stores, claims and removes one event where `waiting` others wait, claimed by another tab, as an outage left
   * them (written straight to storage: past the bounds, as the bench seeds them); `add` stores it through the
   * outbox, else it was stored first, among them.
   */
  async function oneEvent(waiting: number, add: boolean) {
    localStorage.clear();
    const mine = entry('mine', 0, { at: 1 });
    if (!add) storeEvents(KEY, [mine]);
    storeEvents(KEY, Array.from({ length: waiting }, (_, i) => entry('w' + i, 0, { lease: NOW + LEASE_MS, at: 2 + i })));
    const outbox = createOutbox(KEY);
    return storageCalls(async () => {
      if (add) expect(await outbox.add(mine, true)).toEqual([]);
      expect(ids(await outbox.claim(NOW, Infinity, 1, false))).toEqual(['mine']);
      await outbox.remove(['mine']);
    });
  }

  it('claims and removes an event with the same storage calls whether 10 or 1,000 others wait', async () => {
    const few = await oneEvent(10, false);
    expect(await oneEvent(1000, false)).toEqual(few);
    expect(few).toMatchObject({ getItem: 1, setItem: 1, removeItem: 1, key: 0 });
  });

  it(`stores, claims and removes one with the same storage calls whether 10 or ${MAX_EVENTS - 1} others wait`, async () => {
    const few = await oneEvent(10, true);
    expect(await oneEvent(MAX_EVENTS - 1, true)).toEqual(few);
    expect(few).toMatchObject({ getItem: 1, setItem: 2, removeItem: 1, key: 0 });
  });

  it('keeps each event in its own record, KEY#id, and no list under KEY', async () => {
    await fill(createOutbox(KEY), [entry('a'), entry('b')]);
    expect(Object.keys(localStorage).sort()).toEqual([KEY + '#a', KEY + '#b']);
    expect(JSON.parse(localStorage.getItem(KEY + '#a')!)).toMatchObject({ id: 'a', body: entry('a').body, tries: 0, next: 0, lease: 0 });
  });

  it('moves the list an earlier version left under KEY into records, in its order, after what is stored, once', async () => {
    await createOutbox(KEY).add(entry('record'));
    localStorage.setItem(KEY, JSON.stringify([entry('old1'), entry('old2', 0, { tries: 2, next: NOW }), entry('record')]));
    const outbox = createOutbox(KEY);
    expect(localStorage.getItem(KEY)).toBeNull();
    expect(ids(await outbox.list())).toEqual(['record', 'old1', 'old2']);
    expect(ids(stored())).toEqual(['record', 'old1', 'old2']);
    expect(stored()[2]).toMatchObject({ tries: 2, next: NOW });
    expect(outbox.failing()).toBe(true);
  });

  it('moves a list the core writes later (a track before the module was in, in another tab) at the next list', async () => {
    const outbox = createOutbox(KEY);
    await outbox.add(entry('a'));
    localStorage.setItem(KEY, JSON.stringify([entry('core')]));
    expect(ids(await outbox.list())).toEqual(['a', 'core']);
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  it("learns of another tab's records from storage events: added, changed, removed, and storage cleared", async () => {
    const outbox = createOutbox(KEY);
    const tell = (key: string | null, newValue: string | null, storageArea: Storage = localStorage) =>
      dispatchEvent(new StorageEvent('storage', { key, newValue, storageArea }));
    tell(KEY + '#x', JSON.stringify(entry('x')));
    tell(KEY + '#y', JSON.stringify(entry('y')));
    tell(KEY + '2#z', JSON.stringify(entry('z'))); // another table's
    tell(KEY + '#q', JSON.stringify(entry('not-q'))); // a record whose id is not its key's
    tell(KEY + '#w', JSON.stringify(entry('w')), sessionStorage);
    expect(ids(await outbox.list())).toEqual(['x', 'y']);
    tell(KEY + '#x', JSON.stringify(entry('x', 0, { tries: 1 })));
    expect(outbox.failing()).toBe(true);
    tell(KEY + '#x', null);
    expect(ids(await outbox.list())).toEqual(['y']);
    tell(null, null);
    expect(await outbox.list()).toEqual([]);
  });

  it('a claim reads the record again: one another tab claimed or removed meanwhile is not taken', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b'), entry('c')]);
    // another tab's changes, not yet heard of by storage event
    storeEvents(KEY, [entry('a', 0, { lease: NOW + LEASE_MS })]);
    localStorage.removeItem(KEY + '#b');
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['c']);
    expect(ids(await outbox.list())).toEqual(['a', 'c']);
  });

  it('back from the back/forward cache, it reads the records again', async () => {
    const outbox = createOutbox(KEY);
    storeEvents(KEY, [entry('later')]);
    expect(await outbox.list()).toEqual([]);
    dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    expect(ids(await outbox.list())).toEqual(['later']);
  });

  it('ignores records with wrong fields, or under another id, and keeps the good ones', async () => {
    const good = entry('good');
    localStorage.setItem(KEY + '#bad', '{"id": "bad", ');
    localStorage.setItem(KEY + '#no-body', JSON.stringify({ ...entry('no-body'), body: 7 }));
    localStorage.setItem(KEY + '#elsewhere', JSON.stringify(entry('moved')));
    localStorage.setItem(KEY + '#good', JSON.stringify(good));
    const outbox = createOutbox(KEY);
    expect(ids(await outbox.list())).toEqual(['good']);
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['good']);
  });

  it('clear removes every record, those of other tabs it has not heard of included, and the list', async () => {
    const outbox = createOutbox(KEY);
    await outbox.add(entry('a'));
    storeEvents(KEY, [entry('unheard')]);
    localStorage.setItem(KEY, JSON.stringify([entry('listed')]));
    localStorage.setItem(KEY + '2#other-table', JSON.stringify(entry('other-table')));
    await outbox.clear();
    expect(Object.keys(localStorage)).toEqual([KEY + '2#other-table']);
  });
});

describe('createOutbox: bounds', () => {
  it(`drops the oldest beyond ${MAX_EVENTS} events, and returns it`, async () => {
    const outbox = createOutbox(KEY);
    const entries = Array.from({ length: MAX_EVENTS }, (_, i) => entry('e' + i));
    for (const e of entries) expect(await outbox.add(e)).toEqual([]);
    expect(ids(await outbox.add(entry('new')))).toEqual(['e0']);
    expect(ids(await outbox.add(entry('newer')))).toEqual(['e1']);
    const list = await outbox.list();
    expect(list).toHaveLength(MAX_EVENTS);
    expect(ids(list.slice(0, 1))).toEqual(['e2']);
    expect(ids(list.slice(-2))).toEqual(['new', 'newer']);
    expect(stored()).toHaveLength(MAX_EVENTS);
  });

  it(`drops the oldest beyond ${MAX_BYTES} bytes, several at once, oldest first`, async () => {
    const outbox = createOutbox(KEY);
    const quarter = MAX_BYTES / 4;
    await fill(outbox, ['a', 'b', 'c', 'd'].map((id) => entry(id, quarter)));
    expect(ids(await outbox.list())).toEqual(['a', 'b', 'c', 'd']);
    const dropped = await outbox.add(entry('big', quarter * 2 + 1));
    expect(ids(dropped)).toEqual(['a', 'b', 'c']);
    expect(ids(await outbox.list())).toEqual(['d', 'big']);
    const total = (await outbox.list()).reduce((sum, e) => sum + e.body.length, 0);
    expect(total).toBeLessThanOrEqual(MAX_BYTES);
  });

  it('never keeps more than the bounds, even when an event dropped while in flight fails and is retried', async () => {
    const outbox = createOutbox(KEY);
    await outbox.add(entry('a'));
    const [a] = await outbox.claim(NOW, Infinity);
    await fill(outbox, Array.from({ length: MAX_EVENTS }, (_, i) => entry('e' + i)));
    expect(ids(await outbox.list())).not.toContain('a');
    // a's request, sent before it was dropped, now fails
    await outbox.retry(a, NOW + 1000);
    expect((await outbox.list()).length).toBeLessThanOrEqual(MAX_EVENTS);
    expect(stored().length).toBeLessThanOrEqual(MAX_EVENTS);
  });
});

describe('createOutbox: claims', () => {
  it('claims due entries in order and leases them, so another tab gets none until the lease ends', async () => {
    const tab1 = createOutbox(KEY);
    await fill(tab1, [entry('a'), entry('b'), entry('c')]);
    const claimed = await tab1.claim(NOW, Infinity);
    expect(ids(claimed)).toEqual(['a', 'b', 'c']);
    expect(claimed.map((e) => e.lease)).toEqual([NOW + LEASE_MS, NOW + LEASE_MS, NOW + LEASE_MS]);

    const tab2 = createOutbox(KEY);
    expect(await tab2.claim(NOW, Infinity)).toEqual([]);
    expect(await tab2.claim(NOW + LEASE_MS - 1, Infinity)).toEqual([]);
    expect(await tab1.claim(NOW + 1, Infinity)).toEqual([]);
    // the tab that claimed them died: they are free again
    expect(ids(await tab2.claim(NOW + LEASE_MS, Infinity))).toEqual(['a', 'b', 'c']);
  });

  it("renews this tab's claims on mine once half the lease is gone, not at every claim, and never one it no longer holds", async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    await outbox.claim(NOW, Infinity);
    const lease = () => stored().map((e) => e.lease);
    await outbox.claim(NOW + 1000, Infinity, 0, false, ['a', 'b']);
    expect(lease()).toEqual([NOW + LEASE_MS, NOW + LEASE_MS]);
    await outbox.release(['b']);
    await outbox.claim(NOW + LEASE_MS / 2, Infinity, 0, false, ['a', 'b']);
    expect(lease()).toEqual([NOW + LEASE_MS / 2 + LEASE_MS, 0]);
  });

  it('skips entries whose next attempt is still to come', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a', 0, { next: NOW + 1 }), entry('b', 0, { next: NOW }), entry('c', 0, { next: NOW + 60_000 })]);
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['b']);
    expect(ids(await outbox.claim(NOW + 1, Infinity))).toEqual(['a']);
  });

  it('takes no more bytes than room, and nothing when the first entry does not fit', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a', 100), entry('b', 100), entry('c', 100)]);
    expect(await outbox.claim(NOW, 99)).toEqual([]);
    expect(ids(await outbox.claim(NOW, 250))).toEqual(['a', 'b']);
    expect(ids(await outbox.claim(NOW, 250))).toEqual(['c']);
  });

  it('takes at most count entries', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b'), entry('c')]);
    expect(ids(await outbox.claim(NOW, Infinity, 2))).toEqual(['a', 'b']);
  });

  it('sync claims at once and removes what it takes', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    const claim = outbox.claim(NOW, Infinity, 1, true);
    // already out of storage before any task or microtask runs
    expect(ids(stored())).toEqual(['b']);
    expect(ids(await claim)).toEqual(['a']);
  });

  it('retry counts the failure, sets the next attempt and frees the lease', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    const [a] = await outbox.claim(NOW, Infinity, 1);
    await outbox.retry(a, NOW + 2000);
    const [stored_a, stored_b] = await createOutbox(KEY).list();
    expect(stored_a).toMatchObject({ id: 'a', tries: 1, next: NOW + 2000, lease: 0 });
    expect(stored_b).toMatchObject({ id: 'b', tries: 0 });
    expect(ids(await createOutbox(KEY).claim(NOW + 1999, Infinity))).toEqual(['b']);
    expect(ids(await createOutbox(KEY).claim(NOW + 2000, Infinity))).toEqual(['a']);
    await outbox.retry(a, NOW + 9000);
    expect((await outbox.list())[0]).toMatchObject({ id: 'a', tries: 2, next: NOW + 9000 });
  });

  it('retry puts back, first, an entry that a sync claim took out', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    const [a] = await outbox.claim(NOW, Infinity, 1, true);
    await outbox.retry(a, NOW + 1000, true);
    expect(await outbox.list()).toMatchObject([{ id: 'a', tries: 1, next: NOW + 1000, lease: 0 }, { id: 'b' }]);
  });

  it('retry leaves gone an entry that is gone, unless told to put it back', async () => {
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    const [a] = await outbox.claim(NOW, Infinity, 1, true);
    await outbox.retry(a, NOW + 1000);
    expect(ids(await outbox.list())).toEqual(['b']);
  });

  it('without navigator.locks, claims still work and concurrent ones never share an entry', async () => {
    expect((navigator as { locks?: unknown }).locks).toBeFalsy();
    await fill(createOutbox(KEY), ['a', 'b', 'c', 'd'].map((id) => entry(id)));
    const [one, two] = await Promise.all([createOutbox(KEY).claim(NOW, Infinity), createOutbox(KEY).claim(NOW, Infinity)]);
    expect([...ids(one), ...ids(two)].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('with navigator.locks, every change runs under the lock named after the key, and two tabs never claim one entry', async () => {
    const request = fakeLocks();
    const seed = createOutbox(KEY);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => seed.add(entry(id, 100))));
    expect(request).toHaveBeenCalledTimes(5);
    expect(request.mock.calls.every(([name]) => name == KEY)).toBe(true);
    expect(ids(await seed.list())).toEqual(['a', 'b', 'c', 'd', 'e']);

    const tab1 = createOutbox(KEY);
    const tab2 = createOutbox(KEY);
    const claims = await Promise.all([tab1.claim(NOW, 250), tab2.claim(NOW, 250), tab1.claim(NOW, 250), tab2.claim(NOW, Infinity)]);
    const all = claims.flatMap(ids);
    expect(request).toHaveBeenCalledTimes(10);
    expect(all.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('createOutbox: bad storage', () => {
  it('works when the lock manager refuses (a sandboxed frame), without a rejection reaching the page', async () => {
    const request = vi.fn(() => Promise.reject(new DOMException('The request was denied.', 'SecurityError')));
    Object.defineProperty(navigator, 'locks', { value: { request }, configurable: true });
    const outbox = createOutbox(KEY);
    await outbox.add(entry('a'));
    expect(ids(await outbox.list())).toEqual(['a']);
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['a']);
    expect(request).toHaveBeenCalled();
  });

  it.each([
    ['not JSON', '[{"id": "a", '],
    ['an object', '{"id": "a", "body": "{}", "tries": 0, "next": 0, "lease": 0}'],
    ['a string', '"[]"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('ignores a stored value that is %s, and writes over it', async (_, value) => {
    localStorage.setItem(KEY, value);
    const outbox = createOutbox(KEY);
    expect(await outbox.list()).toEqual([]);
    expect(await outbox.claim(NOW, Infinity)).toEqual([]);
    await outbox.add(entry('b'));
    expect(ids(await outbox.list())).toEqual(['b']);
    expect(ids(stored())).toEqual(['b']);
  });

  it('drops stored entries with wrong fields and keeps the good ones', async () => {
    const good = entry('good');
    localStorage.setItem(
      KEY,
      JSON.stringify([
        null,
        'a string',
        42,
        [],
        { ...good, id: 7 },
        { ...good, id: 'bad-body', body: { uuid: 'x' } },
        { ...good, id: 'no-tries', tries: undefined },
        { ...good, id: 'bad-next', next: 'soon' },
        { ...good, id: 'negative-lease', lease: -1 },
        good,
      ]),
    );
    const outbox = createOutbox(KEY);
    expect(ids(await outbox.list())).toEqual(['good']);
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['good']);
  });

  it.each([
    ['every Storage method throws', breakStorage.methods],
    ['window.localStorage itself throws', breakStorage.getter],
  ])('works in memory when %s', async (_, breakIt) => {
    breakIt();
    expect(() => localStorage.getItem(KEY)).toThrow();
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b'), entry('c')]);
    expect(ids(await outbox.list())).toEqual(['a', 'b', 'c']);
    expect(ids(await outbox.claim(NOW, Infinity, 1))).toEqual(['a']);
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['b', 'c']);
    const [b] = (await outbox.list()).slice(1, 2);
    await outbox.retry(b, NOW + 1000);
    await outbox.remove(['a']);
    expect(await outbox.list()).toMatchObject([{ id: 'b', tries: 1, next: NOW + 1000 }, { id: 'c' }]);
    await outbox.clear();
    expect(await outbox.list()).toEqual([]);
  });

  // Safari private mode (before 11) and a full quota: reads work, every write throws
  it('works in memory when only writes throw (quota full, old Safari private mode)', async () => {
    stubStorage({ writes: true });
    const outbox = createOutbox(KEY);
    await fill(outbox, [entry('a'), entry('b')]);
    expect(ids(await outbox.list())).toEqual(['a', 'b']);
    expect(ids(await outbox.claim(NOW, Infinity))).toEqual(['a', 'b']);
  });

  it('stores records that read back on a page whose Array.prototype.toJSON returns a string (Prototype.js)', async () => {
    const proto = Array.prototype as unknown as { toJSON?: () => string };
    proto.toJSON = function (this: unknown[]) {
      return 'Array(' + this.length + ')';
    };
    try {
      expect(typeof JSON.parse(JSON.stringify([1]))).toBe('string');
      const outbox = createOutbox(KEY);
      await fill(outbox, [entry('a'), entry('b')]);
      expect(ids(stored())).toEqual(['a', 'b']);
      expect(stored().map((e) => e.body)).toEqual([entry('a').body, entry('b').body]);
      expect(ids(await createOutbox(KEY).list())).toEqual(['a', 'b']);
    } finally {
      delete proto.toJSON;
    }
  });
});
