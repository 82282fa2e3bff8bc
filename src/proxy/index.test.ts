// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { createProxy, toNodeHandler, type NodeRequest, type ProxyOptions } from '.';

const KEY = '1/' + 'a'.repeat(40);
const TOKEN = '1/2/' + 'b'.repeat(32);
const EVENT = JSON.stringify({ td_client_id: 'c1', uuid: 'u1', product: 'shoe' });
const PAGE = 'https://shop.example';

/** A proxy whose upstream is a stub that records what it was sent and answers `reply`. */
function proxyWith(reply: () => Response | Promise<Response>, options: Partial<ProxyOptions> = {}) {
  const upstream = vi.fn(async (_url: string, _init: RequestInit) => reply());
  const handle = createProxy({ apiKey: KEY, token: TOKEN, tables: ['shop_db/events'], origins: [PAGE], fetch: upstream as never, ...options });
  return { handle, upstream };
}
const post = (path: string, body = EVENT, headers: Record<string, string> = {}) =>
  new Request(PAGE + path, { method: 'POST', body, headers: { 'Content-Type': 'text/plain', Origin: PAGE, ...headers } });
/** What the upstream stub was sent in its `n`th call: URL, body as text, headers. */
function sent(upstream: ReturnType<typeof proxyWith>['upstream'], n = 0) {
  const [url, init] = upstream.mock.calls[n];
  return { url, body: new TextDecoder().decode(init.body as ArrayBuffer), headers: init.headers as Record<string, string>, init };
}
const offers = () => new Response('{"offers":{"hero":{}}}', { status: 200, headers: { 'Content-Type': 'application/vnd.treasuredata.v1+json' } });

