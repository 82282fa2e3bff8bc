// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStore, type DedupStore } from '.';
import { PAGE, proxyWith } from './proxy.testing';

const UUID = '0b6f1c55-3c9e-4d1a-9a57-5f0f5e1e2a10';
const event = (extra: Record<string, unknown> = {}) => JSON.stringify({ td_client_id: 'c1', uuid: UUID, event: 'add_to_cart', ...extra });
const post = (body = event(), table = 'events') =>
  new Request(`${PAGE}/p13n/shop_db/${table}`, { method: 'POST', body, headers: { Origin: PAGE, 'Content-Type': 'text/plain' } });
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/vnd.treasuredata.v1+json', ...headers } });

const offers = () => json(200, { offers: { hero: { title: 'Hi' } } });

afterEach(() => vi.useRealTimers());

describe('deduplication by uuid', () => {
  it('forwards the first arrival, and answers a later one with the remembered answer without forwarding', async () => {
    const { handle, upstream } = proxyWith([offers, () => json(200, { offers: { other: {} } })]);
    const first = await handle(post());
    expect(first.headers.get('P13n-Duplicate')).toBeNull();
    expect(await first.json()).toEqual({ offers: { hero: { title: 'Hi' } } });
    // by uuid alone: a resend whose other fields changed is the same event
    const again = await handle(post(event({ event: 'changed' })));
    expect(again.status).toBe(200);
    expect(again.headers.get('Content-Type')).toBe('application/vnd.treasuredata.v1+json');
    expect(again.headers.get('P13n-Duplicate')).toBe('true');
    expect(await again.json()).toEqual({ offers: { hero: { title: 'Hi' } } });
    expect(upstream).toHaveBeenCalledTimes(1);
  });

  it('makes an arrival that comes while the first is in flight wait for its answer', async () => {
    let answer!: (response: Response) => void;
    const { handle, upstream } = proxyWith([() => new Promise<Response>((resolve) => (answer = resolve))]);
    const first = handle(post());
    const second = handle(post());
    const third = handle(post(event().toUpperCase().replace('UUID', 'uuid'))); // a uuid's case does not matter
    await vi.waitFor(() => expect(upstream).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 120)); // the others poll meanwhile, and do not forward
    answer(offers());
    const answers = await Promise.all([first, second, third]);
    expect(await Promise.all(answers.map((response) => response.json()))).toEqual(Array(3).fill({ offers: { hero: { title: 'Hi' } } }));
    expect(answers.map((response) => response.headers.get('P13n-Duplicate'))).toEqual([null, 'true', 'true']);
    expect(upstream).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['a 500', () => json(500, { code: 9999, message: 'unknown' })],
    ['a 503', () => json(503, { code: 1001, message: 'downstream' })],
    ['a 429', () => json(429, { code: 2003, message: 'limit' }, { 'Retry-After': '1' })],
    ['a network failure (502)', () => Promise.reject(new TypeError('fetch failed'))],
    ['a timeout (502)', () => Promise.reject(new DOMException('timed out', 'TimeoutError'))],
  ])('does not remember %s, so the retry goes through', async (_, failure) => {
    const { handle, upstream } = proxyWith([failure, offers]);
    expect((await handle(post())).status).toBeGreaterThan(428);
    const retry = await handle(post());
    expect(retry.status).toBe(200);
    expect(retry.headers.get('P13n-Duplicate')).toBeNull();
    expect(upstream).toHaveBeenCalledTimes(2);
    expect((await handle(post())).headers.get('P13n-Duplicate')).toBe('true');
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it('lets a waiting arrival forward when the first one failed', async () => {
    let fail!: () => void;
    const { handle, upstream } = proxyWith([() => new Promise<Response>((resolve) => (fail = () => resolve(json(500, { code: 9999, message: 'x' })))), offers]);
    const first = handle(post());
    await vi.waitFor(() => expect(upstream).toHaveBeenCalledTimes(1));
    const second = handle(post());
    await new Promise((resolve) => setTimeout(resolve, 120)); // it is waiting: looked, found the claim, looks again
    expect(upstream).toHaveBeenCalledTimes(1);
    fail();
    expect((await first).status).toBe(500);
    expect((await second).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it("remembers an answer without a body (the API's 200 without payload, a 204)", async () => {
    const { handle, upstream } = proxyWith([() => new Response(null, { status: 204 }), () => new Response('', { status: 200 })]);
    expect((await handle(post())).status).toBe(204);
    const again = await handle(post());
    expect([again.status, await again.text(), again.headers.get('P13n-Duplicate')]).toEqual([204, '', 'true']);
    expect((await handle(post(event({ uuid: UUID.replace('0', '1') })))).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it('remembers an answer sending again cannot change (a 400)', async () => {
    const { handle, upstream } = proxyWith([() => json(400, { code: 3004, message: 'Invalid event object' })]);
    await handle(post());
    const again = await handle(post());
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ code: 3004, message: 'Invalid event object' });
    expect(upstream).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['no uuid', JSON.stringify({ event: 'a' })],
    ['a uuid that is not a UUID', JSON.stringify({ event: 'a', uuid: 'order-42' })],
    ['a uuid that is not a string', JSON.stringify({ event: 'a', uuid: 42 })],
  ])('forwards a body with %s as it is, every time', async (_, body) => {
    const { handle, upstream } = proxyWith([offers]);
    await handle(post(body));
    await handle(post(body));
    expect(upstream).toHaveBeenCalledTimes(2);
    expect(new TextDecoder().decode(upstream.mock.calls[1][1].body as ArrayBuffer)).toBe(body);
  });

  it('keeps tables apart: one uuid in two tables is two events', async () => {
    const { handle, upstream } = proxyWith([offers]);
    await handle(post(event(), 'events'));
    expect((await handle(post(event(), 'orders'))).headers.get('P13n-Duplicate')).toBeNull();
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it('remembers for `window` ms, then forwards the uuid again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { handle, upstream } = proxyWith([offers], { window: 60_000 });
    await handle(post());
    vi.setSystemTime(Date.now() + 59_000);
    expect((await handle(post())).headers.get('P13n-Duplicate')).toBe('true');
    vi.setSystemTime(Date.now() + 2_000);
    expect((await handle(post())).headers.get('P13n-Duplicate')).toBeNull();
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it('forwards every arrival with store: false', async () => {
    const { handle, upstream } = proxyWith([offers], { store: false });
    await handle(post());
    await handle(post());
    expect(upstream).toHaveBeenCalledTimes(2);
  });

  it("answers 503 (retryable) when the first arrival is still out after a claim's life, without forwarding", async () => {
    vi.useFakeTimers();
    const store = memoryStore();
    // another instance's claim, renewed by it or by yet another arrival: this one waits as long as a claim lives
    await store.claim(`shop_db/events/${UUID}`, 'pending elsewhere', 600_000);
    const { handle, upstream } = proxyWith([offers], { timeout: 100, store });
    const waiting = handle(post());
    await vi.advanceTimersByTimeAsync(2200); // timeout + 2 s
    const response = await waiting;
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBe('1');
    expect((await response.json()).code).toBe(9999);
    expect(upstream).not.toHaveBeenCalled();
  });

  it("takes over a claim that lapsed (its instance crashed) and forwards", async () => {
    vi.useFakeTimers();
    const store = memoryStore();
    await store.claim(`shop_db/events/${UUID}`, 'pending crashed', 1000);
    const { handle, upstream } = proxyWith([offers], { store });
    const waiting = handle(post());
    await vi.advanceTimersByTimeAsync(1100);
    expect((await waiting).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(1);
  });
});

describe('when the store holds what this proxy did not write', () => {
  it.each(['null', '{"status":99}', '{"status":200}', 'not json'])('forwards rather than replay %s', async (value) => {
    const store = memoryStore();
    await store.set(`shop_db/events/${UUID}`, value, 60_000);
    const { handle, upstream } = proxyWith([offers], { store });
    expect((await handle(post())).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(1);
  });
});

describe('when the store fails', () => {
  /** A memory store whose every call fails while `down.now` is set. */
  function flaky(failure: () => Promise<never>) {
    const store = memoryStore();
    const down = { now: false };
    const wrapped = Object.fromEntries(
      Object.entries(store).map(([name, method]) => [name, (...args: never[]) => (down.now ? failure() : (method as Function)(...args))]),
    ) as unknown as DedupStore;
    return { store: wrapped, down };
  }

  it('keeps forwarding (at least once), says so once, and says when it is back', async () => {
    const { store, down } = flaky(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')));
    vi.useFakeTimers({ toFake: ['Date'] });
    const { handle, upstream, log } = proxyWith([offers], { store });
    down.now = true;
    expect((await handle(post())).status).toBe(200);
    expect((await handle(post())).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(2);
    expect(log.mock.calls).toEqual([
      [
        'p13n proxy: the deduplication store failed (connect ECONNREFUSED 127.0.0.1:6379); forwarding every arrival ' +
          '(at least once, duplicates possible) until it answers again',
      ],
    ]);
    down.now = false;
    vi.setSystemTime(Date.now() + 5_001); // past the pause in asking it
    await handle(post());
    expect(upstream).toHaveBeenCalledTimes(3);
    expect(log).toHaveBeenLastCalledWith('p13n proxy: the deduplication store answers again; deduplicating');
    expect((await handle(post())).headers.get('P13n-Duplicate')).toBe('true');
    expect(upstream).toHaveBeenCalledTimes(3);
  });

  it('does not keep a visitor waiting on a store that hangs: 1 s, then forwards', async () => {
    const { store, down } = flaky(() => new Promise<never>(() => {}));
    vi.useFakeTimers();
    const { handle, upstream, log } = proxyWith([offers], { store });
    down.now = true;
    const response = handle(post());
    await vi.advanceTimersByTimeAsync(1000);
    expect((await response).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toContain('(no answer in 1000 ms)');
    // meanwhile the store is not asked, so the next arrival does not wait for it
    const next = handle(post());
    await vi.advanceTimersByTimeAsync(0);
    expect((await next).status).toBe(200);
  });

  it('settles a claim that timed out but was set: the answer is remembered, a resend gets it at once', async () => {
    const memory = memoryStore();
    // the first claim lands in the store, but its answer comes after the timeout
    let late = true;
    const claim = (...args: Parameters<DedupStore['claim']>) =>
      late ? ((late = false), new Promise<boolean>((resolve) => setTimeout(() => resolve(memory.claim(...args)), 1200))) : memory.claim(...args);
    const slow = { ...memory, claim };
    vi.useFakeTimers();
    const { handle, upstream, log } = proxyWith([offers], { store: slow });
    const response = handle(post());
    await vi.advanceTimersByTimeAsync(1000);
    expect((await response).status).toBe(200);
    expect(log.mock.calls[0][0]).toContain('(no answer in 1000 ms)');
    await vi.advanceTimersByTimeAsync(300); // the claim's answer: it was set, so the answer is stored under it
    expect(JSON.parse((await memory.get(`shop_db/events/${UUID}`))!)).toMatchObject({ status: 200 });
    expect(log).toHaveBeenLastCalledWith('p13n proxy: the deduplication store answers again; deduplicating');
    expect((await handle(post())).headers.get('P13n-Duplicate')).toBe('true');
    expect(upstream).toHaveBeenCalledTimes(1);
  });

  it('still answers the visitor when remembering the answer fails', async () => {
    const store = { ...memoryStore(), set: () => Promise.reject(new Error('OOM command not allowed')) };
    const { handle, log } = proxyWith([offers], { store });
    const response = await handle(post());
    expect(await response.json()).toEqual({ offers: { hero: { title: 'Hi' } } });
    expect(log.mock.calls[0][0]).toContain('OOM command not allowed');
  });
});
