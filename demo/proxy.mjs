// One instance of the first-party proxy for the demo: the server `npx p13n-proxy` runs (dist/proxy-server.mjs),
// with the demo's credentials, forwarding to the emulator, behind the demo server as its load balancer (started
// with --proxies). README.md's "A server to run" shows the same for production, from environment variables.
//
//   node demo/proxy.mjs --port 9001 --redis redis://127.0.0.1:6379 [--upstream http://localhost:8080/public]
//                       [--origins http://127.0.0.1:8080,...] [--trusted-proxies 127.0.0.1,::1]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startProxyServer } from '../dist/proxy-server.mjs';
import { DEMO_API_KEY, demoOrigins, loadSettings } from './server.mjs';

/**
 * Starts an instance on loopback: `{ url, close() }` (close is the graceful shutdown). With `redisUrl` it
 * deduplicates and rate limits with every instance on that Redis; without, in its own memory.
 */
export async function startProxy({ port = 0, upstream = 'http://localhost:8080/public', redisUrl, origins, trustedProxies = ['127.0.0.1', '::1'], log }) {
  const settings = await loadSettings();
  return startProxyServer({
    proxy: {
      apiKey: DEMO_API_KEY,
      token: settings.tokens[0],
      tables: ['demo_db/pageviews'],
      endpoint: upstream,
      origins: origins || demoOrigins(new URL(upstream).port || 80),
      trustedProxies,
      timeout: 3000,
    },
    redisUrl,
    port,
    host: '127.0.0.1',
    log,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({
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
  process.once('SIGTERM', () => proxy.close().then(() => process.exit(0)));
}
