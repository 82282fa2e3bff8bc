/**
 * The reference first-party proxy: the page posts to its own origin (`endpoint: '/p13n'`, no apiKey or token)
 * and this adds the credentials from server-side settings, forwards the event to the regional endpoint, and
 * passes the answer back unchanged. The write key never reaches a browser, ad blockers see a first-party path,
 * and a same-origin request needs no CORS preflight. It forwards each event once, by its uuid (dedup.ts). A
 * Web-standard `Request -> Response` handler (Node 20+, Deno, Bun, Cloudflare Workers, service workers), plus
 * `toNodeHandler` for Node's `http` module.
 */
import { hopTest, visitorAddress } from './address';
import { deduplicate } from './dedup';
import { apiError } from './errors';
import { guardStore } from './guard';
import { limitOptions, rateLimiter, takeFrom } from './limit';
import { MAX_BODY } from './node';
import { originTest } from './origins';
import { memoryStore } from './stores';
import type { DedupStore, Peer, ProxyHandler, ProxyOptions } from './types';

export { memoryStore, redisStore, type RedisClient } from './stores';
export { toNodeHandler, type NodeRequest, type NodeResponse } from './node';
export type { DedupStore, Peer, ProxyEvent, ProxyHandler, ProxyOptions, RateLimit } from './types';

const MEDIA_TYPE = 'application/vnd.treasuredata.v1+json';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = 24 * 60 * 60 * 1000;

/** The body, read to one byte past the limit at most, whatever the runtime buffers (a chunked upload has no length). */
async function readCapped(request: Request): Promise<ArrayBuffer> {
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
  const bytes = new Uint8Array(size);
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  return bytes.buffer;
}

/** The headers among `names` that `from` has, as `[name, value]` pairs. */
const pick = (from: Headers, names: string[]) =>
  names.flatMap((name): [string, string][] => {
    const value = from.get(name);
    return value ? [[name, value]] : [];
  });

/** The event, when the body is a JSON object; what was wrong with it otherwise. */
function eventOf(bytes: ArrayBuffer): Record<string, unknown> | string {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return 'the body is not JSON';
  }
  return event && typeof event == 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : 'the body is not a JSON object';
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
  // without a store that keeps buckets, each instance keeps its own
  const buckets = new Map<string, [number, number]>();
  const taker: Pick<DedupStore, 'take'> = store && store.take ? store : { take: async (key, rate, burst) => takeFrom(buckets, key, rate, burst, 100_000) };
  const limited = limit ? rateLimiter(taker, limit, guard, log) : async () => undefined;

  async function forward(path: string, body: ArrayBuffer, request: Request, visitor: string | undefined) {
    const headers: Record<string, string> = {
      // fixed here, so a page may also send text/plain (navigator.sendBeacon can send nothing else)
      'Content-Type': MEDIA_TYPE,
      Accept: MEDIA_TYPE,
      Authorization: 'TD1 ' + apiKey,
      'WP13n-Token': token,
      // the service checks the page's Origin (3007) and may check the visitor's address (3005)
      ...Object.fromEntries(pick(request.headers, ['Origin', 'User-Agent'])),
    };
    if (visitor) headers['X-Forwarded-For'] = visitor;
    const started = performance.now();
    const forwarded = (response: Response) => (observe({ type: 'forwarded', status: response.status, seconds: (performance.now() - started) / 1000 }), response);
    try {
      const upstream = await send(base + path, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeout) });
      const bytes = await upstream.arrayBuffer();
      // an empty body as null: a Response with a body cannot have status 204
      return forwarded(new Response(bytes.byteLength ? bytes : null, { status: upstream.status, headers: pick(upstream.headers, ['Content-Type', 'Retry-After']) }));
    } catch {
      // no JSON body: the tag reports `http` 502, retryable
      return forwarded(new Response('Bad Gateway: the personalization service did not answer', { status: 502 }));
    }
  }

  async function handle(request: Request, peer: Peer | undefined): Promise<Response> {
    if (request.method != 'POST') {
      return new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } });
    }
    const { pathname } = new URL(request.url);
    const path = /\/([0-9a-z_]{3,128})\/([0-9a-z_]{3,128})\/?$/.exec(pathname);
    if (!path || tables.indexOf(path[1] + '/' + path[2]) < 0) return apiError(404, 404, 'this proxy does not write to ' + pathname);
    const origin = request.headers.get('Origin');
    if (!allowed(origin)) {
      return apiError(403, 3007, `pages on ${origin ? JSON.stringify(origin) : 'an unnamed origin (no Origin header)'} may not use this proxy: add the origin to its origins`);
    }
    const tooLarge = () => apiError(413, 413, `an event may have ${MAX_BODY} bytes`);
    if (Number(request.headers.get('Content-Length')) > MAX_BODY) return tooLarge();
    const body = await readCapped(request);
    if (body.byteLength > MAX_BODY) return tooLarge();
    const event = eventOf(body);
    if (typeof event == 'string') return apiError(400, 3004, event + ': an event is a JSON object');

    const visitor = visitorAddress(peer && peer.address, request.headers.get('X-Forwarded-For'), trusted);
    const refused = await limited(visitor);
    if (refused) return observe({ type: 'limited' }), refused;
    const send = () => forward(`/${path[1]}/${path[2]}`, body, request, visitor);
    const uuid = event.uuid;
    // no uuid to go by: forwarded as it is, every time
    return once && typeof uuid == 'string' && UUID.test(uuid) ? once(`${path[1]}/${path[2]}/${uuid.toLowerCase()}`, send) : send();
  }

  // never rejects: a runtime that does not catch (Node's http) must not go down for one request
  return (request, peer) => handle(request, peer).catch(() => apiError(500, 9999, 'internal error; the event was not forwarded'));
}
