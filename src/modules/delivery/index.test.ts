import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readConfig, type Settings } from '../../core/config';
import createDelivery, { BUDGET, PARALLEL, redelay, RELEASE_MS } from './index';
import { createOutbox, LEASE_MS, MAX_BYTES, MAX_EVENTS, type Entry } from './outbox';
import { storeEvents } from './outbox.testing';
import { failure, keepalive } from '../../core/transport';

/** The core's functions the delivery module is given (see src/seam.ts). */
const KIT = { keepalive, failure };

const CONFIG = { database: 'shop_db', table: 'events', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32) };
const settings = (extra: object = {}) => {
  const read = readConfig({ ...CONFIG, ...extra });
  if ('code' in read) throw new Error(read.message);
  return read as Settings;
};
const SETTINGS = settings();
/** Where the outbox keeps this endpoint's events: used only to seed what earlier pages or other tabs left. */
const KEY = 'p13n:' + SETTINGS.url;
const KIB = 1024;

/** An event body as the client builds it, padded with `char` to `size` characters. */
const body = (id: string, size = 0, char = 'x') => {
  const text = JSON.stringify({ td_client_id: '42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16', time: 1_800_000_000, uuid: id });
  return size > text.length ? text.slice(0, -1) + ',"pad":"' + char.repeat(size - text.length - 9) + '"}' : text;
};
const entry = (id: string, extra: Partial<Entry> = {}, size = 0): Entry => ({ id, body: body(id, size), tries: 0, next: 0, lease: 0, ...extra });
/** Every event in localStorage, under any key, in the order stored: records (the module's) and lists (the core's). */
function stored(): Entry[] {
  const all: Entry[] = [];
  for (let i = 0; i < localStorage.length; i++) all.push(...[].concat(JSON.parse(localStorage.getItem(localStorage.key(i)!)!)));
  return all.sort((a, b) => (a.at || 0) - (b.at || 0));
}
const storedIds = () => stored().map((e) => e.id);
/**
 * Puts entries in the outbox as another tab or an earlier page would have left them; a tab open meanwhile hears
 * of each record by a `storage` event, as browsers tell every other document of the origin.
 */
async function seed(entries: Entry[]) {
  const before = new Map(Object.keys(localStorage).map((name) => [name, localStorage.getItem(name)]));
  const outbox = createOutbox(KEY);
  for (const e of entries) await outbox.add(e);
  for (const name of Object.keys(localStorage)) {
    const value = localStorage.getItem(name);
    if (value != before.get(name)) dispatchEvent(new StorageEvent('storage', { key: name, newValue: value, storageArea: localStorage }));
  }
}

/** A real Response; `body` an object (JSON) or text. */
function answer(status: number, data?: unknown, headers: Record<string, string> = {}) {
  const text = data === undefined ? null : typeof data == 'string' ? data : JSON.stringify(data);
  return new Response(text, { status, headers: { 'Content-Type': 'application/json', ...headers } });
}
const apiError = (status: number, code: number, headers?: Record<string, string>) => answer(status, { code, message: `error ${code}` }, headers);
const offline = () => Promise.reject(new TypeError('Failed to fetch'));

interface Call {
  id: string;
  body: string;
  init: RequestInit;
  /** Settles this request with a response (or a network failure). */
  answer(response?: Response): void;
  fail(): void;
  done: boolean;
}
type Respond = (call: Call) => Response | Promise<Response> | void;
/**
 * Stubs fetch. Each request calls `respond`: a Response (or promise) answers it, nothing leaves it out until the
 * test calls `answer` or `fail`, or its signal aborts (as the browser's fetch does). `doubles` lists every id
 * that was sent while another request for it was still out.
 */
