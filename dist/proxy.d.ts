/**
 * The reference first-party proxy: the page posts to its own origin (`endpoint: '/p13n'`, no apiKey or token)
 * and this adds the credentials from server-side settings, forwards the event to the regional endpoint, and
 * passes the answer back unchanged. The write key never reaches a browser, ad blockers see a first-party path,
 * and a same-origin request needs no CORS preflight. A Web-standard `Request -> Response` handler (Node 18+,
 * Deno, Bun, Cloudflare Workers, service workers), plus `toNodeHandler` for Node's `http` module.
 */
interface ProxyOptions {
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
declare function createProxy(options: ProxyOptions): (request: Request) => Promise<Response>;
/** What `toNodeHandler` needs of Node's `IncomingMessage` and `ServerResponse`. */
interface NodeRequest extends AsyncIterable<Uint8Array> {
    method?: string;
    url?: string;
    headers: Record<string, string | string[] | undefined>;
    socket?: {
        remoteAddress?: string;
    };
}
interface NodeResponse {
    writeHead(status: number, headers: Record<string, string>): unknown;
    end(body?: Uint8Array): unknown;
}
/** Serves a `Request -> Response` handler with Node's `http` module: `http.createServer(toNodeHandler(proxy))`. */
declare function toNodeHandler(handler: (request: Request) => Promise<Response>): (req: NodeRequest, res: NodeResponse) => Promise<void>;

export { createProxy, toNodeHandler };
export type { NodeRequest, NodeResponse, ProxyOptions };
