import { startRedis } from '../demo/redis.mjs';
import { spawnUntil } from '../demo/spawn.mjs';
import { LEASE_MS } from '../src/seam';
import { config, expect, tagLive, test, type LogEntry } from './fixtures';

/**
 * A visitor session of a few hundred `track` calls while the service drops connections, answers 500 and 429,
 * hangs, and the network goes away, with navigations and reloads right after the calls. Run twice:
 * - direct mode: every event the page accepted reaches the emulator (by uuid), a second time only if it was in
 *   flight as a page was left during a failure;
 * - proxy mode: through two instances of the first-party proxy (demo/proxy.mjs, separate processes) behind the
 *   demo server as their load balancer, deduplicating through one real redis-server: every event exactly once.
 */

/**
 * Every request the tag makes for an event, as this tab's pages saw it, in one sessionStorage key each (kept
 * across navigations): when it began, and how it ended, `ok` (a 2xx read) or `failed` (any other answer, or no
 * answer while the page lived, or as Chromium fails the fetches of a page it unloads), and whether the page was
 * being left then. No `end`: the page was left with the request out.
 */
const observer = `<script>
  (function () {
    var page = Math.random().toString(36).slice(2), n = 0, left = false, pageFetch = fetch;
    addEventListener('pagehide', function () { left = true });
    window.fetch = function (url, init) {
      var answer = pageFetch.apply(this, arguments), uuid;
      try { uuid = JSON.parse(init.body).uuid } catch (e) {}
      if (!uuid) return answer;
      var key = 'request ' + page + ' ' + n++, request = { uuid: uuid, begun: Date.now() };
      var note = function (end) {
        request.end = end; request.at = Date.now(); request.left = left;
        sessionStorage.setItem(key, JSON.stringify(request));
      };
      var failed = function (error) { note('failed'); throw error };
      sessionStorage.setItem(key, JSON.stringify(request));
      return answer.then(function (response) {
        if (!response.ok) return note('failed'), response;
        // the body read here, and handed to the tag as read: 'ok' is noted in the very microtasks the tag hears it in
        return response.text().then(function (text) {
          note('ok');
          response.text = function () { return Promise.resolve(text) };
          return response;
        }, failed);
      }, failed);
    };
  })();
</script>`;
interface Seen {
  uuid: string;
  begun: number;
  end?: 'ok' | 'failed';
  at?: number;
  left?: boolean;
}

