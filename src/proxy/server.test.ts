// @vitest-environment node
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../demo/redis.mjs';
import { KEY, PAGE, TOKEN } from './proxy.testing';
import { settingsFromEnv, startProxyServer, type ProxyServer } from './server';

const ENV = { TD_WRITE_KEY: KEY, P13N_TOKEN: TOKEN, P13N_TABLES: 'shop_db/events', P13N_ORIGINS: PAGE };
const UUID = '6f9619ff-8b86-4d11-b42d-00c04fc964ff';

describe('settingsFromEnv', () => {
  it('reads every setting', () => {
    const settings = settingsFromEnv({
      ...ENV,
      P13N_TABLES: 'shop_db/events, shop_db/orders',
      P13N_ORIGINS: 'https://www.shop.example,https://*.shop.example',
      P13N_ENDPOINT: 'https://eu01.p13n.in.treasuredata.com',
      REDIS_URL: 'redis://redis:6379',
      PORT: '9000',
      HOST: '::',
      P13N_TRUSTED_PROXIES: '10.0.0.0/8 fd00::/8',
      P13N_RATE_LIMIT: '5,50',
      P13N_TIMEOUT: '3000',
      P13N_WINDOW: '3600000',
      P13N_SHUTDOWN_MS: '20000',
      P13N_DRAIN_MS: '5000',
      PATH: '/usr/bin', // others than P13N_ are none of its business
    });
    expect(settings).toEqual({
      proxy: {
        apiKey: KEY,
        token: TOKEN,
        tables: ['shop_db/events', 'shop_db/orders'],
        origins: ['https://www.shop.example', 'https://*.shop.example'],
        endpoint: 'https://eu01.p13n.in.treasuredata.com',
        trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
        rateLimit: { perSecond: 5, burst: 50 },
        timeout: 3000,
        window: 3600000,
      },
      redisUrl: 'redis://redis:6379',
      port: 9000,
      host: '::',
      shutdownMs: 20000,
      drainMs: 5000,
    });
    expect(settingsFromEnv({ ...ENV, P13N_RATE_LIMIT: 'off' }).proxy.rateLimit).toBe(false);
    expect(settingsFromEnv({ ...ENV, P13N_RATE_LIMIT: '2.5' }).proxy.rateLimit).toEqual({ perSecond: 2.5 });
    expect(settingsFromEnv(ENV).port).toBe(8080);
  });

  it('names what is missing or wrong', () => {
    const { TD_WRITE_KEY: _, ...noKey } = ENV;
    expect(() => settingsFromEnv(noKey)).toThrow('p13n proxy: TD_WRITE_KEY is not set: the TD write API key');
    expect(() => settingsFromEnv({ ...ENV, P13N_ORIGINS: ' ' })).toThrow('P13N_ORIGINS is not set');
    expect(() => settingsFromEnv({ ...ENV, PORT: '80a' })).toThrow('PORT must be a number, not "80a"');
    expect(() => settingsFromEnv({ ...ENV, P13N_RATE_LIMIT: 'lots' })).toThrow('P13N_RATE_LIMIT must be "PER_SECOND,BURST" (e.g. "20,200") or "off", not "lots"');
    // a misspelt setting would otherwise be silently ignored
    expect(() => settingsFromEnv({ ...ENV, P13N_RATELIMIT: 'off' })).toThrow('unknown setting P13N_RATELIMIT (known: TD_WRITE_KEY');
  });
});

