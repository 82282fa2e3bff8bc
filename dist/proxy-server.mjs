import http from 'node:http';
import { toNodeHandler, createProxy, redisStore, memoryStore } from './proxy.mjs';
import { setMaxListeners } from 'node:events';
import https from 'node:https';

/** Seconds, from a fast answer of the service (its SLA is 100 ms) to the proxy's default timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
async function proxyMetrics() {
    let client;
    try {
        client = await import('prom-client');
    }
    catch {
        throw new Error('p13n proxy: the server needs the `prom-client` package for its metrics: npm install prom-client');
    }
    const register = new client.Registry();
    client.collectDefaultMetrics({ register, prefix: 'p13n_proxy_' });
    const forwarded = new client.Counter({
        name: 'p13n_proxy_forwarded_total',
        help: 'Events forwarded to the personalization service, by the status it answered (502: it did not answer)',
        labelNames: ['status'],
        registers: [register],
    });
    const latency = new client.Histogram({
        name: 'p13n_proxy_forward_seconds',
        help: 'Seconds from forwarding an event to having the service answer',
        buckets: LATENCY_BUCKETS,
        registers: [register],
    });
    const duplicates = new client.Counter({ name: 'p13n_proxy_duplicates_total', help: 'Arrivals of an event already forwarded, answered from the store', registers: [register] });
    const limited = new client.Counter({ name: 'p13n_proxy_rate_limited_total', help: 'Requests refused with 429 by the rate limit per address', registers: [register] });
    const storeFailures = new client.Counter({
        name: 'p13n_proxy_store_failures_total',
        help: 'Calls to the store (Redis) that failed or did not answer in time; each turns deduplication and the rate limit off for 5 s',
        registers: [register],
    });
    return {
        observe(event) {
            if (event.type == 'forwarded') {
                forwarded.inc({ status: String(event.status) });
                latency.observe(event.seconds);
            }
            else if (event.type == 'duplicate')
                duplicates.inc();
            else if (event.type == 'limited')
                limited.inc();
            else
                storeFailures.inc();
        },
        /** `[Content-Type, body]` of the text exposition format. */
        text: async () => [register.contentType, await register.metrics()],
    };
}

/**
 * The part of `fetch` the proxy forwards with, on Node's own `http`/`https` client: the server's default. Node's
 * global fetch (undici) builds Web streams, a Request, Headers and an AbortController for every call; at 1,000
 * events a second on two cores that was well over half of a forwarder's CPU (bench/PROXY.md: 830 µs a request
 * through fetch, 340 through this). Node only; other runtimes keep their fetch.
 */
/**
 * Sockets kept open between requests, as fetch keeps them; one unused for 4 s is closed (fetch's own default) so
 * that a request never goes out on a socket the service has just closed at its end.
 */
const IDLE_MS = 4000;
const agents = { 'http:': new http.Agent({ keepAlive: true, timeout: IDLE_MS }), 'https:': new https.Agent({ keepAlive: true, timeout: IDLE_MS }) };
const REDIRECTS = [301, 302, 303, 307, 308];
/**
 * `fetch(url, { method, headers, body, signal, redirect })` for the proxy's forwards: the body bytes in, the whole
 * answer read before it resolves. It rejects as fetch does: the connection failed or was cut, the signal aborted,
 * or a redirect came with `redirect: 'error'` (a redirect is never followed).
 */
const nodeHttpFetch = ((url, init = {}) => new Promise((resolve, reject) => {
    const target = new URL(url);
    const agent = agents[target.protocol];
    if (!agent)
        return reject(new TypeError(`p13n proxy: cannot forward to ${target.protocol} URLs, only http: and https:`));
    const body = init.body;
    const headers = { ...init.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) };
    const request = (target.protocol == 'https:' ? https : http).request(target, { method: init.method || 'GET', headers, agent }, (response) => {
        const status = response.statusCode || 0;
        if (init.redirect == 'error' && REDIRECTS.includes(status) && response.headers.location) {
            response.resume();
            return reject(new TypeError('p13n proxy: the service answered a redirect, which is not followed'));
        }
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
            const all = Buffer.concat(chunks);
            // a copy of its own: a small Buffer is a view of a larger one Node shares
            const bytes = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
            const header = (name) => {
                const value = response.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            };
            resolve({ status, headers: { get: header }, arrayBuffer: async () => bytes });
        });
        // cut off before its end: no answer to pass on
        response.on('close', () => !response.complete && reject(new TypeError('p13n proxy: the answer was cut off')));
        response.on('error', reject);
    });
    request.on('error', reject);
    const signal = init.signal;
    if (signal) {
        if (signal.aborted)
            return request.destroy(signal.reason);
        // the proxy's forwards share a signal (index.ts): Node would warn of a leak past 10 listeners
        setMaxListeners(0, signal);
        const abort = () => request.destroy(signal.reason);
        signal.addEventListener('abort', abort);
        request.once('close', () => signal.removeEventListener('abort', abort));
    }
    request.end(body);
}));