function stubFetch(respond: Respond = () => {}) {
  const calls: Call[] = [];
  const doubles: string[] = [];
  const fetch = vi.fn((_url: string, init: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const text = String(init.body);
      const id = JSON.parse(text).uuid;
      if (calls.some((call) => call.id == id && !call.done)) doubles.push(id);
      const call: Call = {
        id,
        body: text,
        init,
        done: false,
        answer: (response = answer(200)) => ((call.done = true), resolve(response)),
        fail: () => ((call.done = true), reject(new TypeError('Failed to fetch'))),
      };
      calls.push(call);
      init.signal?.addEventListener('abort', () => {
        call.done = true;
        reject(new DOMException('The operation was aborted.', 'AbortError'));
      });
      const now = respond(call);
      if (now) Promise.resolve(now).then(call.answer, call.fail);
    }),
  );
  vi.stubGlobal('fetch', fetch);
  return { fetch, calls, doubles, ids: () => calls.map((call) => call.id) };
}
/** Runs microtasks and timers due now, without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);
const wait = (ms: number) => vi.advanceTimersByTimeAsync(ms);

// every listener a delivery adds, removed after each test so no page outlives its test
const listeners: [EventTarget, string, EventListenerOrEventListenerObject][] = [];
function recordListeners(target: EventTarget) {
  const add = target.addEventListener;
  vi.spyOn(target, 'addEventListener').mockImplementation(function (this: EventTarget, type: string, listener: any, options?: any) {
    if (listener) listeners.push([target, type, listener]);
    return add.call(target, type, listener, options);
  });
}
/** The page is gone: its listeners no longer run. */
function leavePage() {
  for (const [target, type, listener] of listeners.splice(0)) target.removeEventListener(type, listener);
}
function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  Object.defineProperty(document, 'hidden', { value: state == 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}
const pagehide = () => window.dispatchEvent(new Event('pagehide'));
/** A fake Web Locks API whose locks are granted in a later task, as the browser's are. */
function fakeLocks() {
  const chains = new Map<string, Promise<unknown>>();
  const request = vi.fn((name: string, callback: () => unknown) => {
    const run = (chains.get(name) || Promise.resolve()).then(() => new Promise((resolve) => setTimeout(resolve, 0))).then(() => callback());
    chains.set(name, run.catch(() => {}));
    return run;
  });
  Object.defineProperty(navigator, 'locks', { value: { request }, configurable: true });
}

let report: ReturnType<typeof vi.fn<(error: unknown, id: string) => void>>;
const pageErrors: unknown[] = [];
const onPageError = (event: ErrorEvent) => pageErrors.push(event.error ?? event.message);

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers({ now: new Date('2027-01-01T00:00:00Z') });
  recordListeners(window);
  recordListeners(document);
  report = vi.fn();
  pageErrors.length = 0;
  window.addEventListener('error', onPageError);
});
afterEach(() => {
  leavePage();
  window.removeEventListener('error', onPageError);
  vi.useRealTimers();
  delete (document as { visibilityState?: unknown }).visibilityState;
  delete (document as { hidden?: unknown }).hidden;
  delete (navigator as { locks?: unknown }).locks;
});

describe('redelay', () => {
  it.each([0, 0.5, 0.999999])('is 1 s doubling, between half and all of it, capped at 60 s (Math.random() = %d)', (random) => {
    vi.spyOn(Math, 'random').mockReturnValue(random);
    for (let tries = 0; tries < 12; tries++) {
      const full = Math.min(60_000, 1000 * 2 ** tries);
      expect(redelay(tries)).toBeGreaterThanOrEqual(full / 2);
      expect(redelay(tries)).toBeLessThanOrEqual(full);
    }
    expect(redelay(100)).toBeLessThanOrEqual(60_000);
  });

  it('has jitter', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([0, 1, 2, 6].map(redelay)).toEqual([500, 1000, 2000, 30_000]);
    random.mockReturnValue(0.5);
    expect([0, 1, 2, 6].map(redelay)).toEqual([750, 1500, 3000, 45_000]);
  });
});

