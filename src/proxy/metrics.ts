/**
 * The server's Prometheus metrics, through prom-client (an optional dependency of p13n-tag: the library's
 * `createProxy` needs none of it). A registry of its own, so an app that embeds the server keeps its own metrics.
 */
import type { ProxyEvent } from './types';

/** Seconds, from a fast answer of the service (its SLA is 100 ms) to the proxy's default timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export async function proxyMetrics() {
  let client: typeof import('prom-client');
  try {
    client = await import('prom-client');
  } catch {
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
    observe(event: ProxyEvent) {
      if (event.type == 'forwarded') {
        forwarded.inc({ status: String(event.status) });
        latency.observe(event.seconds);
      } else if (event.type == 'duplicate') duplicates.inc();
      else if (event.type == 'limited') limited.inc();
      else storeFailures.inc();
    },
    /** `[Content-Type, body]` of the text exposition format. */
    text: async (): Promise<[string, string]> => [register.contentType, await register.metrics()],
  };
}
