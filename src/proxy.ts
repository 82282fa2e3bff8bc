/**
 * The reference first-party proxy: the page posts to its own origin (`endpoint: '/p13n'`, no apiKey or token)
 * and this adds the credentials from server-side settings, forwards the event to the regional endpoint, and
 * passes the answer back unchanged. The write key never reaches a browser, ad blockers see a first-party path,
 * and a same-origin request needs no CORS preflight. A Web-standard `Request -> Response` handler (Node 18+,
 * Deno, Bun, Cloudflare Workers, service workers), plus `toNodeHandler` for Node's `http` module.
 */

export interface ProxyOptions {
  /** `{account_id}/{40 hex}`: a TD write API key. */
  apiKey: string;
  /** `{account_id}/{instance_id}/{32 hex}`: the personalization token. */
  token: string;
  /**
   * The `database/table` pairs pages may write, e.g. `['shop_db/pageviews']`. Required: the proxy holds a write
   * key, and must not relay events into any table a visitor names.
   */
  tables: string[];
  /**
   * Upstream base URL. Default `https://us01.p13n.in.treasuredata.com`: the path without `/public`, TD's
   * server-to-server path, since the proxy is a server (the tag in a browser posts to `/public`).
   */
  endpoint?: string;
  /** Milliseconds to wait for the upstream answer. Default 10000. */
  timeout?: number;
  /** The fetch to forward with (tests, custom agents). Default the global one. */
  fetch?: typeof fetch;
}

const MEDIA_TYPE = 'application/vnd.treasuredata.v1+json';
const MAX_BODY = 64 * 1024;

const answer = (status: number, code: number, message: string) =>
  new Response(JSON.stringify({ code, message: 'p13n proxy: ' + message }), { status, headers: { 'Content-Type': 'application/json' } });

export function createProxy(options: ProxyOptions): (request: Request) => Promise<Response> {
  const { apiKey, token, tables, endpoint = 'https://us01.p13n.in.treasuredata.com', timeout = 10_000 } = options;
  const send = options.fetch || fetch;
  if (!/^\d+\/[0-9a-f]{40}$/i.test(apiKey)) throw new Error('p13n proxy: apiKey must be "{account_id}/{40 hex}"');
  if (!/^\d+\/\d+\/[0-9a-f]{32}$/i.test(token)) throw new Error('p13n proxy: token must be "{account_id}/{instance_id}/{32 hex}"');
  if (!Array.isArray(tables) || !tables.length) throw new Error('p13n proxy: tables must list the "database/table" pairs pages may write');
  const base = new URL(endpoint).href.replace(/\/$/, '');

  return async (request) => {
    if (request.method != 'POST') {
      return new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } });
    }
    const path = /\/([0-9a-z_]{3,128})\/([0-9a-z_]{3,128})\/?$/.exec(new URL(request.url).pathname);
    if (!path || tables.indexOf(path[1] + '/' + path[2]) < 0) {
      return answer(404, 404, 'this proxy does not write to ' + new URL(request.url).pathname);
    }
    const body = await request.text();
    if (body.length > MAX_BODY) return answer(413, 413, `an event may have ${MAX_BODY} bytes`);
    const headers: Record<string, string> = {
      // fixed here, so a page may also send text/plain (navigator.sendBeacon can send nothing else)
      'Content-Type': MEDIA_TYPE,
      Accept: MEDIA_TYPE,
      Authorization: 'TD1 ' + apiKey,
      'WP13n-Token': token,
    };
    // the service checks the page's Origin (3007) and may check the visitor's address (3005)
    for (const name of ['Origin', 'X-Forwarded-For', 'User-Agent']) {
      const value = request.headers.get(name);
      if (value) headers[name] = value;
    }
    try {
      const upstream = await send(`${base}/${path[1]}/${path[2]}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeout),
      });
      const passed = new Headers();
      for (const name of ['Content-Type', 'Retry-After']) {
        const value = upstream.headers.get(name);
        if (value) passed.set(name, value);
      }
      return new Response(await upstream.arrayBuffer(), { status: upstream.status, headers: passed });
    } catch {
      // no JSON body: the tag reports `http` 502, retryable
      return new Response('Bad Gateway: the personalization service did not answer', { status: 502 });
    }
  };
}

/** What `toNodeHandler` needs of Node's `IncomingMessage` and `ServerResponse`. */
export interface NodeRequest extends AsyncIterable<Uint8Array> {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
}
export interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: Uint8Array): unknown;
}

/** Serves a `Request -> Response` handler with Node's `http` module: `http.createServer(toNodeHandler(proxy))`. */
export function toNodeHandler(handler: (request: Request) => Promise<Response>) {
  return async (req: NodeRequest, res: NodeResponse) => {
    const chunks: BlobPart[] = [];
    for await (const chunk of req) chunks.push(chunk as BlobPart);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const visitor = req.socket && req.socket.remoteAddress;
    if (visitor) headers.set('X-Forwarded-For', headers.has('X-Forwarded-For') ? headers.get('X-Forwarded-For') + ', ' + visitor : visitor);
    const method = req.method || 'GET';
    const url = new URL(req.url || '/', 'http://' + (headers.get('Host') || 'localhost'));
    const response = await handler(new Request(url, { method, headers, body: method == 'GET' || method == 'HEAD' ? undefined : new Blob(chunks) }));
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => (out[name] = value));
    res.writeHead(response.status, out);
    res.end(new Uint8Array(await response.arrayBuffer()));
  };
}