describe('createDelivery: send', () => {
  it('stores the event before fetch is called, posts it with keepalive, and removes it on a 2xx', async () => {
    let seen: Entry[] = [];
    const net = stubFetch(() => ((seen = stored()), answer(200)));
    const delivery = createDelivery(KIT, SETTINGS, report);
    const reply = await delivery.send('e1', body('e1'));
    expect(seen).toMatchObject([{ id: 'e1', body: body('e1') }]);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = net.fetch.mock.calls[0];
    expect(url).toBe(SETTINGS.url);
    expect(init).toMatchObject({ method: 'POST', keepalive: true, headers: SETTINGS.headers, body: body('e1') });
    expect(reply).toMatchObject({ ok: true, status: 200 });
    expect(stored()).toEqual([]);
    await wait(10 * 60_000);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    expect(report).not.toHaveBeenCalled();
  });

  it.each<[string, () => Response]>([
    ['400 {code: 3004}', () => apiError(400, 3004)],
    ['401 {code: 3001}', () => apiError(401, 3001)],
    ['500 {code: 3010}', () => apiError(500, 3010)],
    ['415 without a body', () => answer(415, 'Unsupported Media Type')],
  ])('removes the event on %s, which retrying cannot change, and never sends it again', async (_, response) => {
    const net = stubFetch(response);
    const delivery = createDelivery(KIT, SETTINGS, report);
    const reply = await delivery.send('e1', body('e1'));
    expect(reply).toMatchObject({ ok: false, error: { retryable: false } });
    expect(stored()).toEqual([]);
    await wait(10 * 60_000);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    // the caller of send reports this one: a second p13n:error would be a duplicate
    expect(report).not.toHaveBeenCalled();
  });

  it.each<[string, Respond]>([
    ['500', () => apiError(500, 9999)],
    ['429', () => apiError(429, 2003)],
    ['503 without a body', () => answer(503, '')],
    ['a network failure', offline],
  ])('keeps the event on %s and sends it again, same body, after the backoff', async (_, first) => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // backoffs 500 ms, 1 s, 2 s ...
    let calls = 0;
    const net = stubFetch((call) => (calls++ ? answer(200) : first(call)));
    const delivery = createDelivery(KIT, SETTINGS, report);
    const sending = delivery.send('e1', body('e1'));
    await settle(); // no answer at all is read a task later (see the unload test below)
    const reply = await sending;
    expect(reply).toMatchObject({ ok: false, error: { retryable: true } });
    expect(stored()).toMatchObject([{ id: 'e1', body: body('e1'), tries: 1 }]);
    await wait(490);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    await wait(110);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    expect(net.calls.map((call) => call.body)).toEqual([body('e1'), body('e1')]);
    expect(net.calls[1].init.keepalive).toBe(true);
    await settle();
    expect(stored()).toEqual([]);
    await wait(10 * 60_000);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    expect(report).not.toHaveBeenCalled();
  });

  it('waits longer after each failure', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const times: number[] = [];
    const net = stubFetch(() => (times.push(Date.now()), apiError(500, 9999)));
    createDelivery(KIT, SETTINGS, report).send('e1', body('e1'));
    await wait(20_000);
    // 500 ms, then 1 s, 2 s, 4 s, 8 s: the next one is due 16 s after the last
    expect(times.slice(1).map((time, i) => time - times[i])).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(new Set(net.ids())).toEqual(new Set(['e1']));
    expect(stored()).toMatchObject([{ id: 'e1', tries: 6 }]);
  });

  it('honours a Retry-After longer than the backoff', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999); // backoff about 1 s
    let calls = 0;
    const net = stubFetch(() => (calls++ ? answer(200) : apiError(429, 2003, { 'Retry-After': '5' })));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('e1', body('e1'));
    await wait(4900);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    await wait(200);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    expect(net.calls[1].body).toBe(body('e1'));
    await settle();
    expect(stored()).toEqual([]);
  });

  it('sends waiting events at once when the browser comes back online', async () => {
    let calls = 0;
    const net = stubFetch(() => (calls++ ? answer(200) : apiError(503, 9999, { 'Retry-After': '60' })));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('e1', body('e1'));
    await wait(1000);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(net.fetch).toHaveBeenCalledTimes(2);
    expect(net.calls[1].body).toBe(body('e1'));
    await settle();
    expect(stored()).toEqual([]);
  });

  it('coming back online while a request is out does not send it twice', async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    const reply = delivery.send('e1', body('e1'));
    await settle();
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(net.ids()).toEqual(['e1']);
    net.calls[0].answer();
    expect(await reply).toMatchObject({ ok: true });
    window.dispatchEvent(new Event('online'));
    await wait(60_000);
    expect(net.ids()).toEqual(['e1']);
  });

  it('reports the API error when a resend gets an answer that retrying cannot change, and drops the event', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let calls = 0;
    const net = stubFetch(() => (calls++ ? apiError(400, 3004) : apiError(500, 9999)));
    const delivery = createDelivery(KIT, SETTINGS, report);
    expect(await delivery.send('e1', body('e1'))).toMatchObject({ ok: false, error: { code: 9999 } });
    expect(report).not.toHaveBeenCalled();
    await wait(600);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    expect(report).toHaveBeenCalledTimes(1);
    expect(report).toHaveBeenCalledWith(expect.objectContaining({ code: 3004, status: 400, retryable: false }), 'e1');
    expect(stored()).toEqual([]);
    await wait(10 * 60_000);
    expect(net.fetch).toHaveBeenCalledTimes(2);
  });
});

