// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { createProxy, toNodeHandler, type NodeRequest, type ProxyOptions } from './proxy';

const KEY = '1/' + 'a'.repeat(40);
const TOKEN = '1/2/' + 'b'.repeat(32);
const EVENT = JSON.stringify({ td_client_id: 'c1', uuid: 'u1', product: 'shoe' });

/** A proxy whose upstream is a stub that records what it was sent and answers `reply`. */
function proxyWith(reply: () => Response | Promise<Response>, options: Partial<ProxyOptions> = {}) {
  const upstream = vi.fn(async (_url: string, _init: RequestInit) => reply());
  const handle = createProxy({ apiKey: KEY, token: TOKEN, tables: ['shop_db/events'], fetch: upstream as never, ...options });
  return { handle, upstream };
}
const post = (path: string, body = EVENT, headers: Record<string, string> = {}) =>
  new Request('https://shop.example' + path, { method: 'POST', body, headers: { 'Content-Type': 'text/plain', ...headers } });
const offers = () => new Response('{"offers":{"hero":{}}}', { status: 200, headers: { 'Content-Type': 'application/vnd.treasuredata.v1+json' } });

describe('createProxy', () => {
  it('adds the credentials and forwards the event unchanged to the regional server path (no /public) by default', async () => {
    const { handle, upstream } = proxyWith(offers);
    const response = await handle(post('/p13n/shop_db/events', EVENT, { Origin: 'https://shop.example', Authorization: 'TD1 forged' }));
    const [url, init] = upstream.mock.calls[0];
    expect(url).toBe('https://us01.p13n.in.treasuredata.com/shop_db/events');
    expect(init.method).toBe('POST');
    expect(init.body).toBe(EVENT);
    expect(init.headers).toEqual({
      'Content-Type': 'application/vnd.treasuredata.v1+json',
      Accept: 'application/vnd.treasuredata.v1+json',
      Authorization: 'TD1 ' + KEY,
      'WP13n-Token': TOKEN,
      Origin: 'https://shop.example',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ offers: { hero: {} } });
    expect(response.headers.get('Content-Type')).toBe('application/vnd.treasuredata.v1+json');
  });

  it('uses the configured endpoint with its path prefix', async () => {
    const { handle, upstream } = proxyWith(offers, { endpoint: 'https://eu01.p13n.in.treasuredata.com/public/' });
    await handle(post('/anything/shop_db/events'));
    expect(upstream.mock.calls[0][0]).toBe('https://eu01.p13n.in.treasuredata.com/public/shop_db/events');
  });

  it('passes errors and Retry-After back as they came', async () => {
    const { handle } = proxyWith(() => new Response('{"code":2003,"message":"limit"}', { status: 429, headers: { 'Retry-After': '3', 'Content-Type': 'application/json' } }));
    const response = await handle(post('/p13n/shop_db/events'));
    expect(response.status).toBe(429);
    expect(response.headers.get('Retry-After')).toBe('3');
    expect(await response.json()).toEqual({ code: 2003, message: 'limit' });
  });

  it('answers 502 without a JSON body when the service cannot be reached', async () => {
    const { handle } = proxyWith(() => Promise.reject(new TypeError('fetch failed')));
    const response = await handle(post('/p13n/shop_db/events'));
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow(); // so the tag reports `http` 502, retryable

  });

  it('relays only to the tables it was given, only POST, only events of at most 64 KiB', async () => {
    const { handle, upstream } = proxyWith(offers);
    expect((await handle(post('/p13n/other_db/events'))).status).toBe(404);
    expect((await handle(post('/p13n/shop_db/events/../secrets'))).status).toBe(404);
    expect((await handle(new Request('https://shop.example/p13n/shop_db/events'))).status).toBe(405);
    expect((await handle(post('/p13n/shop_db/events', 'x'.repeat(64 * 1024 + 1)))).status).toBe(413);
    expect(upstream).not.toHaveBeenCalled();
  });

  it.each([
    [{ apiKey: 'nope' }, 'apiKey'],
    [{ token: '1/2/short' }, 'token'],
    [{ tables: [] }, 'tables'],
  ])('refuses to start with bad options (%j)', (bad, named) => {
    expect(() => createProxy({ apiKey: KEY, token: TOKEN, tables: ['shop_db/events'], ...bad })).toThrow(named);
  });
});

describe('toNodeHandler', () => {
  // the parts of Node's IncomingMessage and ServerResponse it uses; the demo serves it on a real http server
  // (e2e/demo.spec.ts, proxy mode)
  function nodeRequest(body: string, extra: Partial<NodeRequest> = {}): NodeRequest {
    return {
      method: 'POST',
      url: '/p13n/shop_db/events',
      headers: { host: 'shop.example', 'content-type': 'text/plain', 'x-forwarded-for': '10.1.1.1' },
      socket: { remoteAddress: '192.0.2.7' },
      async *[Symbol.asyncIterator]() {
        const bytes = new TextEncoder().encode(body);
        yield bytes.slice(0, 5);
        yield bytes.slice(5);
      },
      ...extra,
    };
  }
  function nodeResponse() {
    const written: { status?: number; headers?: Record<string, string>; body?: string } = {};
    return {
      written,
      writeHead: (status: number, headers: Record<string, string>) => Object.assign(written, { status, headers }),
      end: (body?: Uint8Array) => (written.body = new TextDecoder().decode(body)),
    };
  }

  it('turns the request into a Web Request, and the Response back, with the visitor address appended', async () => {
    const { handle, upstream } = proxyWith(offers);
    const res = nodeResponse();
    await toNodeHandler(handle)(nodeRequest(EVENT), res);
    expect(res.written).toEqual({
      status: 200,
      headers: { 'content-type': 'application/vnd.treasuredata.v1+json' },
      body: '{"offers":{"hero":{}}}',
    });
    const init = upstream.mock.calls[0][1];
    expect(init.body).toBe(EVENT);
    expect((init.headers as Record<string, string>)['X-Forwarded-For']).toBe('10.1.1.1, 192.0.2.7');
  });

  it('answers a GET without reading a body', async () => {
    const { handle } = proxyWith(offers);
    const res = nodeResponse();
    await toNodeHandler(handle)(nodeRequest('', { method: 'GET' }), res);
    expect(res.written.status).toBe(405);
  });
});
