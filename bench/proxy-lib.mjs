// Helpers of `npm run bench:proxy` (bench/proxy.mjs): child servers, their Prometheus metrics, the load through
// autocannon, and percentiles.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { spawnUntil } from '../demo/spawn.mjs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export { quantile } from './measure.mjs';
export { table } from './report.mjs';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;

/** CPU seconds (user + system) process `pid` has used so far, from Linux's /proc (NaN elsewhere). */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine has been busy (every process, ours and others'), from /proc/stat. */
export function machineBusySeconds() {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / TICKS;
  } catch {
    return NaN;
  }
}

/**
 * Runs `node script` with `env` and resolves once it prints the URL it listens on: `{ name, url, pid, stop() }`.
 * Every other line (stderr above all: the proxy logs there) goes to `onLine(name, line)`. `nodeArgs` go to node
 * before the script (`--cpu-prof`, for one).
 */
export async function startServer(name, script, env, onLine = () => {}, nodeArgs = []) {
  // the proxy refuses P13N_ variables it does not know: none comes from the bench's own environment
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('P13N_')));
  const server = await spawnUntil(process.execPath, [...nodeArgs, script], {
    ready: /listening on (http:\/\/\S+)/,
    env: { ...inherited, ...env },
    name,
    onLine: (line) => onLine(name, line),
  });
  // a graceful stop waits for requests in flight; none should be left, so 20 s is a hang (then SIGKILL)
  return { name, url: server.match[1], pid: server.child.pid, stop: () => server.stop() };
}

/** A server's Prometheus metrics as `{ 'name{labels}': value }`. */
export async function metricsOf(url) {
  const text = await (await fetch(url + '/metrics')).text();
  const values = {};
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/i.exec(line);
    if (match) values[match[1]] = Number(match[2]);
  }
  return values;
}

// visitors: each a client id and an address; drawn at random per request so that the proxy's rate limit (per
// address) runs in the measured path without limiting anyone (10,000 addresses share the load)
const VISITORS = Array.from({ length: 10_000 }, (_, i) => ({
  id: randomUUID(),
  address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
}));
const EVENT_PATH = '/p13n/bench_db/events';
const ORIGIN = 'https://shop.example';

/** autocannon calls this before every request (it rebuilds the request each time): a new event, a fresh uuid. */
function setupRequest(request) {
  const visitor = VISITORS[Math.floor(Math.random() * VISITORS.length)];
  request.body = JSON.stringify({ td_client_id: visitor.id, uuid: randomUUID(), event: 'view', td_path: '/products/42' });
  request.headers = { ...request.headers, 'X-Forwarded-For': visitor.address };
  return request;
}

/** One autocannon run against `url`; `latencies` gets each 2xx answer's milliseconds (not autocannon's whole ms). */
async function run(url, options, latencies) {
  const instance = autocannon({
    url: url + EVENT_PATH,
    method: 'POST',
    headers: { Origin: ORIGIN, 'Content-Type': 'text/plain', 'User-Agent': 'p13n-bench' },
    requests: [{ setupRequest }],
    // with a rate, latency as measured, per request sent: autocannon's "correction" takes 1/rate (seconds) for
    // milliseconds and fills its histogram with made-up values
    ...(options.overallRate ? { ignoreCoordinatedOmission: true } : {}),
    ...options,
  });
  if (latencies) instance.on('response', (client, status, bytes, ms) => status < 300 && latencies.push(ms));
  const result = await instance;
  return { completed: result.requests.total, seconds: result.duration, statuses: result.statusCodeStats, errors: result.errors, timeouts: result.timeouts };
}

/**
 * Load on `urls` (one run each, at once): at `rate` requests per second in all, or as fast as `connections` per
 * URL go; for `seconds`, or `amount` requests per URL. `{ rate, completed, latencies, statuses, errors }`.
 *
 * autocannon paces a connection by a quota per second, sent back to back as each second begins: one run at 500/s
 * would send in bursts at several times that. So a rate is spread over SLICES runs per URL, each started 1/SLICES s
 * after the last, each of connections sending 10 a second.
 */
export async function load(urls, { rate, connections = 50, seconds, amount, record = true }) {
  const SLICES = 10;
  const latencies = record ? [] : undefined;
  const runs = urls.flatMap((url) => {
    if (!rate) return [run(url, { connections, ...(amount ? { amount } : { duration: seconds }) }, latencies)];
    const sliceRate = rate / urls.length / SLICES;
    const options = { overallRate: sliceRate, connections: Math.max(1, Math.round(sliceRate / 10)), duration: seconds };
    return Array.from({ length: SLICES }, (_, i) => sleep((i * 1000) / SLICES).then(() => run(url, options, latencies)));
  });
  const results = await Promise.all(runs);
  const statuses = {};
  for (const { statuses: each } of results) for (const [code, { count }] of Object.entries(each)) statuses[code] = (statuses[code] || 0) + count;
  const sum = (pick) => results.reduce((total, result) => total + pick(result), 0);
  return {
    // the runs went at once: their rates add up
    rate: sum((r) => r.completed / r.seconds),
    completed: sum((r) => r.completed),
    errors: sum((r) => r.errors + r.timeouts),
    statuses,
    latencies,
  };
}

/** Several loads of one target (rounds of a phase) as one: rates averaged, counts, latencies and CPU pooled. */
export function pooled(loads) {
  const statuses = {};
  for (const { statuses: each } of loads) for (const [code, count] of Object.entries(each)) statuses[code] = (statuses[code] || 0) + count;
  return {
    rate: loads.reduce((total, each) => total + each.rate, 0) / loads.length,
    completed: loads.reduce((total, each) => total + each.completed, 0),
    errors: loads.reduce((total, each) => total + each.errors, 0),
    statuses,
    latencies: loads.flatMap((each) => each.latencies || []),
    // CPU seconds per part, added up (bench/proxy.mjs measures them around each load)
    cpu: loads[0].cpu && Object.fromEntries(Object.keys(loads[0].cpu).map((key) => [key, loads.reduce((total, each) => total + each.cpu[key], 0)])),
  };
}