describe('createDelivery: bounds', () => {
  it(`reports each event dropped when the outbox holds ${MAX_EVENTS}, oldest first`, async () => {
    const later = Date.now() + 3_600_000;
    const old = Array.from({ length: MAX_EVENTS }, (_, i) => entry('old' + i, { next: later, tries: 5 }));
    await seed(old);
    const net = stubFetch(() => answer(200));
    const delivery = createDelivery(KIT, SETTINGS, report);
    expect(await delivery.send('new', body('new'))).toMatchObject({ ok: true });
    expect(report).toHaveBeenCalledTimes(1);
    expect(report).toHaveBeenCalledWith(expect.objectContaining({ code: 'dropped', message: expect.any(String) }), 'old0');
    expect(net.ids()).toEqual(['new']);
    expect(storedIds()).not.toContain('old0');
    expect(stored()).toHaveLength(MAX_EVENTS - 1);
  });

  it(`reports every event dropped to stay within ${MAX_BYTES} bytes`, async () => {
    const later = Date.now() + 3_600_000;
    await seed(Array.from({ length: 10 }, (_, i) => entry('old' + i, { next: later }, 25 * KIB)));
    stubFetch(() => answer(200));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('big', body('big', 50 * KIB));
    expect(report.mock.calls.map(([error, id]) => [(error as { code: string }).code, id])).toEqual([
      ['dropped', 'old0'],
      ['dropped', 'old1'],
    ]);
  });
});

describe("createDelivery: the core's records", () => {
  it('stores them again in the order of the calls that made them, whatever order storage lists them in: the bounds drop the first', async () => {
    const lease = Date.now() + LEASE_MS;
    // as the core writes them before the module is in: no `at`, claimed by this tab; storage lists them backwards
    const made = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => entry(id, { lease }, 60 * KIB));
    storeEvents(KEY, made.slice().reverse());
    expect(storedIds()).toEqual(['c5', 'c4', 'c3', 'c2', 'c1']);
    stubFetch(() => answer(503));
    const delivery = createDelivery(KIT, SETTINGS, report);
    made.forEach((made) => void delivery.adopt(made));
    expect(storedIds()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    // 300 KiB, over the 256 KiB bound: the next event stored (or c1's retry) drops the oldest, the first call's
    void delivery.send('next', body('next'));
    await settle();
    expect(report.mock.calls.map(([error, id]) => [(error as { code: string }).code, id])).toEqual([['dropped', 'c1']]);
    expect(storedIds()).toEqual(['c2', 'c3', 'c4', 'c5', 'next']);
  });
});

