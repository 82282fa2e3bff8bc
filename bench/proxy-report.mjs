// The report of `npm run bench:proxy`: Markdown tables, printed and written to bench/PROXY.md, and the goals,
// each PASS or MISS with its figures.
import { quantile, table } from './proxy-lib.mjs';

const group = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : 'n/a');
const signed = (n) => (Number.isFinite(n) ? `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(2)} ms` : 'n/a');
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
/** Growth over memory (in MiB) allowed between the first 100,000 events and the last sample, for "flat". */
const FLAT_SHARE = 0.1;
const LABELS = {
  direct: 'direct (the stand-in alone)',
  floor: 'floor (bare forwarder × 2)',
  proxy: 'p13n proxy × 2 + Redis',
  memory: 'p13n proxy × 2, each its own memory',
};
/** The targets in the tables' order (bench/proxy.mjs loads them). */
const TARGETS = Object.keys(LABELS);

/** `200: 20,000` (and any other status), with errors and timeouts. */
const statuses = ({ statuses: each, errors }) =>
  Object.entries(each).map(([code, n]) => `${code}: ${group(n)}`).join(', ') + (errors ? `; errors/timeouts: ${group(errors)}` : '');

/** p50 and p99 of each target's loads in `phase`, and what each adds to the stand-in alone. */
function latencyOf(phase) {
  const of = (target) => ({ p50: quantile(phase[target].latencies, 0.5), p99: quantile(phase[target].latencies, 0.99) });
  const direct = of('direct');
  return Object.fromEntries(TARGETS.map((target) => {
    const { p50, p99 } = of(target);
    return [target, { p50, p99, added50: p50 - direct.p50, added99: p99 - direct.p99 }];
  }));
}

function phaseTable(phase, { ratio = false } = {}) {
  const latency = latencyOf(phase);
  const rows = TARGETS.map((target) => {
    const { p50, p99, added50, added99 } = latency[target];
    const direct = target == 'direct';
    return [LABELS[target], group(phase[target].rate), ...(ratio ? [(phase[target].rate / phase.floor.rate).toFixed(2) + '×'] : []),
      ms(p50), ms(p99), direct ? '' : signed(added50), direct ? '' : signed(added99), statuses(phase[target])];
  });
  const head = ['target', 'req/s', ...(ratio ? ['÷ floor'] : []), 'p50', 'p99', 'added p50', 'added p99', 'answers'];
  return table(head, rows);
}

/** CPU per request of each part, and what other processes on the machine took meanwhile. */
function cpuTable(phase) {
  const us = (seconds, { completed }) => (Number.isFinite(seconds) ? `${group((seconds / completed) * 1e6)} µs` : 'n/a');
  const rows = TARGETS.map((target) => {
    const { cpu } = phase[target];
    const own = target == 'direct' ? NaN : cpu[target];
    const ours = cpu.standin + cpu.generator + (target == 'direct' ? 0 : cpu[target]) + (target == 'proxy' ? cpu.redis : 0);
    return [LABELS[target], target == 'direct' ? '' : us(own, phase[target]), us(cpu.standin, phase[target]), target == 'proxy' ? us(cpu.redis, phase[target]) : '',
      us(cpu.generator, phase[target]), us(ours, phase[target]), ((ours) / cpu.at).toFixed(2), ((cpu.machine - ours) / cpu.at).toFixed(2)];
  });
  return table(['CPU per request', 'the 2 instances', 'stand-in', 'Redis', 'load generator', 'all of these', 'cores busy: these', 'cores busy: everything else'], rows);
}

function memoryTable({ samples }) {
  const rows = samples.map((s) => [group(s.events), s.rate ? group(s.rate) : '', mib(s.rss[0]), mib(s.rss[1]), mib(s.heap[0]), mib(s.heap[1]),
    mib(s.redis.used), group(s.redis.keys), s.statuses ? statuses(s) : '']);
  return table(['events sent (memory phase)', 'req/s', 'RSS proxy 1', 'RSS proxy 2', 'heap used 1', 'heap used 2', 'Redis used_memory', 'Redis keys', 'answers'], rows);
}

