import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, post, readReply, retryAfter, RETRIES, type Request } from './transport';

const URL_ = 'https://us01.p13n.in.treasuredata.com/shop_db/pageviews';
const HEADERS = {
  'Content-Type': 'application/vnd.treasuredata.v1+json',
  Accept: 'application/vnd.treasuredata.v1+json',
  Authorization: 'TD1 1/' + 'a'.repeat(40),
  'WP13n-Token': '1/2/' + 'b'.repeat(32),
};
const BODY = JSON.stringify({ td_client_id: '42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16', uuid: 'e1c6f6a2-5b0e-4c1e-9a4e-2f1d7c3b8a90' });
const OFFERS = {
  offer_for_high_loyalty: { attributes: { status: 'high' }, batch_segments: [{ id: '1588214' }], future_field: { x: [1, 2] } },
  empty_offer: {},
};

const request = (extra: Partial<Request> = {}): Request => ({ url: URL_, headers: HEADERS, body: BODY, timeout: 3000, ...extra });
/** A real Response with a JSON (or raw text) body. */
function answer(status: number, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? null : typeof body == 'string' ? body : JSON.stringify(body);
  return new Response(text, { status, headers: { 'Content-Type': 'application/json', ...headers } });
}
const apiError = (status: number, code: number, headers?: Record<string, string>) =>
  answer(status, { code, message: `error ${code}` }, headers);
/** A fetch that never answers, and fails only when its signal aborts, as the browser's does. */
const hang = (_url: string, init: RequestInit) =>
  new Promise<Response>((_, reject) => {
    init.signal!.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
  });
type Step = Response | ((url: string, init: RequestInit) => Promise<Response>);
/** Stubs fetch with one step per call (the last one repeats); returns the mock to inspect its calls. */
function stubFetch(...steps: Step[]) {
  let call = 0;
  const fetch = vi.fn((url: string, init: RequestInit) => {
    const step = steps[Math.min(call++, steps.length - 1)];
    return typeof step == 'function' ? step(url, init) : Promise.resolve(step.clone());
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}
/** Starts `post` and tracks whether it has settled, without awaiting it. */
function start(req = request()) {
  const state = { done: false, result: undefined as Awaited<ReturnType<typeof post>> | undefined };
  const promise = post(req).then((result) => Object.assign(state, { done: true, result }));
  return Object.assign(state, { promise });
}
/** Lets every pending timer and promise run, then returns post's result. */
async function finish(run: ReturnType<typeof start>) {
  await vi.runAllTimersAsync();
  await run.promise;
  return run.result!;
}

describe('readReply', () => {
  it.each([200, 201, 202])('%i with offers: ok, the offers passed through untouched', (status) => {
    const reply = readReply(status, JSON.stringify({ offers: OFFERS, request_id: 'r1' }));
    expect(reply).toEqual({ ok: true, status, offers: OFFERS });
  });

  it.each([
    ['an empty body', ''],
    ['whitespace', ' \n'],
    ['{}', '{}'],
    ['a body without offers', '{"request_id": "r1"}'],
  ])('200 with %s: ok, no offers', (_, text) => {
    expect(readReply(200, text)).toEqual({ ok: true, status: 200, offers: {} });
  });

  it('204: ok, no offers', () => {
    expect(readReply(204, '')).toEqual({ ok: true, status: 204, offers: {} });
  });

  it.each(['OK', '<html><body>Hello</body></html>', '{"offers": {', 'undefined'])('2xx non-JSON %j: parse error', (text) => {
    expect(readReply(200, text)).toMatchObject({ ok: false, error: { code: 'parse', message: expect.any(String) } });
  });

  it.each(['[]', '[{"offers": {}}]', '"offers"', '42', 'null', '{"offers": []}', '{"offers": "none"}', '{"offers": 5}', '{"offers": true}'])(
    '2xx JSON that is not {"offers": {...}} (%s): parse error',
    (text) => {
      expect(readReply(200, text)).toMatchObject({ ok: false, error: { code: 'parse' } });
    },
  );

  // only a missing or null offers means "no offers"; any other non-object is a malformed answer
  it.each(['{"offers": 0}', '{"offers": false}', '{"offers": ""}'])('2xx with falsy non-object offers (%s): parse error', (text) => {
    expect(readReply(200, text)).toMatchObject({ ok: false, error: { code: 'parse' } });
  });

  it.each<[number, number, boolean]>([
    [429, 2003, true],
    [429, 2013, true],
    [500, 9999, true],
    [500, 1001, true],
    [500, 1005, true],
    [500, 2015, true],
    [503, 9999, true],
    ...[3000, 3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009].map((code): [number, number, boolean] => [400, code, false]),
    [415, 415, false],
    [500, 3010, false],
    [500, 3013, false],
  ])('%i with {code: %i}: that code, status and message, retryable %s', (status, code, retryable) => {
    const message = `the API says ${code}`;
    const reply = readReply(status, JSON.stringify({ code, message }));
    expect(reply).toMatchObject({ ok: false, error: { code, status, message, retryable } });
  });

  it.each<[number, string, boolean]>([
    [404, 'Not Found', false],
    [415, '', false],
    [400, '{"code": "3000", "message": "string code"}', false],
    [403, '{"message": "Forbidden"}', false],
    [429, 'Too Many Requests', true],
    [500, '<html><body>Internal Server Error</body></html>', true],
    [502, '', true],
    [503, '{"message": "busy"}', true],
    [504, '[9999]', true],
  ])('%i with %j: code http, retryable %s', (status, text, retryable) => {
    expect(readReply(status, text)).toMatchObject({ ok: false, error: { code: 'http', status, retryable } });
  });

  it('does not let a polluted Object.prototype supply offers or an error code', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.offers = { injected: { attributes: { evil: true } } };
    proto.code = 9999;
    try {
      const ok = readReply(200, '{"request_id": "r1"}');
      expect(ok).toMatchObject({ ok: true });
      expect(Object.keys((ok as { offers: object }).offers)).toEqual([]);
      expect(readReply(500, '{}')).toMatchObject({ ok: false, error: { code: 'http', status: 500 } });
    } finally {
      delete proto.offers;
      delete proto.code;
    }
  });
});

describe('retryAfter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([['1', 1000], ['0', 0], ['120', 120_000]])('reads %j seconds as %i ms', (header, ms) => {
    expect(retryAfter(header)).toBe(ms);
  });

  it('reads an HTTP date as the ms until then, and a past one as 0', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    expect(retryAfter('Tue, 01 Jan 2030 00:00:05 GMT')).toBe(5000);
    expect(retryAfter('Mon, 31 Dec 2029 23:59:00 GMT')).toBe(0);
  });

  it.each([null, '', 'soon', 'later, maybe', '-5'])('reads %j as 0', (header) => {
    expect(retryAfter(header)).toBe(0);
  });
});