describe('createDelivery: keepalive budget', () => {
  it(`keeps at most ${BUDGET} bytes in flight: a further send waits until a request ends`, async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    const size = 25 * KIB;
    const replies = ['a', 'b', 'c'].map((id) => delivery.send(id, body(id, size)));
    await settle();
    expect(net.ids()).toEqual(['a', 'b']);
    // stored, though, and claimed by this tab
    expect(storedIds()).toEqual(['a', 'b', 'c']);
    net.calls[0].answer(answer(200));
    await wait(RELEASE_MS);
    expect(net.ids()).toEqual(['a', 'b', 'c']);
    net.calls[1].answer(answer(200));
    net.calls[2].answer(answer(200));
    expect(await Promise.all(replies)).toMatchObject([{ ok: true }, { ok: true }, { ok: true }]);
    expect(stored()).toEqual([]);
    expect(net.doubles).toEqual([]);
  });

  it('sends a waiting event when an earlier request fails, too', async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    ['a', 'b', 'c'].forEach((id) => delivery.send(id, body(id, 25 * KIB)));
    await settle();
    net.calls[1].fail();
    await wait(RELEASE_MS);
    expect(net.ids()).toEqual(['a', 'b', 'c']);
    expect(net.doubles).toEqual([]);
  });

  // the keepalive quota counts bytes on the wire, not UTF-16 units: two 45 KB events of Japanese text must not
  // be out at once
  it('counts the budget in UTF-8 bytes', async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    const size = 15 * KIB; // characters, 3 bytes each: 45 KiB a body
    delivery.send('a', body('a', size, '日'));
    delivery.send('b', body('b', size, '日'));
    await settle();
    expect(new TextEncoder().encode(net.calls[0].body).length).toBeGreaterThan(BUDGET / 2);
    expect(net.ids()).toEqual(['a']);
    net.calls[0].answer();
    await wait(RELEASE_MS);
    expect(net.ids()).toEqual(['a', 'b']);
  });

  // Firefox frees a keepalive request's share of the quota a few ms after its answer, and fails one made sooner
  // that would not fit beside it (a network error): an answered request still counts for RELEASE_MS
  it(`counts an answered request's bytes for ${RELEASE_MS} ms more, then sends what waited`, async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    delivery.send('a', body('a', 40 * KIB));
    delivery.send('b', body('b', 40 * KIB));
    delivery.send('c', body('c', 1 * KIB));
    await settle();
    expect(net.ids()).toEqual(['a']);
    net.calls[0].answer(answer(503));
    await wait(RELEASE_MS - 1);
    expect(net.ids()).toEqual(['a']);
    await wait(1);
    expect(net.ids()).toEqual(['a', 'b', 'c']);
  });

  // a tab renews the claims of what it has out or queued, and never claims its own queued events again
  /**
   * `count` events an earlier page left, due, and a page with Web Locks: `overlap()` starts three flushes at once
   * (every end of a request, `online` and a page hidden each start one), whose claims then overlap.
   */
  async function overlappingFlushes(count: number) {
    const past = Date.now() - 1000;
    await seed(Array.from({ length: count }, (_, i) => entry('left' + i, { lease: past })));
    fakeLocks();
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    const overlap = () => {
      for (let i = 0; i < 3; i++) dispatchEvent(new Event('online'));
    };
    return { net, delivery, overlap };
  }

  it(`never has more than ${PARALLEL} requests out, even when flushes overlap (with Web Locks)`, async () => {
    const { net, overlap } = await overlappingFlushes(24);
    const out = () => net.calls.filter((call) => !call.done).length;
    let most = 0;
    for (let round = 0; round < 6; round++) {
      overlap();
      for (let step = 0; step < 40; step++) {
        await wait(25);
        most = Math.max(most, out());
      }
      net.calls.filter((call) => !call.done).forEach((call) => call.answer());
    }
    expect(most).toBe(PARALLEL);
    expect(net.doubles).toEqual([]);
    expect(new Set(net.ids()).size).toBe(24);
  });

  it('consent denied while claimed events wait their turn: nothing more goes out, and no error is reported for them', async () => {
    const { net, delivery, overlap } = await overlappingFlushes(12);
    overlap();
    await wait(200);
    expect(net.ids()).toHaveLength(PARALLEL); // the rest claimed, waiting for room
    const cleared = delivery.clear();
    await wait(100);
    await cleared;
    net.calls.forEach((call) => call.answer());
    await wait(1000);
    expect(net.ids()).toHaveLength(PARALLEL);
    expect(report).not.toHaveBeenCalled();
  });

  it('never has two requests out for one event, even after a long wait for the budget', async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    delivery.send('a', body('a', 30 * KIB));
    delivery.send('b', body('b', 29 * KIB));
    delivery.send('c', body('c', 5 * KIB));
    await settle();
    expect(net.ids()).toEqual(['a', 'b']);
    await wait(LEASE_MS - 3000);
    net.calls[0].answer();
    net.calls[1].answer();
    await wait(RELEASE_MS);
    expect(net.ids()).toEqual(['a', 'b', 'c']);
    // c's request is still out when its lease, stamped when it was stored, runs out
    await wait(5000);
    expect(net.doubles).toEqual([]);
    expect(net.ids()).toEqual(['a', 'b', 'c']);
  });
});

