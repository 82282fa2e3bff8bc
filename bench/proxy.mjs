// `npm run bench:proxy`: the first-party proxy (dist/p13n-proxy.mjs) under load, against a floor measured in the
// same run. Two proxy instances share a Redis; two bare forwarders (forwarder.mjs, no deduplication) are the floor;
// both forward to one API stand-in (api-standin.mjs) that answers after 20 ms, and the stand-in is also measured
// on its own ("direct"): added latency is a target's less direct's. Each phase runs in rounds of 5 s that take the
// targets in turn, each round in another order, so that what drifts (the machine, which is shared) falls on all
// three. autocannon loads them (proxy-lib.mjs); every request is a new event with a fresh uuid.
//
//   node bench/proxy.mjs [--seconds 20] [--events 1000000] [--quick]
//
// --seconds: per phase and target (1,000 req/s; saturation); --events: sent through the proxies for the memory
// series; --quick: 5 s and 50,000 events, to work on the bench. Prints the report and writes bench/PROXY.md.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { startRedis } from '../demo/redis.mjs';
import { cpuSeconds, load, machineBusySeconds, metricsOf, pooled, sleep, startServer } from './proxy-lib.mjs';
import { document } from './proxy-report.mjs';

const { values: flags } = parseArgs({ options: { seconds: { type: 'string' }, events: { type: 'string' }, quick: { type: 'boolean' } } });
const SECONDS = Number(flags.seconds) || (flags.quick ? 5 : 20);
const EVENTS = Number(flags.events) || (flags.quick ? 50_000 : 1_000_000);
const ROUND_SECONDS = 5;
const RATE = 1000;
const CONNECTIONS = 50; // per instance at saturation
const WARMUP_SECONDS = flags.quick ? 2 : 3;
// each memory step is at least one request per connection of each instance
if (EVENTS < 2 * CONNECTIONS) throw new Error(`--events must be at least ${2 * CONNECTIONS} (${CONNECTIONS} connections to each of two instances)`);
const TARGETS = ['direct', 'floor', 'proxy', 'memory'];
const CREDENTIALS = { TD_WRITE_KEY: '1/4d8a87c9b3e40e7380bf709c601f6f169a24a90d', P13N_TOKEN: '1/2/0123456789abcdef0123456789abcdef' };

const began = Date.now();
const loadBefore = os.loadavg()[0];
const elapsed = () => Math.round((Date.now() - began) / 1000);
let now = 'starting'; // the phase under way, for the log lines
const progress = (text) => process.stderr.write(`[bench:proxy ${String(elapsed()).padStart(4)} s] ${(now = text)}\n`);
// every line a child prints after its address (the proxy's warnings above all), with when and during what
const logs = [];
const onLine = (name, line) => {
  logs.push({ at: elapsed(), during: now, name, line });
  process.stderr.write(`  ${name}: ${line}\n`);
};

/**
 * Redis, the stand-in, two proxies on Redis, two proxies on their own memory and two forwarders:
 * `{ urls: { direct, floor, proxy, memory }, proxies, redis, stop }`.
 */
async function startAll() {
  const started = [];
  const keep = (server) => (started.push(server), server);
  try {
    const redis = await keep(await startRedis());
    const standin = await keep(await startServer('stand-in', new URL('./api-standin.mjs', import.meta.url).pathname, {}, onLine));
    // no P13N_RATE_LIMIT: the default (20/s, bursts of 200 per address), with the visitor's address from
    // X-Forwarded-For as a balancer on this machine would give it
    const proxyEnv = {
      ...CREDENTIALS, P13N_TABLES: 'bench_db/events', P13N_ORIGINS: 'https://shop.example', P13N_ENDPOINT: standin.url,
      REDIS_URL: redis.url, PORT: '0', HOST: '127.0.0.1', P13N_TRUSTED_PROXIES: '127.0.0.1,::1',
    };
    const cli = new URL('../dist/p13n-proxy.mjs', import.meta.url).pathname;
    const forwarder = new URL('./forwarder.mjs', import.meta.url).pathname;
    const proxies = [];
    const floors = [];
    const ownMemory = [];
    const { REDIS_URL: _, ...memoryEnv } = proxyEnv;
    for (const i of [1, 2]) {
      proxies.push(await keep(await startServer(`proxy ${i}`, cli, proxyEnv, onLine)));
      floors.push(await keep(await startServer(`forwarder ${i}`, forwarder, { ...CREDENTIALS, UPSTREAM: standin.url }, onLine)));
      ownMemory.push(await keep(await startServer(`proxy ${i} (memory)`, cli, memoryEnv, onLine)));
    }
    const urls = { direct: [standin.url, standin.url], floor: floors.map((s) => s.url), proxy: proxies.map((s) => s.url), memory: ownMemory.map((s) => s.url) };
    // the bench's own client, for Redis's INFO (memory, CPU)
    const info = createClient({ url: redis.url });
    await info.connect();
    started.push({ stop: () => info.close() });
    return { urls, proxies, floors, ownMemory, redis, standin, info, stop: () => stopAll(started) };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/** Stops `servers` last first: the proxies let go of Redis and the stand-in before these go. */
async function stopAll(servers) {
  for (const server of servers.reverse()) await server.stop().catch(() => {});
}

/** CPU seconds used so far by each part: the stand-in, the forwarders, the proxies, Redis, the load generator, all. */
async function cpuNow(env) {
  const sum = (servers) => servers.reduce((total, server) => total + cpuSeconds(server.pid), 0);
  const info = await env.info.info('cpu');
  const redis = ['used_cpu_user', 'used_cpu_sys'].reduce((total, name) => total + Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]), 0);
  const { user, system } = process.cpuUsage();
  return { standin: sum([env.standin]), floor: sum(env.floors), proxy: sum(env.proxies), memory: sum(env.ownMemory), redis, generator: (user + system) / 1e6, machine: machineBusySeconds(), at: Date.now() / 1000 };
}

