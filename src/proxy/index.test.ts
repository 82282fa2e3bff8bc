// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';
import { createProxy, memoryStore, toNodeHandler, type NodeRequest } from '.';
import { KEY, PAGE, proxyWith, TOKEN } from './proxy.testing';

const EVENT = JSON.stringify({ td_client_id: 'c1', uuid: 'u1', product: 'shoe' });
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
    // a redirect is not followed: the token would go on with it (a 502 for the visitor)
    expect(init.redirect).toBe('error');
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
    [{ trustedProxies: ['10.0.0.0/'] }, '"10.0.0.0/" in trustedProxies'],
    [{ trustedProxies: ['::/'] }, 'trustedProxies'],
    [{ trustedProxies: ['10.0.0.0/8/99'] }, 'trustedProxies'],
    [{ trustedProxies: ['10.0.0.0000/8'] }, 'trustedProxies'],
    [{ trustedProxies: ['fd00::/129'] }, 'trustedProxies'],
    [{ trustedProxies: '10.0.0.0/8' as never }, 'trustedProxies must be a list'],
    [{ origins: ['https://*.com'] }, 'a wildcard over a top-level domain'],
    [{ origins: ['http://*.1.2.3'] }, '"http://*.1.2.3" in origins'],
    [{ origins: ['http://shop.example:99999'] }, '"http://shop.example:99999" in origins is not an origin'],
    [{ timeout: 0 }, 'timeout'],
    [{ timeout: '5000' as never }, 'timeout'],
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

  it("serves from Node's request and response, with the peer as the visitor", async () => {
    const { handle, upstream } = proxyWith(offers);
    const res = nodeResponse();
    await toNodeHandler(handle)(nodeRequest(EVENT), res);
    expect(res.written).toEqual({
      status: 200,
      headers: { 'content-type': 'application/vnd.treasuredata.v1+json', 'content-length': '22' },
      body: '{"offers":{"hero":{}}}',
    });
    expect(sent(upstream).body).toBe(EVENT);
    // no trusted hops: the X-Forwarded-For the visitor sent is not believed
    expect(sent(upstream).headers['X-Forwarded-For']).toBe('192.0.2.7');
  });

  it('answers as soon as the service has, and is done once the answer is stored', async () => {
    let store!: () => void;
    const memory = memoryStore();
    const slow = { ...memory, set: (...args: Parameters<typeof memory.set>) => new Promise<void>((resolve) => (store = () => resolve(memory.set(...args)))) };
    const { handle } = proxyWith(offers, { store: slow });
    const res = nodeResponse();
    let done = false;
    const serving = toNodeHandler(handle)(nodeRequest(JSON.stringify({ uuid: '6f9619ff-8b86-4d11-b42d-00c04fc964ff' })), res).then(() => (done = true));
    await vi.waitFor(() => expect(res.written.status).toBe(200));
    expect(done).toBe(false);
    store();
    await serving;
    expect(await memory.get('shop_db/events/6f9619ff-8b86-4d11-b42d-00c04fc964ff')).toContain('"status":200');
  });

  it('buffers a body only to one byte past the limit, answers at once, and reads the rest away', async () => {
    const seen: number[] = [];
    const handler = async (request: Request) => (seen.push((await request.arrayBuffer()).byteLength), new Response('', { status: 413 }));
    const res = nodeResponse();
    let read = 0;
    await toNodeHandler(handler)(
      nodeRequest('', {
        async *[Symbol.asyncIterator]() {
          for (let i = 0; i < 200; i++) yield (read++, new Uint8Array(64 * 1024).fill(120)); // 12.5 MiB
        },
      }),
      res,
    );
    expect(seen).toEqual([64 * 1024 + 1]);
    expect(res.written.status).toBe(413);
    await vi.waitFor(() => expect(read).toBe(200));
  });

  it('answers a body cut off midway, a method or Host the Fetch API refuses, without rejecting', async () => {
    const { handle, upstream } = proxyWith(offers);
    const cases: [Partial<NodeRequest>, number][] = [
      [{ method: 'TRACE' }, 405],
      [{ method: 'CONNECT' }, 405],
      [{ headers: { host: 'a b', origin: PAGE } }, 400],
      [
        {
          async *[Symbol.asyncIterator]() {
            yield new Uint8Array(10);
            throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
          },
        },
        400,
      ],
    ];
    for (const [extra, status] of cases) {
      const res = nodeResponse();
      await toNodeHandler(handle)(nodeRequest(EVENT, extra), res);
      expect(res.written.status, JSON.stringify(extra)).toBe(status);
    }
    // a response that cannot be written (the socket is gone) is no error either
    const gone = { writeHead: () => { throw new Error('socket hang up'); }, end: () => {} };
    await expect(toNodeHandler(handle)(nodeRequest(EVENT), gone)).resolves.toBeUndefined();
    // and a handler that throws gets a 500, not a rejection
    const res = nodeResponse();
    await toNodeHandler(() => Promise.reject(new Error('bug')))(nodeRequest(EVENT), res);
    expect(res.written.status).toBe(500);
    expect(upstream).toHaveBeenCalledTimes(1);
  });

  it('answers a GET 405 without building a Request', async () => {
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
    // only as browsers write an origin: no user info, no escapes, no empty label
    [['https://*.shop.example'], 'https://x@www.shop.example', 403],
    [['https://*.shop.example'], 'https://evil%2eshop.example', 403],
    [['https://*.shop.example'], 'https://.shop.example', 403],
    [['https://*.shop.example'], 'https://www.shop.example/', 403],
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
    // ranges that do not end on a byte
    expect(await forwardedFor('172.31.255.255', '198.51.100.7', ['172.16.0.0/12'])).toBe('198.51.100.7');
    expect(await forwardedFor('172.32.0.1', '198.51.100.7', ['172.16.0.0/12'])).toBe('172.32.0.1');
    expect(await forwardedFor('192.168.1.128', '198.51.100.7', ['192.168.1.128/25'])).toBe('198.51.100.7');
    expect(await forwardedFor('192.168.1.127', '198.51.100.7', ['192.168.1.128/25'])).toBe('192.168.1.127');
    expect(await forwardedFor('2001:db8:7fff::1', '198.51.100.7', ['2001:db8::/33'])).toBe('198.51.100.7');
    expect(await forwardedFor('2001:db8:8000::1', '198.51.100.7', ['2001:db8::/33'])).toBe('2001:db8:8000::1');
    // all trusted: the leftmost is the best known
    expect(await forwardedFor('10.0.0.5', '10.0.0.9', ['10.0.0.0/8'])).toBe('10.0.0.9');
  });

  it('is not sent when unknown: no peer given, or a hop wrote something that is not an address', async () => {
    expect(await forwardedFor(undefined, '1.2.3.4')).toBeUndefined();
    for (const entry of ['unknown', '1.2.3.4444', '1234.1.1.1', '::ffff:1.2.3.4444', '::a1.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3']) {
      expect(await forwardedFor('10.0.0.5', entry, ['10.0.0.0/8']), entry).toBeUndefined();
    }
  });

  it('is sent as the service should read it: no leading zeros, IPv6 in its short form', async () => {
    expect(await forwardedFor('10.0.0.5', '010.001.002.003', ['10.0.0.0/8'])).toBe('10.1.2.3');
    expect(await forwardedFor('2001:0db8:0000:0000:0000:0000:0000:0009', undefined)).toBe('2001:db8::9');
    expect(await forwardedFor('0:0:0:0:0:0:0:1', undefined)).toBe('::1');
    expect(await forwardedFor('1:0:0:2:0:0:0:3', undefined)).toBe('1:0:0:2::3');
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
    const sized = (bytes: number) => JSON.stringify({ uuid: 'u', text: 'x'.repeat(bytes - 22) }); // 22 bytes of JSON around
    expect(new TextEncoder().encode(sized(64 * 1024)).length).toBe(64 * 1024);
    expect((await handle(post('/p13n/shop_db/events', sized(64 * 1024)))).status).toBe(200);
    expect((await handle(post('/p13n/shop_db/events', sized(64 * 1024 + 1)))).status).toBe(413);
    expect(upstream).toHaveBeenCalledTimes(1);
  });
});