describe('startProxyServer', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let api: http.Server;
  let apiUrl: string;
  /** What the API stand-in was sent, and how long it takes to answer. */
  const received: string[] = [];
  let delayMs = 0;
  beforeAll(async () => {
    redis = await startRedis();
    api = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push(body);
        setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"offers":{}}'), delayMs);
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await redis.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  const start = (env: Record<string, string> = {}, logs: string[] = []) => {
    const settings = settingsFromEnv({ ...ENV, P13N_ENDPOINT: apiUrl, REDIS_URL: redis.url, PORT: '0', HOST: '127.0.0.1', ...env });
    return startProxyServer({ ...settings, log: (message) => logs.push(message) });
  };
  const send = (server: ProxyServer, uuid = crypto.randomUUID(), from = '203.0.113.9') =>
    fetch(server.url + '/p13n/shop_db/events', { method: 'POST', body: JSON.stringify({ uuid }), headers: { Origin: PAGE, 'X-Forwarded-For': from } });
  const metric = async (server: ProxyServer, name: string) => {
    const text = await (await fetch(server.url + '/metrics')).text();
    const line = text.split('\n').find((row) => row.startsWith(name + ' ') || row.startsWith(name + '{'));
    return line ? Number(line.split(' ').pop()) : undefined;
  };

  it('serves the proxy, its health and its metrics', async () => {
    const server = await start({ P13N_TRUSTED_PROXIES: '127.0.0.1', P13N_RATE_LIMIT: '1,2' });
    try {
      const health = await fetch(server.url + '/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', store: 'up' });

      expect((await send(server, UUID)).status).toBe(200);
      const again = await send(server, UUID);
      expect(again.headers.get('P13n-Duplicate')).toBe('true');
      expect((await send(server)).status).toBe(429); // the third from one address: bursts of 2
      expect((await send(server, crypto.randomUUID(), '198.51.100.7')).status).toBe(200);

      expect(await metric(server, 'p13n_proxy_forwarded_total{status="200"}')).toBe(2);
      expect(await metric(server, 'p13n_proxy_duplicates_total')).toBe(1);
      expect(await metric(server, 'p13n_proxy_rate_limited_total')).toBe(1);
      expect(await metric(server, 'p13n_proxy_store_failures_total')).toBe(0);
      expect(await metric(server, 'p13n_proxy_forward_seconds_count')).toBe(2);
      expect(await metric(server, 'p13n_proxy_process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('reports a store that is down as such, and still serves (at least once)', async () => {
    const own = await startRedis();
    const logs: string[] = [];
    const server = await start({ REDIS_URL: own.url }, logs);
    try {
      await own.stop();
      const health = await fetch(server.url + '/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', store: 'down' });
      expect((await send(server)).status).toBe(200);
      expect(await metric(server, 'p13n_proxy_store_failures_total')).toBeGreaterThan(0);
      expect(logs.join('\n')).toContain('the deduplication store failed');
    } finally {
      await server.close();
    }
  });

  it('shuts down gracefully: unhealthy at once, new connections refused, the request in flight answered and settled', async () => {
    const server = await start();
    delayMs = 400;
    try {
      const uuid = crypto.randomUUID();
      const inFlight = send(server, uuid);
      await new Promise((resolve) => setTimeout(resolve, 100)); // out at the service
      const closing = server.close();
      await expect(fetch(server.url + '/healthz')).rejects.toThrow(); // no new connection
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ offers: {} });
      await closing;
      // its answer is in the store, so a resend to another instance is answered without forwarding
      const client = await createClient({ url: redis.url }).connect();
      try {
        expect(JSON.parse(String(await client.get(`p13n:shop_db/events/${uuid}`)))).toMatchObject({ status: 200 });
      } finally {
        client.destroy();
      }
    } finally {
      delayMs = 0;
      await server.close();
    }
  });

  it('drains first when asked: health 503 while it still serves, so the balancer stops sending before the port closes', async () => {
    const server = await start({ P13N_DRAIN_MS: '300' });
    try {
      const closing = server.close();
      const health = await fetch(server.url + '/healthz');
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'stopping' });
      const late = await send(server);
      expect(late.status).toBe(200);
      expect(late.headers.get('Connection')).toBe('close');
      await closing;
      await expect(fetch(server.url + '/healthz')).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('says what it needs when the port is taken', async () => {
    const first = await start();
    try {
      await expect(start({ PORT: String(first.port) })).rejects.toThrow('EADDRINUSE');
    } finally {
      await first.close();
    }
  });
});
