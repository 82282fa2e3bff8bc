// One instance of the reference first-party proxy, as a site deploys it: its own Node process, deduplicating
// through Redis with every other instance, behind the site's load balancer (here the demo server, started with
// --proxies). README.md's "Many instances" shows the same set-up for production.
//
//   node demo/proxy.mjs --port 9001 --redis redis://127.0.0.1:6379 [--upstream http://localhost:8080/public]
//                       [--origins http://127.0.0.1:8080,...] [--trusted-proxies 127.0.0.1,::1]
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import { memoryStore, redisStore } from '../dist/proxy.mjs';
import { demoOrigins, demoProxy, loadSettings } from './server.mjs';

/**
 * Starts an instance: `{ url, close() }`. With `redisUrl` it deduplicates with every instance on that Redis;
 * without, in its own memory. A Redis that is down when it starts, or later, leaves it forwarding (logged).
 */
export async function startProxy({ port = 0, upstream = 'http://localhost:8080/public', redisUrl, origins, trustedProxies = ['127.0.0.1', '::1'], log = console.warn }) {
  const settings = await loadSettings();
  let client;
  if (redisUrl) {
    // fail at once while disconnected rather than queue: the proxy then forwards instead of waiting
    client = createClient({ url: redisUrl, disableOfflineQueue: true, socket: { reconnectStrategy: (tries) => Math.min(tries * 100, 2000) } });
    client.on('error', () => {}); // it reconnects by itself; the proxy logs what the outage means
    // awaited 2 s at most: with Redis down, connect() waits until it is back, and the proxy serves meanwhile
    const connecting = client.connect().catch((error) => log(`p13n proxy: Redis at ${redisUrl}: ${error.message}`));
    await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
  const handler = demoProxy(settings, {
    endpoint: upstream,
    origins: origins || demoOrigins(new URL(upstream).port || 80),
    trustedProxies,
    store: client ? redisStore(client) : memoryStore(),
    timeout: 3000,
    log,
  });
  const server = http.createServer(handler);
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (client) client.destroy();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = (await import('node:util')).parseArgs({
    options: { port: { type: 'string' }, redis: { type: 'string' }, upstream: { type: 'string' }, origins: { type: 'string' }, 'trusted-proxies': { type: 'string' } },
  });
  const list = (value) => value && value.split(',');
  const proxy = await startProxy({
    port: Number(values.port || 0),
    redisUrl: values.redis,
    upstream: values.upstream,
    origins: list(values.origins),
    trustedProxies: list(values['trusted-proxies']),
  });
  // the first line is the address, for whoever started this process (e2e/chaos.spec.ts reads it)
  console.log(`p13n proxy instance: ${proxy.url}  (${values.redis ? 'deduplicating through ' + values.redis : 'deduplicating in memory'})`);
}
