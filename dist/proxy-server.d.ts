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

/**
 * `fetch(url, { method, headers, body, signal, redirect })` for the proxy's forwards: the body bytes in, the whole
 * answer read before it resolves. It rejects as fetch does: the connection failed or was cut, the signal aborted,
 * or a redirect came with `redirect: 'error'` (a redirect is never followed).
 */
declare const nodeHttpFetch: typeof fetch;

/** What `startProxyServer` takes: the proxy's options (without its store), and the server's own. */
interface ServerSettings {
    /** The proxy's options; `fetch` defaults to Node's own http client (nodeHttpFetch), not the global fetch. */
    proxy: Omit<ProxyOptions, 'store' | 'log' | 'observe' | 'fetch'> & {
        fetch?: typeof fetch;
    };
    /** `redis://...`: the store every instance deduplicates and rate limits through. None: this process's memory. */
    redisUrl?: string;
    /** Default 8080; 0 takes a free port. */
    port?: number;
    /** The address to listen on. Default every address (`::` and `0.0.0.0`). */
    host?: string;
    /** How long a shutdown waits for requests in flight. Default the proxy's timeout + 5 s. */
    shutdownMs?: number;
    /**
     * How long a shutdown keeps serving with health answering 503, before it stops accepting connections: long
     * enough for the balancer's health checks to take the instance out (interval x unhealthy threshold), so that it
     * sends nothing to a closed port. Default 0.
     */
    drainMs?: number;
    log?: (message: string) => void;
}
interface ProxyServer {
    /** `http://host:port`, as it listens. */
    url: string;
    port: number;
    /**
     * Stops gracefully: health answers 503 at once, and after `drainMs` (the balancer has stopped sending) no new
     * connection is accepted, the requests in flight finish (their claims settled) within `shutdownMs`, then the
     * store is let go.
     */
    close(): Promise<void>;
}
/** The environment variables `settingsFromEnv` reads; any other `P13N_` variable is refused as a typo. */
declare const ENV: {
    readonly TD_WRITE_KEY: "the TD write API key, {account_id}/{40 hex} (required)";
    readonly P13N_TOKEN: "the personalization token, {account_id}/{instance_id}/{32 hex} (required)";
    readonly P13N_TABLES: "the database/table pairs pages may write, comma-separated (required)";
    readonly P13N_ORIGINS: "the page origins that may use the proxy, comma-separated (required)";
    readonly P13N_ENDPOINT: "the upstream base URL (default https://us01.p13n.in.treasuredata.com)";
    readonly REDIS_URL: "redis://host:port shared by every instance (default: this process only)";
    readonly PORT: "the port to listen on (default 8080)";
    readonly HOST: "the address to listen on (default all)";
    readonly P13N_TRUSTED_PROXIES: "addresses or CIDR ranges of the balancers in front, comma-separated";
    readonly P13N_RATE_LIMIT: "requests per second and burst per address, \"20,200\" (the default), or \"off\"";
    readonly P13N_TIMEOUT: "milliseconds to wait for the service (default 10000)";
    readonly P13N_WINDOW: "milliseconds an event uuid is remembered (default 86400000)";
    readonly P13N_SHUTDOWN_MS: "milliseconds a shutdown waits for requests in flight (default the timeout + 5000)";
    readonly P13N_DRAIN_MS: "milliseconds a shutdown keeps serving with /healthz at 503 before it stops accepting (default 0)";
};
/** The proxy server's settings from environment variables; throws, naming the variable, on one it cannot use. */
declare function settingsFromEnv(env?: Record<string, string | undefined>): ServerSettings;
/** Starts the proxy server; resolves once it listens. */
declare function startProxyServer(settings: ServerSettings): Promise<ProxyServer>;

export { ENV, nodeHttpFetch, settingsFromEnv, startProxyServer };
export type { ProxyServer, ServerSettings };
