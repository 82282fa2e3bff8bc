import { spawn } from 'node:child_process';
import { startRedis } from '../demo/redis.mjs';
import { config, expect, tagLive, test, type LogEntry } from './fixtures';

/**
 * A visitor session of a few hundred `track` calls while the service drops connections, answers 500 and 429,
 * hangs, and the network goes away, with navigations and reloads right after the calls. Run twice:
 * - direct mode: every event the page accepted reaches the emulator (by uuid), a second time only if it was in
 *   flight as a page was left during a failure;
 * - proxy mode: through two instances of the first-party proxy (demo/proxy.mjs, separate processes) behind the
 *   demo server as their load balancer, deduplicating through one real redis-server: every event exactly once.
 */
const chaosPage = (settings: string) => `<script src="{{TAG}}"></script><script>
  // what the page accepted and what the tag reported dropped, kept across this tab's navigations
  var load = function (k) { return JSON.parse(sessionStorage.getItem(k) || '[]') };
  var keep = function (k, v) { sessionStorage.setItem(k, JSON.stringify(load(k).concat([v]))) };
  p13n('init', ${settings});
  p13n('on', 'error', function (d) { if (d.error.code == 'dropped') keep('dropped', d.uuid) });
  window.burst = function (label, n) {
    for (var i = 0; i < n; i++) {
      // the page's own uuid, so a drop reported by uuid names its event
      var uuid = '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, function (c) {
        return (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16) });
      var seq = label + '-' + i;
      keep('sent', seq + ' ' + uuid);
      p13n('track', { event: 'chaos', seq: seq, uuid: uuid, filler: 'x'.repeat(200) });
    }
  };
</script>`;

type Fault = Record<string, unknown> | null;
/**
 * Each round: a fault, 40 calls, how long the visitor stays on the page (0: leaves at once), how it leaves. A
 * page leaves at once only while the service is well: in direct mode a service that starts failing at the very
 * instant a page is left, before the page can see it, is the one window README.md says can lose what is then in
 * flight.
 */
const ROUNDS: [string, Fault, number, 'goto' | 'reload', number?][] = [
  ['calm', null, 0, 'goto'],
  ['errors500', { status: 500, code: 9999, forMs: 1500 }, 2500, 'goto'],
  ['throttled', { status: 429, code: 2003, retryAfter: 1, forMs: 1500 }, 300, 'reload'],
  ['dropped', { drop: true, forMs: 1500 }, 2500, 'goto'],
  ['hanging', { hang: true, forMs: 4000 }, 2500, 'reload'],
  ['mixed', { status: 503, times: 25 }, 2500, 'goto'],
  ['calm2', null, 0, 'reload'],
];
/**
 * Proxy mode leaves at once while the service fails, too: there nothing out is counted delivered, so the window
 * direct mode leaves open is closed, and these rounds must lose nothing either. But for the same reason what a
 * page has out as it is left stays in the outbox until the next page has it confirmed, so more waits at once
 * than in direct mode: with direct mode's 40 calls a round, under CI's load, the outbox passed its bound (200
 * events, 256 KiB of these 1.3 KB events) and dropped 19, as README.md says it does. 30 calls a round, and 15 in
 * the two extra ones, keep the test on what it is for.
 */
const PROXY_ROUNDS: typeof ROUNDS = [
  ...ROUNDS.slice(0, -1).map(([label, fault, stay, leave]): (typeof ROUNDS)[number] => [label, fault, stay, leave, 30]),
  ['500-at-exit', { status: 500, code: 9999, forMs: 1500 }, 0, 'goto', 15],
  ['dropped-at-exit', { drop: true, forMs: 1500 }, 0, 'reload', 15],
  ['calm2', null, 0, 'reload', 30],
];

/** A proxy instance in its own process, as a site runs them: resolves with its URL and a way to stop it. */
function startInstance(args: string[]) {
  const child = spawn(process.execPath, ['demo/proxy.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise<{ url: string; stop: () => void }>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const url = /p13n proxy instance: (http:\S+)/.exec((output += chunk));
      if (url) resolve({ url: url[1], stop: () => child.kill() });
    });
    child.once('exit', (code) => reject(new Error(`demo/proxy.mjs exited with ${code}:\n${output}`)));
  });
}

/** Two instances sharing a fresh redis-server, with the demo server balancing the site's /p13n/ over them. */
async function startCluster(server: { apiUrl: string; routeProxy: (urls: string[] | null) => any }) {
  const redis = await startRedis();
  const args = ['--redis', redis.url, '--upstream', server.apiUrl + '/public'];
  const instances = await Promise.all([startInstance(args), startInstance(args)]);
  const stats: { requests: number; duplicates: number; failed: number } = server.routeProxy(instances.map((instance) => instance.url));
  return {
    stats,
    async stop() {
      server.routeProxy(null);
      for (const instance of instances) instance.stop();
      await redis.stop();
    },
  };
}

type Fixtures = Pick<Parameters<Parameters<typeof test>[2]>[0], 'open' | 'tab' | 'emulator' | 'posts'>;

/**
 * The session, with the page configured by `settings`: resolves once every event is delivered or reported
 * dropped (or fails saying which are missing), with what the emulator saw.
 */
