/**
 * The reference first-party proxy: the page posts to its own origin (`endpoint: '/p13n'`, no apiKey or token)
 * and this adds the credentials from server-side settings, forwards the event to the regional endpoint, and
 * passes the answer back unchanged. The write key never reaches a browser, ad blockers see a first-party path,
 * and a same-origin request needs no CORS preflight. It forwards each event once, by its uuid (dedup.ts). A
 * Web-standard `Request -> Response` handler (Node 20+, Deno, Bun, Cloudflare Workers, service workers), plus
 * `toNodeHandler` for Node's `http` module.
 */
import { hopTest, visitorAddress } from './address';
import { answer, apiError, concat, decoder, MAX_BODY, notAllowed, SERVE, toResponse, type Answer, type Bytes, type Incoming } from './answer';
import { deduplicate } from './dedup';
import { guardStore } from './guard';
import { limitOptions, rateLimiter } from './limit';
import { originTest } from './origins';
import { memoryStore } from './stores';
import type { ProxyHandler, ProxyOptions } from './types';

export { memoryStore, redisStore, type RedisClient } from './stores';
export { toNodeHandler, type NodeRequest, type NodeResponse } from './node';
export type { DedupStore, Peer, ProxyEvent, ProxyHandler, ProxyOptions, RateLimit } from './types';

const MEDIA_TYPE = 'application/vnd.treasuredata.v1+json';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = 24 * 60 * 60 * 1000;

/** The body, read to one byte past the limit at most, whatever the runtime buffers (a chunked upload has no length). */
async function readCapped(request: Request): Promise<Bytes> {
  const reader = request.body ? request.body.getReader() : undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader && size <= MAX_BODY) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  if (reader && size > MAX_BODY) void reader.cancel().catch(() => {});
  return concat(chunks);
}

/** The event, when the body is a JSON object; what was wrong with it otherwise. */
function eventOf(bytes: Bytes): Record<string, unknown> | string {
  let event: unknown;
  try {
    event = JSON.parse(decoder.decode(bytes));
  } catch {
    return 'the body is not JSON';
  }
  return event && typeof event == 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : 'the body is not a JSON object';
}

/**
 * Signals for the forwards' timeouts. A signal of its own for each (AbortSignal.timeout) cost Node 20 about a tenth
 * of the proxy's CPU (every signal is made a transferable object): the forwards that start within the same tenth
 * of `ms` (100 ms at most) share one, so each is aborted between `ms` and 1.1 × `ms` after it started.
 */
function sharedTimeouts(ms: number) {
  const step = Math.min(100, ms / 10);
  let signal: AbortSignal | undefined;
  let until = 0;
  return () => {
    if (!signal || Date.now() >= until) {
      signal = AbortSignal.timeout(ms + step);
      until = Date.now() + step;
    }
    return signal;
  };
}