/**
 * The proxy as a server to run beside a site (`npx p13n-proxy`, or `startProxyServer` from code): Node's `http`,
 * a Redis shared by every instance, a health endpoint for load balancers, Prometheus metrics, and a graceful
 * shutdown. Settings come from the environment (`settingsFromEnv`), as containers and process managers give them.
 */
/** The environment variables `settingsFromEnv` reads; any other `P13N_` variable is refused as a typo. */
const ENV = {
    TD_WRITE_KEY: 'the TD write API key, {account_id}/{40 hex} (required)',
    P13N_TOKEN: 'the personalization token, {account_id}/{instance_id}/{32 hex} (required)',
    P13N_TABLES: 'the database/table pairs pages may write, comma-separated (required)',
    P13N_ORIGINS: 'the page origins that may use the proxy, comma-separated (required)',
    P13N_ENDPOINT: 'the upstream base URL (default https://us01.p13n.in.treasuredata.com)',
    REDIS_URL: 'redis://host:port shared by every instance (default: this process only)',
    PORT: 'the port to listen on (default 8080)',
    HOST: 'the address to listen on (default all)',
    P13N_TRUSTED_PROXIES: 'addresses or CIDR ranges of the balancers in front, comma-separated',
    P13N_RATE_LIMIT: 'requests per second and burst per address, "20,200" (the default), or "off"',
    P13N_TIMEOUT: 'milliseconds to wait for the service (default 10000)',
    P13N_WINDOW: 'milliseconds an event uuid is remembered (default 86400000)',
    P13N_SHUTDOWN_MS: 'milliseconds a shutdown waits for requests in flight (default the timeout + 5000)',
    P13N_DRAIN_MS: 'milliseconds a shutdown keeps serving with /healthz at 503 before it stops accepting (default 0)',
};
/** The proxy server's settings from environment variables; throws, naming the variable, on one it cannot use. */
function settingsFromEnv(env = process.env) {
    var _a;
    const unknown = Object.keys(env).filter((name) => name.startsWith('P13N_') && !(name in ENV));
    if (unknown.length)
        throw new Error(`p13n proxy: unknown setting ${unknown.join(', ')} (known: ${Object.keys(ENV).join(', ')})`);
    const value = (name) => (env[name] || '').trim() || undefined;
    const required = (name) => {
        const found = value(name);
        if (!found)
            throw new Error(`p13n proxy: ${name} is not set: ${ENV[name]}`);
        return found;
    };
    const list = (text) => (text ? text.split(/[\s,]+/).filter(Boolean) : undefined);
    const number = (name) => {
        const text = value(name);
        if (text === undefined)
            return undefined;
        if (!/^\d+(\.\d+)?$/.test(text))
            throw new Error(`p13n proxy: ${name} must be a number, not ${JSON.stringify(text)}: ${ENV[name]}`);
        return Number(text);
    };
    return {
        proxy: {
            apiKey: required('TD_WRITE_KEY'),
            token: required('P13N_TOKEN'),
            tables: list(required('P13N_TABLES')),
            origins: list(required('P13N_ORIGINS')),
            endpoint: value('P13N_ENDPOINT'),
            trustedProxies: list(value('P13N_TRUSTED_PROXIES')),
            rateLimit: rateLimitOf(value('P13N_RATE_LIMIT')),
            timeout: number('P13N_TIMEOUT'),
            window: number('P13N_WINDOW'),
        },
        redisUrl: value('REDIS_URL'),
        port: (_a = number('PORT')) !== null && _a !== void 0 ? _a : 8080,
        host: value('HOST'),
        shutdownMs: number('P13N_SHUTDOWN_MS'),
        drainMs: number('P13N_DRAIN_MS'),
    };
}
function rateLimitOf(text) {
    if (text === undefined)
        return undefined;
    if (/^(off|false|0)$/i.test(text))
        return false;
    const match = /^(\d+(?:\.\d+)?)(?:\s*,\s*(\d+))?$/.exec(text);
    if (!match)
        throw new Error(`p13n proxy: P13N_RATE_LIMIT must be "PER_SECOND,BURST" (e.g. "20,200") or "off", not ${JSON.stringify(text)}`);
    return { perSecond: Number(match[1]), ...(match[2] ? { burst: Number(match[2]) } : {}) };
}
/** The `redis` package, which the server needs only with REDIS_URL (an optional dependency of p13n-tag). */
async function connectRedis(url, log) {
    let redis;
    try {
        redis = await import('redis');
    }
    catch {
        throw new Error('p13n proxy: REDIS_URL needs the `redis` package: npm install redis');
    }
    // fail at once while disconnected rather than queue: the proxy then forwards instead of waiting. No timeout of
    // the client's own per command: the proxy times every store call (guard.ts), and the client's 5 s default made a
    // timer signal for each command, a twentieth of the proxy's CPU
    const client = redis.createClient({
        url,
        disableOfflineQueue: true,
        commandOptions: { timeout: 0 },
        socket: { reconnectStrategy: (tries) => Math.min(tries * 100, 2000) },
    });
    client.on('error', () => { }); // it reconnects by itself; the proxy logs what an outage means
    // awaited 2 s at most: with Redis down, connect() waits until it is back, and the proxy serves meanwhile
    const connecting = client.connect().catch((error) => log(`p13n proxy: Redis at ${url}: ${error.message}`));
    await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, 2000))]);
    return client;
}
/** Starts the proxy server; resolves once it listens. */
async function startProxyServer(settings) {
    var _a;
    const log = settings.log || ((message) => console.warn(message));
    const metrics = await proxyMetrics();
    const client = settings.redisUrl ? await connectRedis(settings.redisUrl, log) : undefined;
    const proxy = toNodeHandler(createProxy({ ...settings.proxy, fetch: settings.proxy.fetch || nodeHttpFetch, store: client ? redisStore(client) : memoryStore(), log, observe: metrics.observe }));
    const timeout = (_a = settings.proxy.timeout) !== null && _a !== void 0 ? _a : 10000;
    const inFlight = new Set();
    let stopping = false;
    /** The store as a balancer should know it: up, down (the proxy still serves, at least once), or memory. */
    const storeState = async () => {
        if (!client)
            return 'memory';
        const ping = client.isReady ? client.ping().then(() => 'up', () => 'down') : Promise.resolve('down');
        return Promise.race([ping, new Promise((resolve) => setTimeout(resolve, 1000, 'down'))]);
    };
    const json = (res, status, body) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
    };
    const server = http.createServer((req, res) => {
        const path = (req.url || '/').split('?')[0];
        if (req.method == 'GET' && path == '/healthz') {
            // 503 while stopping, so that the balancer sends no more; a store that is down does not fail the check:
            // every instance shares it, and each still forwards (at least once)
            if (stopping)
                return json(res, 503, { status: 'stopping' });
            void storeState().then((store) => json(res, 200, { status: 'ok', store }));
            return;
        }
        if (req.method == 'GET' && path == '/metrics') {
            void metrics.text().then(([type, text]) => res.writeHead(200, { 'Content-Type': type }).end(text));
            return;
        }
        if (stopping)
            res.setHeader('Connection', 'close');
        const work = proxy(req, res);
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
    });
    // a balancer keeps connections open longer than Node's default 5 s: closing first would reset its requests
    server.keepAliveTimeout = 65000;
    await new Promise((resolve, reject) => { var _a; return server.once('error', reject).listen((_a = settings.port) !== null && _a !== void 0 ? _a : 8080, settings.host, resolve); });
    const { port, address, family } = server.address();
    const host = address == '::' || address == '0.0.0.0' ? '127.0.0.1' : family == 'IPv6' ? `[${address}]` : address;
    let closing;
    const close = () => (closing !== null && closing !== void 0 ? closing : (closing = (async () => {
        var _a;
        stopping = true;
        if (settings.drainMs)
            await new Promise((resolve) => setTimeout(resolve, settings.drainMs));
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeIdleConnections();
        const grace = (_a = settings.shutdownMs) !== null && _a !== void 0 ? _a : timeout + 5000;
        let timer;
        const late = new Promise((resolve) => (timer = setTimeout(resolve, grace, 'late')));
        // requests may still come on connections that were open (each is answered with `Connection: close`)
        while (inFlight.size) {
            if ((await Promise.race([Promise.allSettled([...inFlight]), late])) != 'late')
                continue;
            log(`p13n proxy: ${inFlight.size} request(s) still in flight after ${grace} ms of shutdown; closing their connections`);
            break;
        }
        clearTimeout(timer);
        server.closeAllConnections();
        await closed;
        if (client)
            await client.close().catch(() => client.destroy());
    })()));
    return { url: `http://${host}:${port}`, port, close };
}

export { ENV, nodeHttpFetch, settingsFromEnv, startProxyServer };