/** Each goal: `[goal, measured, verdict]`. */
function goals(results, meta) {
  const fixed = latencyOf(results.fixed);
  const over = fixed.proxy.added99 - fixed.floor.added99;
  const ratio = results.saturation.proxy.rate / results.saturation.floor.rate;
  const { samples } = results.memory;
  const [first, last] = [samples[Math.min(1, samples.length - 1)], samples[samples.length - 1]];
  const growth = [0, 1].map((i) => (last.rss[i] - first.rss[i]) / first.rss[i]);
  const verdict = (pass, miss) => (pass ? 'PASS' : `**MISS** ${miss}`);
  // a target that could not keep the rate up was measured at the rate it could keep
  const short = ['floor', 'proxy'].filter((target) => results.fixed[target].rate < 0.95 * meta.rate)
    .map((target) => `; the ${target} sustained only ${group(results.fixed[target].rate)} req/s`).join('');
  return [
    [`p99 added latency within 5 ms of the floor's at ${group(meta.rate)} req/s`,
      `proxy ${signed(fixed.proxy.added99)}, floor ${signed(fixed.floor.added99)}: ${signed(over)} over the floor${short}`,
      verdict(over <= 5, `by ${ms(over - 5)}`)],
    ['throughput at saturation at least 0.7× the floor\'s',
      `${group(results.saturation.proxy.rate)} vs ${group(results.saturation.floor.rate)} req/s: ${ratio.toFixed(2)}×`,
      verdict(ratio >= 0.7, `by ${(0.7 - ratio).toFixed(2)}× (${group(0.7 * results.saturation.floor.rate - results.saturation.proxy.rate)} req/s short)`)],
    [`memory flat (RSS after ${group(last.events)} events within ${FLAT_SHARE * 100}% of after ${group(first.events)})`,
      growth.map((g, i) => `proxy ${i + 1}: ${mib(first.rss[i])} → ${mib(last.rss[i])} (${g >= 0 ? '+' : '−'}${Math.abs(g * 100).toFixed(1)}%)`).join('; '),
      verdict(growth.every((g) => g <= FLAT_SHARE), `(grew ${(Math.max(...growth) * 100).toFixed(1)}%)`)],
    // not a goal: where the first one's difference comes from, the proxy's own work or its round trip to Redis
    [`(to read the first) the proxies on their own memory, without Redis, at ${group(meta.rate)} req/s`,
      `${signed(fixed.memory.added99)}: ${signed(fixed.memory.added99 - fixed.floor.added99)} over the floor`, 'for reading'],
  ];
}

/** What the proxies and the stand-in counted: every uuid fresh, none limited, the store never failing. */
function checks(results) {
  const { standin, totals } = results;
  const phases = [['fixed rate', results.fixed.proxyCounted], ['saturation', results.saturation.proxyCounted], ['memory', results.memory.proxyCounted]];
  const rows = phases.map(([name, c]) => [name, Object.entries(c.forwarded).filter(([, n]) => n).map(([code, n]) => `${code}: ${group(n)}`).join(', '),
    group(c.duplicates), group(c.limited), group(c.storeFailures)]);
  rows.push(['whole run (with the warm-up)', Object.entries(totals.forwarded).map(([code, n]) => `${code}: ${group(n)}`).join(', '),
    group(totals.duplicates), group(totals.limited), group(totals.storeFailures)]);
  return [
    `The stand-in saw ${group(standin.requests)} requests carrying ${group(standin.distinct)} distinct uuids ` +
      (standin.requests == standin.distinct ? '(every request a fresh uuid: autocannon rebuilt each body).' : '(**some uuids repeated**).'),
    '',
    table(['the proxies counted (both)', 'forwarded, by the stand-in\'s status', 'duplicates', 'rate limited (429)', 'store failures'], rows),
  ].join('\n');
}

function logSection(logs) {
  if (!logs.length) return 'Nothing: no child (proxy, forwarder, stand-in) printed anything after its address.';
  return ['```', ...logs.slice(0, 50).map(({ at, during, name, line }) => `${String(at).padStart(4)} s [${during}] ${name}: ${line}`),
    ...(logs.length > 50 ? [`… and ${logs.length - 50} more lines`] : []), '```'].join('\n');
}