const chaosPage = (settings: string) => `${observer}<script src="{{TAG}}"></script><script>
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
 * page leaves at once only while the service is well (or an earlier page saw it fail, as its waiting events tell
 * the next): in direct mode a service that starts failing just as a page is left, before the page can see it,
 * is the one window README.md says can lose what is then in flight. So in direct mode a fault starts only once
 * every request a page was left with has reached the service (see `arrived`).
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
async function startInstance(args: string[]) {
  const instance = await spawnUntil(process.execPath, ['demo/proxy.mjs', ...args], { ready: /p13n proxy instance: (http:\S+)/, name: 'demo/proxy.mjs' });
  return { url: instance.match[1], stop: () => instance.stop() };
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
      for (const instance of instances) void instance.stop(); // not waited for: it finishes what is in flight on its own
      await redis.stop();
    },
  };
}

type Fixtures = Pick<Parameters<Parameters<typeof test>[2]>[0], 'open' | 'tab' | 'emulator' | 'posts'>;
type Tab = Fixtures['tab'];

const requestsSeen = (page: Tab) =>
  page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('request ')).map((key) => JSON.parse(sessionStorage.getItem(key)!))) as Promise<Seen[]>;
const groupBy = <T>(items: T[], key: (item: T) => string) => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), (groups.get(key(item)) || []).concat(item));
  return groups;
};
const countBy = <T>(items: T[], key: (item: T) => string) => new Map([...groupBy(items, key)].map(([name, group]) => [name, group.length]));

/**
 * Waits until every request the pages began has reached the service, but those that failed in a live page (which
 * may never have been sent): the requests a page was left with among them, which it may have counted delivered.
 */
async function arrived(page: Tab, posts: Fixtures['posts']) {
  await expect
    .poll(async () => {
      const sent = countBy((await requestsSeen(page)).filter((seen) => seen.end != 'failed' || seen.left), (seen) => seen.uuid);
      const arrivals = countBy(posts().filter((entry) => entry.body.event == 'chaos'), (entry) => entry.body.uuid as string);
      return [...sent].filter(([uuid, count]) => (arrivals.get(uuid) || 0) < count).map(([uuid]) => uuid);
      // a request refused as its page went (never sent), on a page that kept it, goes again once its claim lapses
    }, { timeout: LEASE_MS + 15_000, message: 'requests out as a page was left never reached the service' })
    .toEqual([]);
}

/**
 * Each event's second request, and later ones, that the tag should not have made: after it read a 2xx for the
 * event, or while an earlier request for it was still out in a page that lived on. What the guarantee allows is a
 * request again after a failure, or after a page was left with one out (its answer read by no page).
 */
function resentWrongly(seen: Seen[]) {
  const wrong: string[] = [];
  for (const [uuid, requests] of groupBy(seen, (request) => request.uuid)) {
    requests.sort((a, b) => a.begun - b.begun);
    for (let i = 1; i < requests.length; i++) {
      const [before, again] = [requests[i - 1], requests[i]];
      const stillOut = before.end == 'failed' && !before.left && before.at! > again.begun;
      if (before.end == 'ok' || stillOut) wrong.push(`${uuid}: ${JSON.stringify(requests)}`);
    }
  }
  return wrong;
}

/**
 * The session, with the page configured by `settings`: resolves once every event is delivered or reported
 * dropped (or fails saying which are missing), with what the emulator saw. `direct`: the page posts to the
 * emulator itself, and a fault waits for what a page was left with (see ROUNDS).
 */
async function session({ open, tab: page, emulator, posts }: Fixtures, settings: string, rounds = ROUNDS, direct = true) {
  await open({ path: '/chaos', head: chaosPage(settings) });
  const url = await page.url();

  // when pages were being left: [start, end] in the emulator's clock (it runs in this process)
  const leaving: [number, number][] = [];
  for (const [label, fault, stay, leave, calls = 40] of rounds) {
    if (fault && direct) await arrived(page, posts);
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
  if (direct) await arrived(page, posts);
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
  // every event confirmed: none waits in the outbox any more (a request out as a page that saw the service fail was
  // left stays there, claimed, until its claim lapses and it is sent again: what a duplicate in direct mode is)
  const waiting = () => page.evaluate(() => Object.keys(localStorage).filter((key) => /^\[\{"id"/.test(localStorage.getItem(key) || '')).length);
  await expect.poll(waiting, { timeout: 60_000, intervals: [1000] }).toBe(0);

  const uuids = accepted().map((entry) => entry.body.uuid as string);
  const seen = await requestsSeen(page);
  const noted = new Set(seen.map((request) => request.uuid));
  return {
    sent,
    dropped,
    leaving,
    resentWrongly: resentWrongly(seen),
    // what the checks of the page's notes stand on: each event delivered was seen leaving the page
    unnoted: uuids.filter((uuid) => !noted.has(uuid)),
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
  // lapses. At most PARALLEL (4) per page left, and never an event whose 2xx a page read.
  expect(run.unnoted).toEqual([]);
  expect(run.resentWrongly).toEqual([]);
  expect(run.duplicates).toBeLessThanOrEqual(4 * run.leaving.length);
});

// Chromium only: the proxy's work is the server's, the same whichever browser sent the arrivals
test('exactly once through two proxy instances sharing one Redis (proxy mode, Chromium only)', async ({ open, tab, emulator, posts, server }) => {
  test.setTimeout(200_000);
  const cluster = await startCluster(server);
  try {
    const proxied = JSON.stringify({ database: 'demo_db', table: 'pageviews', endpoint: '/p13n', pageview: false, timeout: 1000 });
    const run = await session({ open, tab, emulator, posts }, proxied, PROXY_ROUNDS, false);
    report('proxy', run, cluster.stats.duplicates);
    expect(run.delivered.size).toBe(run.seqs.size);
    expect(run.unnoted).toEqual([]);
    expect(run.resentWrongly).toEqual([]);
    // the outbox's bound (200 events, 256 KiB) must not be what the rounds test: which ones were dropped, if any
    expect(run.sent.filter((event) => run.dropped.has(event.split(' ')[1])).map((event) => event.split(' ')[0])).toEqual([]);
    // the instances answered every later arrival from Redis
    expect(run.duplicates).toBe(0);
  } finally {
    await cluster.stop();
  }
});