const cpuSince = (before, after) => Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]));

/** Both proxies' counters added up: forwarded by status, duplicates, rate limited, store failures. */
async function proxyCounters(proxies) {
  const total = { forwarded: {}, duplicates: 0, limited: 0, storeFailures: 0 };
  for (const metrics of await Promise.all(proxies.map((proxy) => metricsOf(proxy.url)))) {
    for (const [key, value] of Object.entries(metrics)) {
      const status = /^p13n_proxy_forwarded_total\{status="(\d+)"\}$/.exec(key)?.[1];
      if (status) total.forwarded[status] = (total.forwarded[status] || 0) + value;
    }
    total.duplicates += metrics.p13n_proxy_duplicates_total || 0;
    total.limited += metrics.p13n_proxy_rate_limited_total || 0;
    total.storeFailures += metrics.p13n_proxy_store_failures_total || 0;
  }
  return total;
}

/** What the proxies counted between two `proxyCounters`. */
const counted = (before, after) => ({
  forwarded: Object.fromEntries(Object.entries(after.forwarded).map(([status, n]) => [status, n - (before.forwarded[status] || 0)])),
  duplicates: after.duplicates - before.duplicates,
  limited: after.limited - before.limited,
  storeFailures: after.storeFailures - before.storeFailures,
});

/** A phase: every target loaded with `options` for SECONDS in all, in rounds; per target the pooled loads. */
async function phase(name, env, options) {
  const rounds = Math.max(1, Math.round(SECONDS / ROUND_SECONDS));
  const loads = Object.fromEntries(TARGETS.map((target) => [target, []]));
  const before = await proxyCounters(env.proxies);
  for (let round = 0; round < rounds; round++) {
    for (const target of [...TARGETS.slice(round % TARGETS.length), ...TARGETS.slice(0, round % TARGETS.length)]) {
      progress(`${name}: ${target}, round ${round + 1} of ${rounds}`);
      const cpu = await cpuNow(env);
      const result = await load(env.urls[target], { ...options, seconds: SECONDS / rounds });
      await sleep(300); // the requests cut off as a run ends are still out: let them finish
      loads[target].push({ ...result, cpu: cpuSince(cpu, await cpuNow(env)) });
    }
  }
  const result = Object.fromEntries(TARGETS.map((target) => [target, pooled(loads[target])]));
  return { ...result, rounds, proxyCounted: counted(before, await proxyCounters(env.proxies)) };
}

/** Redis's own account of its memory and keys. */
async function redisMemory(client) {
  const info = await client.info('memory');
  return { used: Number(/^used_memory:(\d+)/m.exec(info)?.[1]), keys: await client.dbSize() };
}

/** Each proxy's resident set and JS heap (from its /metrics), and Redis's memory. */
async function memorySample(env, events, rate) {
  const metrics = await Promise.all(env.proxies.map((proxy) => metricsOf(proxy.url)));
  return {
    events,
    rate,
    rss: metrics.map((m) => m.p13n_proxy_process_resident_memory_bytes),
    heap: metrics.map((m) => m.p13n_proxy_nodejs_heap_size_used_bytes),
    redis: await redisMemory(env.info),
  };
}

/** EVENTS through the two proxies at saturation, in steps of 100,000; memory sampled before and after each. */
async function memoryPhase(env) {
  const step = Math.min(100_000, EVENTS);
  const before = await proxyCounters(env.proxies);
  const samples = [await memorySample(env, 0)];
  for (let sent = 0; sent < EVENTS; ) {
    const amount = Math.min(step, EVENTS - sent);
    progress(`memory: events ${sent.toLocaleString('en-US')} to ${(sent + amount).toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')}`);
    const result = await load(env.urls.proxy, { connections: CONNECTIONS, amount: amount / 2, record: false });
    sent += amount;
    samples.push({ ...(await memorySample(env, sent, result.rate)), statuses: result.statuses, errors: result.errors });
  }
  return { samples, proxyCounted: counted(before, await proxyCounters(env.proxies)) };
}

async function main() {
  const env = await startAll();
  try {
    progress(`warm-up: ${WARMUP_SECONDS} s at saturation for each target`);
    for (const target of TARGETS) await load(env.urls[target], { connections: CONNECTIONS, seconds: WARMUP_SECONDS, record: false });
    const fixed = await phase(`fixed rate ${RATE}/s`, env, { rate: RATE });
    const saturation = await phase(`saturation, ${CONNECTIONS} connections per instance`, env, { connections: CONNECTIONS });
    const memory = await memoryPhase(env);
    progress('checks: the stand-in\'s distinct uuids, the proxies\' counters');
    const standin = await (await fetch(env.standin.url + '/stats')).json();
    const totals = await proxyCounters(env.proxies);
    return { fixed, saturation, memory, standin, totals };
  } finally {
    now = 'stopping';
    await env.stop();
  }
}

const results = await main();
const cpus = os.cpus();
const meta = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  machine: `${os.type()} ${os.release()} (${os.arch()}), ${cpus[0]?.model?.trim() || 'unknown CPU'} × ${cpus.length}, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  cores: cpus.length,
  load: [loadBefore, os.loadavg()[0]],
  seconds: SECONDS, roundSeconds: ROUND_SECONDS, rate: RATE, connections: CONNECTIONS, events: EVENTS, warmup: WARMUP_SECONDS,
  took: elapsed(),
  logs,
};
const markdown = document(results, meta);
process.stdout.write(markdown);
await writeFile(new URL('./PROXY.md', import.meta.url), markdown);
progress('done: bench/PROXY.md written');