export function createProxy(options: ProxyOptions): ProxyHandler {
  const { apiKey, token, tables, endpoint = 'https://us01.p13n.in.treasuredata.com', timeout = 10_000, window: rememberMs = DAY } = options;
  const send = options.fetch || fetch;
  const log = options.log || ((message: string) => console.warn(message));
  const observe = options.observe || (() => {});
  if (!/^\d+\/[0-9a-f]{40}$/i.test(apiKey)) throw new Error('p13n proxy: apiKey must be "{account_id}/{40 hex}"');
  if (!/^\d+\/\d+\/[0-9a-f]{32}$/i.test(token)) throw new Error('p13n proxy: token must be "{account_id}/{instance_id}/{32 hex}"');
  if (!Array.isArray(tables) || !tables.length) throw new Error('p13n proxy: tables must list the "database/table" pairs pages may write');
  const duration = (value: unknown) => typeof value == 'number' && value > 0 && value < Infinity;
  if (!duration(rememberMs)) throw new Error('p13n proxy: window must be a number of milliseconds above 0');
  if (!duration(timeout)) throw new Error('p13n proxy: timeout must be a number of milliseconds above 0');
  const allowed = originTest(options.origins);
  const trusted = hopTest(options.trustedProxies);
  const base = new URL(endpoint).href.replace(/\/$/, '');
  const limit = limitOptions(options.rateLimit);
  const store = options.store === false ? undefined : options.store || memoryStore();
  const guard = guardStore(log, () => observe({ type: 'store-failure' }));
  // a claim outlives the longest forward, so only a crashed instance's claim ever lapses
  const once = store && deduplicate({ store, rememberMs, claimMs: timeout + 2000, guard, duplicate: () => observe({ type: 'duplicate' }) });
  // without a store that keeps buckets, each instance keeps its own, in memory
  const take = store && store.take ? store.take.bind(store) : memoryStore().take;
  const limited = limit ? rateLimiter(take, limit, guard, log) : async () => undefined;

  const timeoutSignal = sharedTimeouts(timeout);

  async function forward(path: string, incoming: Incoming, visitor: string | undefined): Promise<Answer> {
    const headers: Record<string, string> = {
      // fixed here, so a page may also send text/plain (navigator.sendBeacon can send nothing else)
      'Content-Type': MEDIA_TYPE,
      Accept: MEDIA_TYPE,
      Authorization: 'TD1 ' + apiKey,
      'WP13n-Token': token,
    };
    // the service checks the page's Origin (3007) and may check the visitor's address (3005)
    for (const [name, value] of [['Origin', incoming.header('origin')], ['User-Agent', incoming.header('user-agent')], ['X-Forwarded-For', visitor]]) {
      if (value) headers[name!] = value;
    }
    const started = performance.now();
    const forwarded = (reply: Answer) => (observe({ type: 'forwarded', status: reply.status, seconds: (performance.now() - started) / 1000 }), reply);
    try {
      // no redirect followed (a 502): a runtime that follows one sends the token, a header of ours, on to wherever
      // it points, and the copy of the body that fetch keeps for one cost a tenth of the proxy's allocations
      const upstream = await send(base + path, { method: 'POST', headers, body: incoming.body, redirect: 'error', signal: timeoutSignal() });
      const body = new Uint8Array(await upstream.arrayBuffer());
      const passed: Record<string, string> = {};
      for (const name of ['content-type', 'retry-after']) {
        const value = upstream.headers.get(name);
        if (value) passed[name] = value;
      }
      return forwarded(answer(upstream.status, body, passed));
    } catch {
      // no JSON body: the tag reports `http` 502, retryable
      return forwarded(answer(502, 'Bad Gateway: the personalization service did not answer'));
    }
  }

  const tooLarge = () => apiError(413, 413, `an event may have ${MAX_BODY} bytes`);

  /** A POST (the handler and toNodeHandler refuse any other method before they read a body). */
  async function serve(incoming: Incoming): Promise<Answer> {
    const { pathname } = incoming.url;
    const path = /\/([0-9a-z_]{3,128})\/([0-9a-z_]{3,128})\/?$/.exec(pathname);
    if (!path || tables.indexOf(path[1] + '/' + path[2]) < 0) return apiError(404, 404, 'this proxy does not write to ' + pathname);
    const origin = incoming.header('origin');
    if (!allowed(origin)) {
      return apiError(403, 3007, `pages on ${origin ? JSON.stringify(origin) : 'an unnamed origin (no Origin header)'} may not use this proxy: add the origin to its origins`);
    }
    if (Number(incoming.header('content-length')) > MAX_BODY || incoming.body.length > MAX_BODY) return tooLarge();
    const event = eventOf(incoming.body);
    if (typeof event == 'string') return apiError(400, 3004, event + ': an event is a JSON object');

    const visitor = visitorAddress(incoming.peer, incoming.header('x-forwarded-for'), trusted);
    const admit = async () => {
      const refused = await limited(visitor);
      if (refused) observe({ type: 'limited' });
      return refused;
    };
    const forwardIt = () => forward(`/${path[1]}/${path[2]}`, incoming, visitor);
    const uuid = event.uuid;
    if (once && typeof uuid == 'string' && UUID.test(uuid)) return once(`${path[1]}/${path[2]}/${uuid.toLowerCase()}`, forwardIt, admit);
    // no uuid to go by: forwarded as it is, every time
    return (await admit()) || forwardIt();
  }

  // never rejects: a runtime that does not catch (Node's http) must not go down for one request
  const safely = (incoming: Incoming) => serve(incoming).catch(() => apiError(500, 9999, 'internal error; the event was not forwarded'));
  const handler: ProxyHandler = async (request, peer) => {
    // refused before the body is read: another method, or a length over the limit
    if (request.method != 'POST') return toResponse(notAllowed());
    if (Number(request.headers.get('Content-Length')) > MAX_BODY) return toResponse(tooLarge());
    let incoming: Incoming;
    try {
      const body = await readCapped(request);
      incoming = { method: request.method, url: new URL(request.url), header: (name) => request.headers.get(name), body, peer: peer && peer.address };
    } catch {
      return toResponse(apiError(400, 400, 'the body could not be read'));
    }
    const reply = await safely(incoming);
    // a runtime may end the work once the Response is returned (serverless): the answer is stored first
    await reply.settled;
    return toResponse(reply);
  };
  // toNodeHandler serves from Node's own request and response, with no Request or Response in between
  return Object.assign(handler, { [SERVE]: safely });
}