describe('createProxy', () => {
  it('adds the credentials and forwards the event unchanged to the regional server path (no /public) by default', async () => {
    const { handle, upstream } = proxyWith(offers);
    const response = await handle(post('/p13n/shop_db/events', EVENT, { Authorization: 'TD1 forged' }));
    const { url, body, headers, init } = sent(upstream);
    expect(url).toBe('https://us01.p13n.in.treasuredata.com/shop_db/events');
    expect(init.method).toBe('POST');
    expect(body).toBe(EVENT);
    expect(headers).toEqual({
      'Content-Type': 'application/vnd.treasuredata.v1+json',
      Accept: 'application/vnd.treasuredata.v1+json',
      Authorization: 'TD1 ' + KEY,
      'WP13n-Token': TOKEN,
      Origin: PAGE,
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
    [{ origins: [] }, 'origins'],
    [{ origins: undefined as never }, 'origins'],
    [{ origins: ['shop.example'] }, '"shop.example" in origins is not an origin'],
    [{ origins: ['https://shop.example/path'] }, 'in origins is not an origin'],
    [{ trustedProxies: ['10.0.0.0/33'] }, '"10.0.0.0/33" in trustedProxies'],
    [{ trustedProxies: ['lb.internal'] }, 'trustedProxies'],
    [{ window: 0 }, 'window'],
  ])('refuses to start with bad options (%j)', (bad, named) => {
    expect(() => createProxy({ apiKey: KEY, token: TOKEN, tables: ['shop_db/events'], origins: [PAGE], ...bad })).toThrow(named);
  });
});

describe('toNodeHandler', () => {
  // the parts of Node's IncomingMessage and ServerResponse it uses; the demo serves it on a real http server
  // (e2e/demo.spec.ts, proxy mode)
  function nodeRequest(body: string, extra: Partial<NodeRequest> = {}): NodeRequest {
    return {
      method: 'POST',
      url: '/p13n/shop_db/events',
      headers: { host: 'shop.example', origin: PAGE, 'content-type': 'text/plain', 'x-forwarded-for': '10.1.1.1' },
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

  it('turns the request into a Web Request, and the Response back, with the peer as the visitor', async () => {
    const { handle, upstream } = proxyWith(offers);
    const res = nodeResponse();
    await toNodeHandler(handle)(nodeRequest(EVENT), res);
    expect(res.written).toEqual({
      status: 200,
      headers: { 'content-type': 'application/vnd.treasuredata.v1+json' },
      body: '{"offers":{"hero":{}}}',
    });
    expect(sent(upstream).body).toBe(EVENT);
    // no trusted hops: the X-Forwarded-For the visitor sent is not believed
    expect(sent(upstream).headers['X-Forwarded-For']).toBe('192.0.2.7');
  });

  it('buffers a body only to one byte past the limit, and reads the rest away', async () => {
    const { handle, upstream } = proxyWith(offers);
    const res = nodeResponse();
    const chunks = Array.from({ length: 200 }, () => new Uint8Array(64 * 1024).fill(120)); // 12.5 MiB
    let read = 0;
    await toNodeHandler(handle)(
      nodeRequest('', {
        async *[Symbol.asyncIterator]() {
          for (const chunk of chunks) yield (read++, chunk);
        },
      }),
      res,
    );
    expect(res.written.status).toBe(413);
    expect(read).toBe(200);
    expect(upstream).not.toHaveBeenCalled();
  });

  it('answers a GET without reading a body', async () => {
    const { handle } = proxyWith(offers);
    const res = nodeResponse();
    await toNodeHandler(handle)(nodeRequest('', { method: 'GET' }), res);
    expect(res.written.status).toBe(405);
  });
});

describe('who may use it', () => {
  const from = (origin: string | undefined) => post('/p13n/shop_db/events', EVENT, origin ? { Origin: origin } : {});
  const statusFrom = async (origins: string[], origin: string | undefined) => {
    const { handle } = proxyWith(offers, { origins });
    const request = from(origin);
    if (!origin) request.headers.delete('Origin');
    return (await handle(request)).status;
  };

  it('answers 403 in the API error shape to a page of another origin, or with no Origin, without forwarding', async () => {
    const { handle, upstream } = proxyWith(offers);
    const response = await handle(from('https://evil.example'));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      code: 3007,
      message: 'p13n proxy: pages on "https://evil.example" may not use this proxy: add the origin to its origins',
    });
    const bare = post('/p13n/shop_db/events');
    bare.headers.delete('Origin');
    expect((await (await handle(bare)).json()).message).toContain('no Origin header');
    expect(upstream).not.toHaveBeenCalled();
  });

  it.each([
    [['https://shop.example'], 'https://shop.example', 200],
    [['https://shop.example/'], 'https://shop.example', 200],
    [['https://shop.example:443'], 'https://shop.example', 200],
    [['HTTPS://Shop.Example'], 'https://shop.example', 200],
    [['https://shop.example'], 'http://shop.example', 403],
    [['https://shop.example'], 'https://shop.example:8443', 403],
    [['https://shop.example'], 'https://www.shop.example', 403],
    [['https://shop.example'], 'null', 403],
    [['https://*.shop.example'], 'https://www.shop.example', 200],
    [['https://*.shop.example'], 'https://a.b.shop.example', 200],
    [['https://*.shop.example'], 'https://shop.example', 403],
    [['https://*.shop.example'], 'https://evilshop.example', 403],
    [['https://*.shop.example'], 'https://www.shop.example.evil.test', 403],
    [['https://*.shop.example'], 'http://www.shop.example', 403],
    [['http://*.shop.test:8080'], 'http://www.shop.test:8080', 200],
    [['http://*.shop.test:8080'], 'http://www.shop.test:8081', 403],
    [['http://127.0.0.1:8080', 'http://[::1]:8080'], 'http://[::1]:8080', 200],
  ])('origins %j: a page on %s gets %i', async (origins, origin, status) => {
    expect(await statusFrom(origins, origin)).toBe(status);
  });
});

describe("the visitor's address the service sees", () => {
  async function forwardedFor(peer: string | undefined, header: string | undefined, trustedProxies?: string[]) {
    const { handle, upstream } = proxyWith(offers, { trustedProxies });
    await handle(post('/p13n/shop_db/events', EVENT, header ? { 'X-Forwarded-For': header } : {}), { address: peer });
    return sent(upstream).headers['X-Forwarded-For'];
  }

  it('is the peer when no hop is trusted, whatever X-Forwarded-For the visitor sent', async () => {
    expect(await forwardedFor('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9');
    expect(await forwardedFor('::ffff:203.0.113.9', undefined)).toBe('203.0.113.9');
    expect(await forwardedFor('2001:db8::9', '1.2.3.4, 5.6.7.8')).toBe('2001:db8::9');
  });

  it('is read from the right past the trusted hops, so a forged entry on the left is never chosen', async () => {
    // the visitor forged 1.2.3.4; the balancer 10.0.0.5 appended the real 198.51.100.7
    expect(await forwardedFor('10.0.0.5', '1.2.3.4, 198.51.100.7', ['10.0.0.0/8'])).toBe('198.51.100.7');
    // two trusted hops: a CDN edge (2001:db8:cd::/48) then the balancer
    expect(await forwardedFor('10.0.0.5', '1.2.3.4, 198.51.100.7, [2001:db8:cd::1]:443', ['10.0.0.5', '2001:db8:cd::/48'])).toBe('198.51.100.7');
    // a request straight from a visitor is not believed even when hops are configured
    expect(await forwardedFor('198.51.100.7', '10.0.0.1', ['10.0.0.0/8'])).toBe('198.51.100.7');
    // Node's dual-stack sockets name IPv4 peers as IPv4-mapped IPv6
    expect(await forwardedFor('::ffff:10.0.0.5', '198.51.100.7', ['10.0.0.0/8'])).toBe('198.51.100.7');
    expect(await forwardedFor('::1', '198.51.100.7', ['::1'])).toBe('198.51.100.7');
    expect(await forwardedFor('127.0.0.1', '198.51.100.7:4711', ['127.0.0.1'])).toBe('198.51.100.7');
    expect(await forwardedFor('fd00::5', '198.51.100.7', ['fd00::/8'])).toBe('198.51.100.7');
    expect(await forwardedFor('fe00::5', '198.51.100.7', ['fd00::/8'])).toBe('fe00::5');
    // all trusted: the leftmost is the best known
    expect(await forwardedFor('10.0.0.5', '10.0.0.9', ['10.0.0.0/8'])).toBe('10.0.0.9');
  });

  it('is not sent when unknown: no peer given, or a hop wrote something that is not an address', async () => {
    expect(await forwardedFor(undefined, '1.2.3.4')).toBeUndefined();
    expect(await forwardedFor('10.0.0.5', 'unknown', ['10.0.0.0/8'])).toBeUndefined();
  });
});

describe('bad input', () => {
  it.each([
    ['not JSON', '{"uuid":', 'the body is not JSON'],
    ['an array', '[{"uuid":"x"}]', 'the body is not a JSON object'],
    ['a string', '"event"', 'the body is not a JSON object'],
    ['null', 'null', 'the body is not a JSON object'],
    ['empty', '', 'the body is not JSON'],
  ])('answers %s with 400 and the API error shape, without forwarding', async (_, body, message) => {
    const { handle, upstream } = proxyWith(offers);
    const response = await handle(post('/p13n/shop_db/events', body));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 3004, message: `p13n proxy: ${message}: an event is a JSON object` });
    expect(upstream).not.toHaveBeenCalled();
  });

  it('counts the 64 KiB in bytes, not characters, and refuses a Content-Length over it before reading', async () => {
    const { handle, upstream } = proxyWith(offers);
    const wide = JSON.stringify({ uuid: 'u', text: 'é'.repeat(33 * 1024) }); // 33 K characters, 66 KiB
    expect((await handle(post('/p13n/shop_db/events', wide))).status).toBe(413);
    const declared = post('/p13n/shop_db/events', EVENT, { 'Content-Length': String(64 * 1024 + 1) });
    expect((await handle(declared)).status).toBe(413);
    const fits = JSON.stringify({ uuid: 'u', text: 'x'.repeat(64 * 1024 - 24) });
    expect((await handle(post('/p13n/shop_db/events', fits))).status).toBe(200);
    expect(upstream).toHaveBeenCalledTimes(1);
  });
});