describe('createDelivery: leaving the page', () => {
  // issue 4: flushed on visibilitychange to hidden and on pagehide
  it('sends due events when the page is hidden', async () => {
    const net = stubFetch(() => answer(200));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('first', body('first'));
    // left by another tab (or an earlier attempt) and due, before any timer of this page has run
    await seed([entry('due')]);
    setVisibility('visible');
    await settle();
    expect(net.ids()).toEqual(['first']);
    setVisibility('hidden');
    await settle();
    expect(net.ids()).toEqual(['first', 'due']);
    expect(pageErrors).toEqual([]);
  });

  it('sends due events on pagehide (a window event)', async () => {
    const net = stubFetch(() => answer(200));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('first', body('first'));
    await seed([entry('due')]);
    pagehide();
    await settle();
    expect(net.ids()).toEqual(['first', 'due']);
    expect(net.calls[1].init.keepalive).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('events delivered but still on their way out of storage as the page goes are not sent again by the next', async () => {
    const net = stubFetch();
    await seed(['a', 'b', 'c', 'd'].map((id) => entry(id)));
    fakeLocks(); // every change to storage waits for its lock, as in the browser: removals lag behind answers
    createDelivery(KIT, SETTINGS, report);
    await vi.advanceTimersByTimeAsync(200); // each change holds the lock a moment after its write
    expect(net.ids()).toEqual(['a', 'b', 'c', 'd']);
    net.calls.forEach((call) => call.answer());
    // the answers are read (microtasks only); their removal from storage waits for a lock granted in a later task
    for (let i = 0; i < 50; i++) await Promise.resolve();
    expect(storedIds()).toEqual(['a', 'b', 'c', 'd']);
    pagehide();
    leavePage();
    vi.clearAllTimers();
    expect(storedIds()).toEqual([]);
    createDelivery(KIT, SETTINGS, report);
    await settle();
    expect(net.ids()).toEqual(['a', 'b', 'c', 'd']);
    expect(pageErrors).toEqual([]);
  });

  it('hands the events still waiting for the budget on pagehide to the next page, which sends them at once', async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    const replies = ['a', 'b', 'c'].map((id) => delivery.send(id, body(id, 25 * KIB)));
    await settle();
    expect(net.ids()).toEqual(['a', 'b']);
    pagehide();
    await settle();
    // the page is gone; c's promise has settled, with a retryable failure
    expect(await replies[2]).toMatchObject({ ok: false, error: { retryable: true } });
    leavePage();
    vi.clearAllTimers();
    // a and b were out while the service had shown no trouble: counted delivered; c has no keepalive room left
    expect(storedIds()).toEqual(['c']);
    createDelivery(KIT, SETTINGS, report);
    await settle();
    // only c goes, and only once
    expect(net.ids()).toEqual(['a', 'b', 'c']);
    expect(net.doubles).toEqual([]);
  });

  it('adds no unload or beforeunload listener (the back/forward cache stays usable)', () => {
    stubFetch();
    createDelivery(KIT, SETTINGS, report);
    const types = listeners.map(([, type]) => type);
    expect(types).toEqual(expect.arrayContaining(['pagehide', 'visibilitychange', 'online']));
    expect(types).not.toContain('unload');
    expect(types).not.toContain('beforeunload');
  });

  it('through a first-party proxy, leaving the page counts nothing out delivered: the next page sends it at once', async () => {
    const proxied = readConfig({ database: 'shop_db', table: 'events', endpoint: '/p13n' }) as Settings;
    expect(proxied.headers.Authorization).toBeUndefined();
    const net = stubFetch(); // the service is well, the answer just not in yet
    const delivery = createDelivery(KIT, proxied, report);
    void delivery.send('e1', body('e1'));
    await wait(10);
    expect(net.ids()).toEqual(['e1']);
    setVisibility('hidden');
    const held = () => stored().map((e) => [e.id, e.lease]);
    expect(held().map(([id]) => id)).toEqual(['e1']); // hidden, not left: still this tab's
    pagehide();
    await settle();
    expect(held()).toEqual([['e1', 0]]);
    // and direct mode, for contrast: the same exit counts it delivered
    leavePage();
    const direct = createDelivery(KIT, SETTINGS, report);
    void direct.send('d1', body('d1'));
    await wait(10);
    expect(net.ids()).toEqual(['e1', 'd1']);
    pagehide();
    await settle();
    expect(storedIds()).toEqual(['e1']); // d1 is gone; e1, of the proxied page, waits for the next page
  });

  // the service failed on the page before, and this one is left before it hears any answer: a track and a link
  // followed at once during an outage must not count as delivered
  it('a page that heard no answer yet trusts no outage an earlier page saw: left at once, it keeps what is out', async () => {
    const later = Date.now() + 60_000;
    await seed([entry('failed-before', { tries: 1, next: later })]);
    const net = stubFetch(); // no answer comes before the page is left
    const delivery = createDelivery(KIT, SETTINGS, report);
    void delivery.send('e1', body('e1'));
    await wait(10);
    expect(net.ids()).toEqual(['e1']);
    pagehide();
    await settle();
    expect(storedIds().sort()).toEqual(['e1', 'failed-before']);
    expect(stored().find((e) => e.id == 'e1')!.lease).toBeGreaterThan(Date.now()); // its claim lapses first
  });

  it('once the page hears the service answer well, it trusts it again, whatever earlier pages saw', async () => {
    const later = Date.now() + 60_000;
    await seed([entry('failed-before', { tries: 1, next: later })]);
    const net = stubFetch((call) => (call.id == 'ok' ? answer(200) : undefined));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('ok', body('ok'));
    void delivery.send('e1', body('e1'));
    await wait(10);
    expect(net.ids()).toEqual(['ok', 'e1']);
    pagehide();
    await settle();
    expect(storedIds()).toEqual(['failed-before']); // e1, out as the page went, counted delivered
  });

  // Chromium fails the fetches of a page it unloads as pagehide is dispatched: with a listener of the page's (or
  // another tag's) before this module's, the failure is heard before this module knows the page is being left
  it('a request the browser fails as it unloads the page, before this module hears pagehide, is not taken for a failure', async () => {
    const net = stubFetch();
    const delivery = createDelivery(KIT, SETTINGS, report);
    void delivery.send('e1', body('e1'));
    await wait(10);
    net.calls[0].fail();
    for (let i = 0; i < 20; i++) await Promise.resolve(); // the microtasks run between two pagehide listeners
    pagehide();
    await settle();
    // out as a page that saw the service well was left: counted delivered (the request goes on), not sent again
    expect(storedIds()).toEqual([]);
    expect(net.ids()).toEqual(['e1']);
  });

  // a hidden tab's timers wait up to a second: a failure read a task later could be counted delivered by a close
  it('in a hidden tab, a request that gets no answer is taken for failed at once: the tab closed next keeps it', async () => {
    setVisibility('hidden');
    stubFetch(offline);
    const delivery = createDelivery(KIT, SETTINGS, report);
    void delivery.send('e1', body('e1'));
    for (let i = 0; i < 20; i++) await Promise.resolve(); // no task runs before the tab is closed
    pagehide();
    expect(stored()).toMatchObject([{ id: 'e1', tries: 1 }]);
  });

  it('while sends fail, leaving the page keeps every event for the next page, without throwing', async () => {
    stubFetch(() => apiError(503, 9999));
    const delivery = createDelivery(KIT, SETTINGS, report);
    await delivery.send('e1', body('e1'));
    setVisibility('hidden');
    pagehide();
    await settle();
    expect(storedIds()).toEqual(['e1']);
    expect(pageErrors).toEqual([]);
  });

  // a page being left may never run another task: what it keeps must be in storage at once, not after a lock
  it('keeps in storage, at once, the queued events a page being left cannot send (with Web Locks)', async () => {
    fakeLocks();
    const net = stubFetch((call) => (call.id == 'ok' ? answer(200) : undefined));
    const delivery = createDelivery(KIT, SETTINGS, report);
    // each change holds the lock a little after its write (SETTLE_MS), for other tabs to see it
    const first = delivery.send('ok', body('ok'));
    await vi.advanceTimersByTimeAsync(200);
    await first;
    ['a', 'b', 'c'].forEach((id) => delivery.send(id, body(id, 25 * KIB)));
    await vi.advanceTimersByTimeAsync(200);
    expect(net.ids()).toEqual(['ok', 'a', 'b']);
    pagehide();
    // what runs before the page is gone: the listener and its microtasks, no later task
    for (let i = 0; i < 20; i++) await Promise.resolve();
    const lost = ['a', 'b', 'c'].filter((id) => !net.ids().includes(id) && !storedIds().includes(id));
    expect(lost).toEqual([]);
  });
});

describe('createDelivery: the next page and other tabs', () => {
  it('sends, on creation, what an earlier page left, and removes it once delivered', async () => {
    const past = Date.now() - 1000;
    await seed([entry('left1', { tries: 2, lease: past }), entry('left2', { tries: 1, next: past })]);
    const net = stubFetch(() => answer(200));
    createDelivery(KIT, SETTINGS, report);
    await settle();
    expect(net.ids()).toEqual(['left1', 'left2']);
    expect(net.calls.map((call) => call.body)).toEqual([body('left1'), body('left2')]);
    await settle();
    expect(stored()).toEqual([]);
  });

  it('a page whose send failed leaves the event, and the next page sends it with the same body', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const net = stubFetch(offline);
    void createDelivery(KIT, SETTINGS, report).send('e1', body('e1'));
    await settle();
    pagehide();
    await settle();
    leavePage();
    vi.clearAllTimers();
    expect(net.ids()).toEqual(['e1']);
    vi.setSystemTime(Date.now() + 60_000);
    const next = stubFetch(() => answer(200));
    createDelivery(KIT, SETTINGS, report);
    await settle();
    expect(next.calls.map((call) => call.body)).toEqual([body('e1')]);
    await settle();
    expect(stored()).toEqual([]);
  });

  // a keepalive request has no timeout: its tab renews the claim, so no other tab sends it meanwhile
  it('a second tab does not send an event whose request is slow, while it is still out', async () => {
    const net = stubFetch();
    createDelivery(KIT, SETTINGS, report).send('e1', body('e1'));
    await settle();
    await wait(LEASE_MS + 1000);
    createDelivery(KIT, SETTINGS, report);
    await settle();
    expect(net.ids()).toEqual(['e1']);
    expect(net.doubles).toEqual([]);
  });

  it('does not send what a live tab has claimed, until its lease runs out', async () => {
    await seed([entry('theirs', { lease: Date.now() + 10_000 })]);
    const net = stubFetch(() => answer(200));
    createDelivery(KIT, SETTINGS, report);
    await wait(9_900);
    expect(net.fetch).not.toHaveBeenCalled();
    // that tab died with it: this one takes over
    await wait(200);
    expect(net.ids()).toEqual(['theirs']);
  });

  it('a second tab never sends an event the first has out, and nothing after the first delivered it', async () => {
    const net = stubFetch();
    const tab1 = createDelivery(KIT, SETTINGS, report);
    const reply = tab1.send('e1', body('e1'));
    await settle();
    expect(net.ids()).toEqual(['e1']);
    createDelivery(KIT, SETTINGS, report);
    await wait(2000);
    expect(net.ids()).toEqual(['e1']);
    net.calls[0].answer(answer(200));
    expect(await reply).toMatchObject({ ok: true });
    await wait(10 * 60_000);
    expect(net.ids()).toEqual(['e1']);
    expect(stored()).toEqual([]);
  });
});