async function session({ open, tab: page, emulator, posts }: Fixtures, settings: string, rounds = ROUNDS) {
  await open({ path: '/chaos', head: chaosPage(settings) });
  const url = await page.url();

  // when pages were being left: [start, end] in the emulator's clock (it runs in this process)
  const leaving: [number, number][] = [];
  for (const [label, fault, stay, leave, calls = 40] of rounds) {
    if (fault) emulator.setFault(fault);
    await page.evaluate(([label, calls]) => (window as any).burst(label, calls), [label, calls] as const);
    // with no stay, the calls just made are still in flight, or not even sent, when the page goes
    if (stay) await page.waitForTimeout(stay);
    const start = Date.now();
    await (leave == 'goto' ? page.goto(url) : page.reload());
    leaving.push([start, Date.now()]);
    await tagLive(page);
  }

  // the network goes away entirely for a while, with calls made meanwhile
  await page.setOffline!(true);
  await page.evaluate(() => (window as any).burst('offline', 40));
  await page.waitForTimeout(1500);
  await page.setOffline!(false);
  await page.reload();

  emulator.clearFaults();
  const sent: string[] = await page.evaluate(() => JSON.parse(sessionStorage.getItem('sent') || '[]'));
  const dropped = new Set<string>(await page.evaluate(() => JSON.parse(sessionStorage.getItem('dropped') || '[]')));
  const accepted = () => posts().filter((entry: LogEntry) => entry.status == 200 && entry.body.event == 'chaos');
  const delivered = () => new Set(accepted().map((entry) => `${entry.body.seq} ${entry.body.uuid}`));
  // every event delivered with its own uuid, or reported dropped
  const missing = () => sent.filter((event) => !delivered().has(event) && !dropped.has(event.split(' ')[1]));
  await expect
    .poll(() => missing(), { timeout: 90_000, intervals: [1000] })
    .toEqual([])
    .catch((error) => {
      // what the service saw of each missing event, to tell a loss from a slow resend
      for (const event of missing()) {
        const seen = posts().filter((entry) => entry.body.uuid == event.split(' ')[1]);
        console.log('missing', event, seen.map((entry) => `${entry.t - posts()[0].t}ms:${entry.status}`).join(' '));
      }
      console.log('pages left at', JSON.stringify(leaving.map(([start]) => start - posts()[0].t)));
      throw error;
    });
  await page.waitForTimeout(1000); // a late resend would show up as a duplicate here

  const uuids = accepted().map((entry) => entry.body.uuid as string);
  return {
    sent,
    dropped,
    leaving,
    accepted: accepted(),
    seqs: new Set(accepted().map((entry) => entry.body.seq as string)),
    delivered: delivered(),
    duplicates: uuids.length - new Set(uuids).size,
    attempts: posts().filter((entry) => entry.body.event == 'chaos').length,
  };
}

/** The figures README.md quotes, one line per mode. */
function report(mode: string, run: Awaited<ReturnType<typeof session>>, atProxy: number | string) {
  console.log(
    `chaos, ${mode} mode: sent ${run.sent.length}, delivered ${run.seqs.size}, duplicates at the proxy ${atProxy}, ` +
      `duplicates at the emulator ${run.duplicates}, dropped ${run.dropped.size}, attempts the service saw ${run.attempts}`,
  );
}

test('no event lost, none sent twice but what was in flight at a page exit (direct mode)', async ({ open, tab, emulator, posts }) => {
  test.skip(!tab.setOffline, 'WebDriver classic cannot take WebKit offline');
  test.setTimeout(200_000);
  const run = await session({ open, tab, emulator, posts }, config({ pageview: false, timeout: 1000 }));
  report('direct', run, '-');
  // one uuid per event
  expect(run.delivered.size).toBe(run.seqs.size);
  // The one case the browser leaves unknowable: a request in flight while the page is left, when the service was
  // failing just before. Such an event is delivered, its answer never read, and sent again after its claim
  // lapses. At most PARALLEL (4) per page left; any other second delivery is a bug.
  const firstDelivery = new Map<string, number>();
  const unexplained = run.accepted.filter((entry) => {
    const first = firstDelivery.get(entry.body.uuid as string);
    if (first === undefined) return void firstDelivery.set(entry.body.uuid as string, entry.t);
    // an answer on its way back as the navigation starts is read by no page: 100 ms before it counts too
    return !run.leaving.some(([start, end]) => first >= start - 100 && first <= end + 200);
  });
  expect(unexplained.map((entry) => entry.body.seq)).toEqual([]);
  expect(run.duplicates).toBeLessThanOrEqual(4 * run.leaving.length);
});

// Chromium only: the browser whose direct run has duplicates to remove (Firefox's has none), and the proxy's work is
// the server's, the same whichever browser sent the arrivals
test('exactly once through two proxy instances sharing one Redis (proxy mode, Chromium only)', async ({ open, tab, emulator, posts, server }) => {
  test.setTimeout(200_000);
  const cluster = await startCluster(server);
  try {
    const proxied = JSON.stringify({ database: 'demo_db', table: 'pageviews', endpoint: '/p13n', pageview: false, timeout: 1000 });
    const run = await session({ open, tab, emulator, posts }, proxied, PROXY_ROUNDS);
    report('proxy', run, cluster.stats.duplicates);
    expect(run.delivered.size).toBe(run.seqs.size);
    // the outbox's bound (200 events, 256 KiB) must not be what the rounds test: which ones were dropped, if any
    expect(run.sent.filter((event) => run.dropped.has(event.split(' ')[1])).map((event) => event.split(' ')[0])).toEqual([]);
    // the instances answered every later arrival from Redis
    expect(run.duplicates).toBe(0);
  } finally {
    await cluster.stop();
  }
});
