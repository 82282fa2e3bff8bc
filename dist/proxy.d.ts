/** The proxy's public types: what a server configures, and what a store for deduplication must do. */
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
     * The origins of the pages that may use this proxy, e.g. `['https://www.shop.example']`; `https://*.shop.example`
     * allows every subdomain (not `shop.example` itself). Required: a request from any other page, or with no
     * `Origin`, gets 403, so other sites cannot write into your tables through your visitors' browsers.
     */
    origins: string[];
    /**
     * The addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`) of the load balancers and reverse proxies in front of
     * this one. `X-Forwarded-For` entries they added are believed; the first address from the right that is not
     * one of them is the visitor's, and the only one forwarded. Default none: the visitor is the peer.
     */
    trustedProxies?: string[];
    /**
     * Where the uuids of forwarded events and their answers are remembered, so that an event that arrives again
     * is answered without reaching the service twice: `memoryStore()` (the default: one process) or
     * `redisStore(client)` (shared by every instance). `false` forwards every arrival.
     */
    store?: DedupStore | false;
    /**
     * A token bucket per visitor address (as `trustedProxies` works it out), kept in `store` so that every instance
     * limits together: `burst` requests at once, refilled at `perSecond`. Past it the proxy answers 429 with
     * `Retry-After` and `{"code":429}` and forwards nothing; the tag sends the event again after the wait. Default
     * `{ perSecond: 20, burst: 200 }`; `false` turns it off. With `store: false`, buckets are kept in this process.
     */
    rateLimit?: RateLimit | false;
    /** Milliseconds an event's uuid and answer are remembered. Default 24 hours. */
    window?: number;
    /**
     * Upstream base URL. Default `https://us01.p13n.in.treasuredata.com`: the path without `/public`, TD's
     * server-to-server path, since the proxy is a server (the tag in a browser posts to `/public`).
     */
    endpoint?: string;
    /** Milliseconds to wait for the upstream answer. Default 10000. */
    timeout?: number;
    /** The fetch to forward with (tests, custom agents). Default the global one. */
    fetch?: typeof fetch;
    /** Where the proxy reports trouble on its side (the store unreachable, and back). Default `console.warn`. */
    log?: (message: string) => void;
    /** Told of what the proxy does with each request, for metrics (the server's Prometheus counters use it). */
    observe?: (event: ProxyEvent) => void;
}
/** Requests per address: `burst` at once, refilled at `perSecond`. */
interface RateLimit {
    /** Requests a second an address may keep sending. Default 20. */
    perSecond?: number;
    /** Requests an address may send at once, after a quiet spell. Default 200. */
    burst?: number;
}
/**
 * What became of a request: `forwarded` to the service (its status, 502 when it did not answer, and the seconds
 * it took), answered as a `duplicate` from the store, `limited` by the rate limit, or a `store-failure`.
 */
type ProxyEvent = {
    type: 'forwarded';
    status: number;
    seconds: number;
} | {
    type: 'duplicate';
} | {
    type: 'limited';
} | {
    type: 'store-failure';
};
/** What the runtime knows of the connection: its peer's address (Node's `socket.remoteAddress`). */
interface Peer {
    address?: string;
}
/** A Web-standard handler: `Request -> Response`, given the peer where the runtime knows it. */
type ProxyHandler = (request: Request, peer?: Peer) => Promise<Response>;
/**
 * A key-value memory with an atomic claim: all deduplication needs, so that any store with `SET ... NX PX` can
 * serve. Every method may reject (the store unreachable); the proxy then forwards without deduplicating.
 */
interface DedupStore {
    /** Sets `key` to `value` for `ms` only if `key` is absent (Redis `SET key value NX PX ms`): true when set. */
    claim(key: string, value: string, ms: number): Promise<boolean>;
    /** The value under `key`, or null. */
    get(key: string): Promise<string | null>;
    /** Sets `key` to `value` for `ms`, whatever it held. */
    set(key: string, value: string, ms: number): Promise<void>;
    /** Deletes `key` if it still holds `value`: a claim that lapsed and was taken by another is left alone. */
    release(key: string, value: string): Promise<void>;
    /**
     * Takes a token from the bucket under `key` (`burst` when new, refilled at `perSecond`), atomically: 0 when one
     * was taken, else the milliseconds until there is one. A store without it limits in the proxy's own memory.
     */
    take?(key: string, perSecond: number, burst: number): Promise<number>;
}

/** The two places the proxy can remember what it forwarded: this process's memory, or a Redis shared by many. */

/**
 * In this process's memory: right for one instance, lost on restart. At most `maxEntries` keys are kept (the
 * oldest go first), so memory stays bounded at about `maxEntries` times an answer's size whatever the traffic.
 */
declare function memoryStore({ maxEntries }?: {
    maxEntries?: number;
}): Required<DedupStore>;
/** What the store needs of a Redis client: node-redis's `sendCommand` (the `redis` package, v4 and later). */
interface RedisClient {
    sendCommand(args: string[]): Promise<unknown>;
}
/**
 * In Redis, so every proxy instance that uses the same server deduplicates together. Pass a connected client of
 * the official `redis` package, made with `disableOfflineQueue: true` so that commands fail at once rather than
 * wait while it reconnects, and best with `commandOptions: { timeout: 0 }`: the proxy times every call itself, and the
 * client's own timeout costs a timer signal per command. Keys are `prefix` + `database/table/uuid`, each with its own expiry.
 */
declare function redisStore(client: RedisClient, { prefix }?: {
    prefix?: string;
}): DedupStore;

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
/**
 * Serves the handler with Node's `http` module, passing it the peer's address. It never rejects, so a server that
 * ignores its promise (as `http.createServer(toNodeHandler(proxy))` does) cannot be brought down by a request:
 * a method or Host the Fetch API refuses gets 400, an upload cut off midway no answer (no one is there to read it).
 * A handler of createProxy is served from Node's request and response directly; any other through a Web Request.
 */
declare function toNodeHandler(handler: ProxyHandler): (req: NodeRequest, res: NodeResponse) => Promise<void>;

declare function createProxy(options: ProxyOptions): ProxyHandler;

export { createProxy, memoryStore, redisStore, toNodeHandler };
export type { DedupStore, NodeRequest, NodeResponse, Peer, ProxyEvent, ProxyHandler, ProxyOptions, RateLimit, RedisClient };