/** How the figures were taken. */
const method = (meta) => `## How it is measured

- **Targets**: *direct*: the API stand-in (bench/api-standin.mjs, one Node process answering \`{"offers":{}}\` after
  20 ms); *floor*: two bare Node forwarders (bench/forwarder.mjs: the body forwarded with the proxy server's own HTTP
  client, \`nodeHttpFetch\` on Node's http module, and the proxy's headers, nothing else; before 2026-12-07 evening,
  with the global \`fetch\`, which cost the floor and the proxy about 830 µs a request where this costs 340); *proxy*: two \`node dist/p13n-proxy.mjs\` instances on one Redis (demo/redis.mjs), the
  default rate limit on; *memory*: two more instances without REDIS_URL, each deduplicating and rate limiting in its
  own memory: the same work but the round trip to Redis, to tell the proxy's own cost from the store's. Each is its own process; the load generator (autocannon 9) runs in the bench's process.
- **Load**: one autocannon run per instance, at once (direct: two runs on the one stand-in). Every request is
  \`POST /p13n/bench_db/events\` with \`Origin: https://shop.example\` and a new event (a fresh \`crypto.randomUUID()\`
  in \`setupRequest\`), so the proxy claims and stores every one (SET NX, then SET) and forwards it.
- **The fixed rate**: autocannon paces each connection by a quota per second that it sends back to back as the
  second begins, so one run at 500/s would arrive in bursts. The rate is spread over 10 runs per instance, started
  100 ms apart, each of 5 connections sending 10 a second. autocannon's coordinated-omission correction is off: it
  takes 1/rate for milliseconds and fills the histogram with made-up values.
- **Latency**: each 2xx answer's time as autocannon measures it (send to the end of the answer, in fractions of
  a millisecond, taken from its \`response\` event rather than its whole-millisecond histogram), pooled over the
  rounds; p50 and p99 over all of them.
- **CPU**: each process's user and system time from /proc around each run (Redis's from \`INFO cpu\`, the load
  generator's from \`process.cpuUsage()\`), per completed request; "everything else" is the machine's busy time
  (/proc/stat) less these, in cores: work that was not the bench's, which the bench's processes competed with.
- **Order**: warm-up (${meta.warmup} s at saturation each), then each phase in rounds of ${meta.roundSeconds} s: direct, floor, proxy,
  memory; then floor, proxy, memory, direct; and so on; then the memory series (through the proxies on Redis).
`;

export function document(results, meta) {
  const { samples } = results.memory;
  return `# p13n proxy under load: benchmark

Measured ${meta.date} in ${meta.took} s (load average ${meta.load.map((n) => n.toFixed(1)).join(' → ')}) on
${meta.machine}. **A shared ${meta.cores}-core machine**: the load generator, the stand-in, Redis, and the two instances
of whichever target is loaded all run on these ${meta.cores} cores, and other work (tests) may have run meanwhile;
read the figures as this machine's, not a server's.

Reproduce: \`npm run bench:proxy\` (builds dist/ first, then \`node bench/proxy.mjs\`). Flags: \`--seconds N\` per phase
(default 20), \`--events N\` for the memory series (default 1,000,000), \`--quick\` (5 s, 50,000 events).

## Goals

${table(['goal', 'measured', 'verdict'], goals(results, meta))}

## At a fixed rate: ${group(meta.rate)} requests per second in all (${group(meta.rate / 2)} to each instance)

${meta.seconds} s per target, in ${results.fixed.rounds} round(s) of ${meta.seconds / results.fixed.rounds} s taking the targets in turn. Latency from
autocannon's send to the whole answer, over every 2xx answer; "added" is the target's less the stand-in's alone.

${phaseTable(results.fixed)}

${cpuTable(results.fixed)}

## At saturation: ${meta.connections} connections to each instance, no rate cap

${meta.seconds} s per target, in ${results.saturation.rounds} round(s). Throughput here is what the whole machine sustains with the load generator on it.

${phaseTable(results.saturation, { ratio: true })}

${cpuTable(results.saturation)}

## Memory: ${group(meta.events)} events through the two proxy instances

At saturation (${meta.connections} connections each), after the phases above (so the instances had already
forwarded ${group(Object.values(results.totals.forwarded).reduce((a, b) => a + b, 0) - meta.events)} events, the warm-up included). RSS and heap from each
instance's /metrics after every ${group(Math.min(100_000, meta.events))} events; Redis's \`used_memory\` and key count from \`INFO memory\`
and \`DBSIZE\`. Redis grows by design: the proxy remembers every answer for P13N_WINDOW (default 24 h), about
${samples.length > 1 ? group((samples.at(-1).redis.used - samples[0].redis.used) / Math.max(1, samples.at(-1).redis.keys - samples[0].redis.keys)) : 'n/a'} bytes a key here.

${memoryTable(results.memory)}

## Checks

${checks(results)}

The rate limit (the default, 20/s and bursts of 200 per address) was on, with the balancer's address trusted
(P13N_TRUSTED_PROXIES=127.0.0.1,::1): each request named one of 10,000 visitor addresses in X-Forwarded-For, drawn
at random, so every request went through the limiter's Redis script without any visitor coming near its limit.

### What the children printed (proxy warnings go to stderr), with the time into the run and the phase under way

${logSection(meta.logs)}

${method(meta)}`;
}