describe('backoff', () => {
  it.each([0, 0.25, 0.5, 0.999999])('stays within 125-250 ms, then 250-500 ms (Math.random() = %d)', (random) => {
    vi.spyOn(Math, 'random').mockReturnValue(random);
    expect(backoff(0)).toBeGreaterThanOrEqual(125);
    expect(backoff(0)).toBeLessThanOrEqual(250);
    expect(backoff(1)).toBeGreaterThanOrEqual(250);
    expect(backoff(1)).toBeLessThanOrEqual(500);
  });

  it('has jitter', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0.1);
    const low = backoff(0);
    random.mockReturnValue(0.9);
    expect(backoff(0)).toBeGreaterThan(low);
  });
});

describe('post', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the credentials mode it is given', async () => {
    const fetch = stubFetch(answer(200, { offers: OFFERS }));
    await finish(start({ ...request(), credentials: 'same-origin' }));
    expect(fetch.mock.calls[0][1].credentials).toBe('same-origin');
  });

  it('POSTs the headers and body given, with mode cors and credentials omit', async () => {
    const fetch = stubFetch(answer(200, { offers: OFFERS }));
    const result = await finish(start());
    expect(result).toEqual({ ok: true, status: 200, offers: OFFERS });
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(URL_);
    expect(init).toMatchObject({ method: 'POST', mode: 'cors', credentials: 'omit', headers: HEADERS, body: BODY });
    expect(init.keepalive).toBeFalsy();
  });

  it('passes keepalive through', async () => {
    const fetch = stubFetch(answer(200, ''));
    await finish(start(request({ keepalive: true })));
    expect(fetch.mock.calls[0][1].keepalive).toBe(true);
  });

  it.each([false, true])('clears only timers it set (keepalive %s): never the page\'s timer 1', async (keepalive) => {
    stubFetch(answer(200, ''));
    const set = new Set<unknown>();
    const setTimeout_ = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((...args: Parameters<typeof setTimeout>) => {
      const id = setTimeout_(...args);
      set.add(id);
      return id;
    }) as typeof setTimeout);
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    await finish(start(request({ keepalive })));
    expect(clear).toHaveBeenCalled();
    // a timer's id, or a value that is none (ids are positive): clearTimeout(true) would be clearTimeout(1)
    for (const [id] of clear.mock.calls) expect(set.has(id) || Number(id) === 0 || id === undefined, `clearTimeout(${String(id)})`).toBe(true);
  });

  it('reports a network failure as network, retryable, after 3 attempts', async () => {
    const fetch = stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const result = await finish(start());
    expect(result).toMatchObject({ ok: false, error: { code: 'network', retryable: true } });
    expect(fetch).toHaveBeenCalledTimes(1 + RETRIES);
    expect(RETRIES).toBe(2);
  });

  it('reports a fetch that throws synchronously as network, without throwing', async () => {
    vi.stubGlobal('fetch', vi.fn(() => { throw new TypeError('fetch is broken'); }));
    let run!: ReturnType<typeof start>;
    expect(() => (run = start())).not.toThrow();
    expect(await finish(run)).toMatchObject({ ok: false, error: { code: 'network' } });
  });

  it('retries a retryable failure at most twice and reports the last real error', async () => {
    const fetch = stubFetch(apiError(429, 2003), apiError(500, 1001), apiError(500, 9999));
    const result = await finish(start());
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(result).toMatchObject({ ok: false, error: { code: 9999, status: 500, message: 'error 9999', retryable: true } });
  });

  it('sends the same body on every attempt', async () => {
    const fetch = stubFetch(apiError(500, 9999));
    await finish(start());
    expect(fetch.mock.calls.map(([, init]) => init.body)).toEqual([BODY, BODY, BODY]);
  });

  it.each<[string, () => Response]>([
    ['400 3001', () => apiError(400, 3001)],
    ['400 3004', () => apiError(400, 3004)],
    ['500 3010', () => apiError(500, 3010)],
    ['415', () => answer(415, 'Unsupported Media Type')],
  ])('never retries %s', async (_, reply) => {
    const fetch = stubFetch(reply(), answer(200, { offers: OFFERS }));
    const result = await finish(start());
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ ok: false, error: { retryable: false } });
  });

  it('succeeds on the second attempt', async () => {
    const fetch = stubFetch(apiError(500, 9999), answer(200, { offers: OFFERS }));
    expect(await finish(start())).toEqual({ ok: true, status: 200, offers: OFFERS });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('waits a backoff before retrying', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const fetch = stubFetch(apiError(500, 9999), answer(200, ''));
    const run = start();
    await vi.advanceTimersByTimeAsync(124);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(await finish(run)).toMatchObject({ ok: true });
  });

  it('honours Retry-After', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const fetch = stubFetch(apiError(429, 2003, { 'Retry-After': '1' }), answer(200, { offers: OFFERS }));
    const run = start(request({ timeout: 3000 }));
    await vi.advanceTimersByTimeAsync(999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(501);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(await finish(run)).toMatchObject({ ok: true, offers: OFFERS });
  });

  it('does not retry when Retry-After is beyond the timeout, and reports the 429 at once', async () => {
    const fetch = stubFetch(apiError(429, 2003, { 'Retry-After': '5' }), answer(200, ''));
    const run = start(request({ timeout: 3000 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(run.done).toBe(true);
    expect(run.result).toMatchObject({ ok: false, error: { code: 2003, status: 429 } });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('never goes past the timeout', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    stubFetch(apiError(500, 9999));
    const run = start(request({ timeout: 300 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(run.done).toBe(true);
    expect(run.result).toMatchObject({ ok: false, error: { code: 9999 } });
  });

  it('reports timeout when fetch hangs for the whole timeout', async () => {
    const fetch = stubFetch(hang);
    const run = start(request({ timeout: 2000 }));
    await vi.advanceTimersByTimeAsync(1999);
    expect(run.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(run.done).toBe(true);
    expect(run.result).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true } });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('reports the last real error, not timeout, when a retry hangs', async () => {
    const fetch = stubFetch(apiError(500, 9999), hang);
    const run = start(request({ timeout: 2000 }));
    await vi.advanceTimersByTimeAsync(2000);
    expect(run.done).toBe(true);
    expect(run.result).toMatchObject({ ok: false, error: { code: 9999, status: 500 } });
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
