// @vitest-environment node
// Fault injection (control API and per-request `_fault`) and the request log, over real HTTP.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { start, post, view, control, ORIGIN } from './test-helpers.mjs';

let server;
beforeAll(async () => { server = await start(); });
afterAll(() => server.close());
beforeEach(() => server.emulator.reset());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const preflight = () => fetch(server.apiUrl + '/demo_db/pageviews', { method: 'OPTIONS', headers: { Origin: ORIGIN } });

describe('faults via the control API', () => {
  it('fails the next `times` POSTs with a readable JSON error, and leaves preflights alone', async () => {
    const set = await control(server, 'POST', 'faults', { status: 503, times: 2 });
    expect(set.status).toBe(201);
    expect(set.headers.get('access-control-allow-origin')).toBe('*');
    expect((await preflight()).status).toBe(204);
    for (let i = 0; i < 2; i++) {
      const failed = await view(server, 'f', '/');
      expect(failed.status).toBe(503);
      expect(failed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(await failed.json()).toEqual({ code: 9999, message: 'Unknown error.' });
    }
    expect((await view(server, 'f', '/')).status).toBe(200);
    // A failed request is not ingested: only the third one counted as a page view.
    expect(server.emulator.profile('f').pageViews).toBe(1);
  });

  it('sends 429 with Retry-After, exposed to scripts, and the Kinesis error by default', async () => {
    await control(server, 'POST', 'faults', { status: 429, retryAfter: 2, times: 1 });
    const response = await view(server, 'r', '/');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('access-control-expose-headers')).toBe('Retry-After');
    expect(await response.json()).toEqual({ code: 2003, message: 'Kinesis error due to limit being exceeded' });
  });

  it('fails every request for `forMs`, then recovers', async () => {
    await control(server, 'POST', 'faults', { status: 500, code: 1005, message: 'MemoryDB timed out', forMs: 150 });
    expect(await (await view(server, 'm', '/')).json()).toEqual({ code: 1005, message: 'MemoryDB timed out' });
    expect((await view(server, 'm', '/')).status).toBe(500);
    await sleep(200);
    expect((await view(server, 'm', '/')).status).toBe(200);
  });

  it('drops the connection without an answer', async () => {
    await control(server, 'POST', 'faults', { drop: true, times: 1 });
    await expect(view(server, 'd', '/')).rejects.toThrow(TypeError);
    expect(server.emulator.log.at(-1)).toMatchObject({ method: 'POST', status: null, response: expect.stringMatching(/^\(dropped/) });
    expect((await view(server, 'd', '/')).status).toBe(200);
  });

  it('delays an answer that is otherwise normal', async () => {
    server.emulator.setFault({ delayMs: 150, times: 1 });
    const started = Date.now();
    const response = await view(server, 'slow', '/');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
    expect(Object.keys((await response.json()).offers)).toEqual(['welcome', 'home_banner']);
  });

  it('hangs until the client gives up, and the server keeps serving', async () => {
    await control(server, 'POST', 'faults', { hang: true, times: 1 });
    const started = Date.now();
    await expect(post(server, { td_client_id: 'h' }, { signal: AbortSignal.timeout(150) })).rejects.toThrow(/timeout|abort/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.emulator.log.at(-1)).toMatchObject({ status: null, response: expect.stringMatching(/^\(hanging/) });
    await expect(post(server, { td_client_id: 'h' }, { signal: AbortSignal.timeout(1000) })).resolves.toHaveProperty('status', 200);
  });

  it('can answer a non-JSON body (a proxy error page, or an unparsable 200)', async () => {
    await control(server, 'POST', 'faults', [{ status: 502, body: '<h1>Bad gateway</h1>', times: 1 }, { status: 200, body: 'oops', times: 1 }]);
    const bad = await view(server, 'x', '/');
    expect([bad.status, bad.headers.get('content-type'), await bad.text()]).toEqual([502, 'text/plain; charset=utf-8', '<h1>Bad gateway</h1>']);
    const odd = await view(server, 'x', '/');
    expect([odd.status, await odd.text()]).toEqual([200, 'oops']);
  });

  it('limits a fault to one path, lists active faults, and clears them', async () => {
    await control(server, 'POST', 'faults', { status: 500, path: '/public/demo_db/pageviews' });
    expect((await view(server, 'p', '/')).status).toBe(200);
    expect((await post(server, { td_client_id: 'p' }, { path: '/public/demo_db/pageviews' })).status).toBe(500);
    expect(await (await control(server, 'GET', 'faults')).json()).toEqual([{ status: 500, path: '/public/demo_db/pageviews', used: 1 }]);
    expect((await control(server, 'DELETE', 'faults')).status).toBe(204);
    expect((await post(server, { td_client_id: 'p' }, { path: '/public/demo_db/pageviews' })).status).toBe(200);
  });

  it('refuses a fault with an unknown key or a bad value', async () => {
    const typo = await control(server, 'POST', 'faults', { status: 500, retryafter: 3 });
    expect(typo.status).toBe(400);
    expect((await typo.json()).error).toMatch(/unknown fault key "retryafter"/);
    expect((await control(server, 'POST', 'faults', { status: 'bad' })).status).toBe(400);
    expect((await control(server, 'POST', 'faults', { times: 2 })).status).toBe(400);
    expect(server.emulator.faults()).toEqual([]);
  });
});

describe('faults per request (_fault)', () => {
  it('fails only the request that carries it', async () => {
    const failed = await view(server, 'u', '/', { _fault: { status: 500, code: 1001, retryAfter: 1 } });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(await failed.json()).toEqual({ code: 1001, message: 'Internal Server Error' });
    expect((await view(server, 'u', '/')).status).toBe(200);
  });

  it('applies a delay-only _fault and then answers normally', async () => {
    const started = Date.now();
    const response = await view(server, 'u', '/', { _fault: { delayMs: 120 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(response.status).toBe(200);
  });

  it('answers 3004 for a malformed _fault', async () => {
    const response = await view(server, 'u', '/', { _fault: { stauts: 500 } });
    expect(response.status).toBe(400);
    expect((await response.json()).code).toBe(3004);
  });
});

describe('the log', () => {
  it('records preflights and POSTs with lower-case headers, parsed bodies, status and response', async () => {
    await preflight();
    await view(server, 'l', '/');
    await post(server, 'not json');
    await control(server, 'GET', 'profiles'); // control requests are not logged
    const response = await control(server, 'GET', 'log');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const log = await response.json();
    expect(log.map((e) => [e.method, e.status])).toEqual([['OPTIONS', 204], ['POST', 200], ['POST', 400]]);
    const [options, ok, bad] = log;
    expect(options.headers.origin).toBe(ORIGIN);
    expect(ok.headers['wp13n-token']).toBe('1/2/6b6ea5f8df5845fa8e7962f9e1ba84a3');
    expect(ok.body).toMatchObject({ td_client_id: 'l', td_path: '/' });
    expect(Object.keys(ok.response.offers)).toEqual(['welcome', 'home_banner']);
    expect(typeof ok.t).toBe('number');
    expect(bad).toMatchObject({ body: 'not json', response: { code: 3004, message: 'Invalid event object.' } });
  });

  it('marks a second delivery of the same uuid as a duplicate', async () => {
    const event = { td_client_id: 'dup', uuid: '6f1c2f9e-4b1a-4c55-9d55-3f2b8c1a0e77' };
    await post(server, event);
    await post(server, event);
    expect(server.emulator.log.map((e) => e.duplicate)).toEqual([undefined, true]);
  });

  it('DELETE clears the log and the profiles, so a visitor is new again', async () => {
    await view(server, 'z', '/');
    await view(server, 'z', '/other');
    expect((await control(server, 'DELETE', 'log')).status).toBe(204);
    expect(await (await control(server, 'GET', 'log')).json()).toEqual([]);
    const again = await (await view(server, 'z', '/')).json();
    expect(Object.keys(again.offers)).toEqual(['welcome', 'home_banner']);
  });

  it('answers the preflight of a page that deletes the log', async () => {
    const response = await fetch(server.apiUrl + '/_emulator/log', { method: 'OPTIONS', headers: { Origin: ORIGIN } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(server.emulator.log).toEqual([]);
  });
});
