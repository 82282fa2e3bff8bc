// @vitest-environment node
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProxy } from '.';
import { nodeHttpFetch } from './node-http-fetch';
import { KEY, PAGE, TOKEN } from './proxy.testing';

/** Real servers on loopback, each closed after its test. */
const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections(), server.close();
});
async function serve(handle: http.RequestListener) {
  const server = http.createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const bodyOf = (req: http.IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk)).on('end', () => resolve(Buffer.concat(chunks)));
  });

describe('nodeHttpFetch', () => {
  it('sends the method, headers and body bytes with their length, and reads the whole answer', async () => {
    const seen: { method?: string; headers?: http.IncomingHttpHeaders; body?: string }[] = [];
    const url = await serve(async (req, res) => {
      seen.push({ method: req.method, headers: req.headers, body: (await bodyOf(req)).toString() });
      res.writeHead(201, { 'Content-Type': 'application/json', 'Retry-After': '3' }).end('{"offers":{}}');
    });
    const body = new TextEncoder().encode('{"uuid":"ü"}');
    const answer = await nodeHttpFetch(url + '/db/table', { method: 'POST', headers: { 'WP13n-Token': TOKEN }, body });
    expect(seen).toEqual([{ method: 'POST', headers: expect.objectContaining({ 'wp13n-token': TOKEN, 'content-length': String(body.length) }), body: '{"uuid":"ü"}' }]);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('Content-Type')).toBe('application/json');
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(answer.headers.get('x-none')).toBeNull();
    // the bytes of this answer alone (a Node Buffer may be a view of a larger one)
    const bytes = await answer.arrayBuffer();
    expect(bytes.byteLength).toBe(13);
    expect(new TextDecoder().decode(bytes)).toBe('{"offers":{}}');
  });

  it('keeps the connection for the next request, as fetch does', async () => {
    const ports: number[] = [];
    const url = await serve((req, res) => (ports.push(req.socket.remotePort!), res.end('{}')));
    for (let i = 0; i < 3; i++) await (await nodeHttpFetch(url, { method: 'POST', body: new Uint8Array(1) })).arrayBuffer();
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('follows no redirect: with redirect "error" it rejects, and the place it points to is sent nothing', async () => {
    const elsewhere = vi.fn();
    const other = await serve((_req, res) => (elsewhere(), res.end('{}')));
    const url = await serve((_req, res) => res.writeHead(307, { Location: other + '/stolen' }).end());
    await expect(nodeHttpFetch(url, { method: 'POST', body: new Uint8Array(1), redirect: 'error' })).rejects.toThrow(/redirect/);
    // without it, the redirect is the answer (Node's client never follows one)
    expect((await nodeHttpFetch(url, { method: 'POST', body: new Uint8Array(1) })).status).toBe(307);
    expect(elsewhere).not.toHaveBeenCalled();
  });

  it('rejects once its signal aborts, and leaves no listener on a signal many requests share', async () => {
    const url = await serve(() => {}); // never answers
    const controller = new AbortController();
    const warnings = vi.fn();
    process.on('warning', warnings);
    try {
      const pending = Array.from({ length: 20 }, () => nodeHttpFetch(url, { method: 'POST', body: new Uint8Array(1), signal: controller.signal }));
      setTimeout(() => controller.abort(new Error('timed out')), 50);
      for (const request of pending) await expect(request).rejects.toThrow('timed out');
      const answered = await serve((_req, res) => res.end('{}'));
      const shared = new AbortController().signal;
      for (let i = 0; i < 20; i++) await nodeHttpFetch(answered, { method: 'POST', body: new Uint8Array(1), signal: shared });
      expect(getEventListeners(shared, 'abort')).toHaveLength(0);
      // and an aborted signal sends nothing
      const none = vi.fn();
      const quiet = await serve((_req, res) => (none(), res.end()));
      await expect(nodeHttpFetch(quiet, { method: 'POST', signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(none).not.toHaveBeenCalled();
    } finally {
      process.off('warning', warnings);
    }
    expect(warnings).not.toHaveBeenCalled(); // MaxListenersExceededWarning, for one
  });

  it('rejects an answer cut off midway, a refused connection and a URL it cannot send to', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' }).write('{"offers":');
      setTimeout(() => res.destroy(), 20);
    });
    await expect(nodeHttpFetch(url, { method: 'POST' }).then((answer) => answer.arrayBuffer())).rejects.toThrow();
    const closed = await serve(() => {});
    servers.pop()!.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(nodeHttpFetch(closed, { method: 'POST' })).rejects.toThrow(/ECONNREFUSED/);
    await expect(nodeHttpFetch('ftp://127.0.0.1/', { method: 'POST' })).rejects.toThrow(/only http: and https:/);
  });

  it("serves as the proxy's fetch: the answer passed on, a service that does not answer in time a 502", async () => {
    let hang = false;
    const endpoint = await serve(async (req, res) => {
      await bodyOf(req);
      if (!hang) res.writeHead(200, { 'Content-Type': 'application/vnd.treasuredata.v1+json' }).end('{"offers":{"hero":{}}}');
    });
    const handle = createProxy({ apiKey: KEY, token: TOKEN, tables: ['shop_db/events'], origins: [PAGE], endpoint, timeout: 200, fetch: nodeHttpFetch, store: false });
    const post = () => new Request(PAGE + '/p13n/shop_db/events', { method: 'POST', body: '{"td_client_id":"c1"}', headers: { Origin: PAGE } });
    const answered = await handle(post());
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ offers: { hero: {} } });
    hang = true;
    const started = Date.now();
    expect((await handle(post())).status).toBe(502);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
