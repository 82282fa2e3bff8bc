/**
 * The proxy as a server to run beside a site (`npx p13n-proxy`, or `startProxyServer` from code): Node's `http`,
 * a Redis shared by every instance, a health endpoint for load balancers, Prometheus metrics, and a graceful
 * shutdown. Settings come from the environment (`settingsFromEnv`), as containers and process managers give them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy, memoryStore, redisStore, toNodeHandler } from './index';
import { proxyMetrics } from './metrics';
import { nodeHttpFetch } from './node-http-fetch';
import type { ProxyOptions, RateLimit } from './types';

export { nodeHttpFetch } from './node-http-fetch';

/** What `startProxyServer` takes: the proxy's options (without its store), and the server's own. */
export interface ServerSettings {
  /** The proxy's options; `fetch` defaults to Node's own http client (nodeHttpFetch), not the global fetch. */
  proxy: Omit<ProxyOptions, 'store' | 'log' | 'observe' | 'fetch'> & { fetch?: typeof fetch };
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

export interface ProxyServer {
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
export const ENV = {
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
} as const;

/** The proxy server's settings from environment variables; throws, naming the variable, on one it cannot use. */
export function settingsFromEnv(env: Record<string, string | undefined> = process.env): ServerSettings {
  const unknown = Object.keys(env).filter((name) => name.startsWith('P13N_') && !(name in ENV));
  if (unknown.length) throw new Error(`p13n proxy: unknown setting ${unknown.join(', ')} (known: ${Object.keys(ENV).join(', ')})`);
  const value = (name: keyof typeof ENV) => (env[name] || '').trim() || undefined;
  const required = (name: keyof typeof ENV) => {
    const found = value(name);
    if (!found) throw new Error(`p13n proxy: ${name} is not set: ${ENV[name]}`);
    return found;
  };
  const list = (text: string | undefined) => (text ? text.split(/[\s,]+/).filter(Boolean) : undefined);
  const number = (name: keyof typeof ENV) => {
    const text = value(name);
    if (text === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`p13n proxy: ${name} must be a number, not ${JSON.stringify(text)}: ${ENV[name]}`);
    return Number(text);
  };
  return {
    proxy: {
      apiKey: required('TD_WRITE_KEY'),
      token: required('P13N_TOKEN'),
      tables: list(required('P13N_TABLES'))!,
      origins: list(required('P13N_ORIGINS'))!,
      endpoint: value('P13N_ENDPOINT'),
      trustedProxies: list(value('P13N_TRUSTED_PROXIES')),
      rateLimit: rateLimitOf(value('P13N_RATE_LIMIT')),
      timeout: number('P13N_TIMEOUT'),
      window: number('P13N_WINDOW'),
    },
    redisUrl: value('REDIS_URL'),
    port: number('PORT') ?? 8080,
    host: value('HOST'),
    shutdownMs: number('P13N_SHUTDOWN_MS'),
    drainMs: number('P13N_DRAIN_MS'),
  };
}

function rateLimitOf(text: string | undefined): RateLimit | false | undefined {
  if (text === undefined) return undefined;
  if (/^(off|false|0)$/i.test(text)) return false;
  const match = /^(\d+(?:\.\d+)?)(?:\s*,\s*(\d+))?$/.exec(text);
  if (!match) throw new Error(`p13n proxy: P13N_RATE_LIMIT must be "PER_SECOND,BURST" (e.g. "20,200") or "off", not ${JSON.stringify(text)}`);
  return { perSecond: Number(match[1]), ...(match[2] ? { burst: Number(match[2]) } : {}) };
}

/** The `redis` package, which the server needs only with REDIS_URL (an optional dependency of p13n-tag). */
async function connectRedis(url: string, log: (message: string) => void) {
  let redis: typeof import('redis');
  try {
    redis = await import('redis');
  } catch {
    throw new Error('p13n proxy: REDIS_URL needs the `redis` package: npm install redis');
  }
  // fail at once while disconnected rather than queue: the proxy then forwards instead of waiting. No timeout of
  // the client's own per command: the proxy times every store call (guard.ts), and the client's 5 s default made a
  // timer signal for each command, a twentieth of the proxy's CPU
  const client = redis.createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    socket: { reconnectStrategy: (tries: number) => Math.min(tries * 100, 2000) },
  });
  client.on('error', () => {}); // it reconnects by itself; the proxy logs what an outage means
  // awaited 2 s at most: with Redis down, connect() waits until it is back, and the proxy serves meanwhile
  const connecting = client.connect().catch((error: Error) => log(`p13n proxy: Redis at ${url}: ${error.message}`));
  await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, 2000))]);
  return client;
}

/** Starts the proxy server; resolves once it listens. */
export async function startProxyServer(settings: ServerSettings): Promise<ProxyServer> {
  const log = settings.log || ((message: string) => console.warn(message));
  const metrics = await proxyMetrics();
  const client = settings.redisUrl ? await connectRedis(settings.redisUrl, log) : undefined;
  const proxy = toNodeHandler(
    createProxy({ ...settings.proxy, fetch: settings.proxy.fetch || nodeHttpFetch, store: client ? redisStore(client) : memoryStore(), log, observe: metrics.observe }),
  );
  const timeout = settings.proxy.timeout ?? 10_000;
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;

  /** The store as a balancer should know it: up, down (the proxy still serves, at least once), or memory. */
  const storeState = async () => {
    if (!client) return 'memory';
    const ping = client.isReady ? client.ping().then(() => 'up', () => 'down') : Promise.resolve('down');
    return Promise.race([ping, new Promise<string>((resolve) => setTimeout(resolve, 1000, 'down'))]);
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const path = (req.url || '/').split('?')[0];
    if (req.method == 'GET' && path == '/healthz') {
      // 503 while stopping, so that the balancer sends no more; a store that is down does not fail the check:
      // every instance shares it, and each still forwards (at least once)
      if (stopping) return json(res, 503, { status: 'stopping' });
      void storeState().then((store) => json(res, 200, { status: 'ok', store }));
      return;
    }
    if (req.method == 'GET' && path == '/metrics') {
      void metrics.text().then(([type, text]) => res.writeHead(200, { 'Content-Type': type }).end(text));
      return;
    }
    if (stopping) res.setHeader('Connection', 'close');
    const work = proxy(req, res);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });
  // a balancer keeps connections open longer than Node's default 5 s: closing first would reset its requests
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(settings.port ?? 8080, settings.host, resolve));
  const { port, address, family } = server.address() as AddressInfo;
  const host = address == '::' || address == '0.0.0.0' ? '127.0.0.1' : family == 'IPv6' ? `[${address}]` : address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopping = true;
      if (settings.drainMs) await new Promise((resolve) => setTimeout(resolve, settings.drainMs));
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      const grace = settings.shutdownMs ?? timeout + 5000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, grace, 'late')));
      // requests may still come on connections that were open (each is answered with `Connection: close`)
      while (inFlight.size) {
        if ((await Promise.race([Promise.allSettled([...inFlight]), late])) != 'late') continue;
        log(`p13n proxy: ${inFlight.size} request(s) still in flight after ${grace} ms of shutdown; closing their connections`);
        break;
      }
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
      if (client) await client.close().catch(() => client.destroy());
    })());
  return { url: `http://${host}:${port}`, port, close };
}
