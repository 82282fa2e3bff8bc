import { config, expect, tagLive, test, type LogEntry } from './fixtures';

/**
 * A visitor session of a few hundred `track` calls while the service drops connections, answers 500 and 429,
 * hangs, and the network goes away, with navigations and reloads right after the calls. At the end every event
 * the page accepted reached the emulator exactly once (by uuid), except those reported as dropped.
 */
const CHAOS_PAGE = `<script src="{{TAG}}"></script><script>
  // what the page accepted and what the tag reported dropped, kept across this tab's navigations
  var load = function (k) { return JSON.parse(sessionStorage.getItem(k) || '[]') };
  var keep = function (k, v) { sessionStorage.setItem(k, JSON.stringify(load(k).concat([v]))) };
  p13n('init', ${config({ pageview: false, timeout: 1000 })});
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
 * page leaves at once only while the service is well: a service that starts failing at the very instant a page
 * is left, before the page can see it, is the one window README.md says can lose what is then in flight.
 */
const ROUNDS: [string, Fault, number, 'goto' | 'reload'][] = [
  ['calm', null, 0, 'goto'],
  ['errors500', { status: 500, code: 9999, forMs: 1500 }, 2500, 'goto'],
  ['throttled', { status: 429, code: 2003, retryAfter: 1, forMs: 1500 }, 300, 'reload'],
  ['dropped', { drop: true, forMs: 1500 }, 2500, 'goto'],
  ['hanging', { hang: true, forMs: 4000 }, 2500, 'reload'],
  ['mixed', { status: 503, times: 25 }, 2500, 'goto'],
  ['calm2', null, 0, 'reload'],
];

test('no event lost or sent twice through faults, outages and navigations', async ({ open, tab: page, emulator, posts }) => {
  test.skip(!page.setOffline, 'WebDriver classic cannot take WebKit offline');
  test.setTimeout(200_000);
  await open({ path: '/chaos', head: CHAOS_PAGE });
  const url = await page.url();

  // when pages were being left: [start, end] in the emulator's clock (it runs in this process)
  const leaving: [number, number][] = [];
  for (const [label, fault, stay, leave] of ROUNDS) {
    if (fault) emulator.setFault(fault);
    await page.evaluate((label) => (window as any).burst(label, 40), label);
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
  const seqs = () => new Set(accepted().map((entry) => entry.body.seq as string));
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
  const duplicates = uuids.length - new Set(uuids).size;
  // The one case the browser leaves unknowable: a request in flight while the page is left, when the service was
  // failing just before. Such an event is delivered, its answer never read, and sent again after its claim
  // lapses. At most PARALLEL (4) per page left; any other second delivery is a bug.
  const firstDelivery = new Map<string, number>();
  const unexplained = accepted().filter((entry) => {
    const first = firstDelivery.get(entry.body.uuid as string);
    if (first === undefined) return void firstDelivery.set(entry.body.uuid as string, entry.t);
    // an answer on its way back as the navigation starts is read by no page: 100 ms before it counts too
    return !leaving.some(([start, end]) => first >= start - 100 && first <= end + 200);
  });
  const attempts = posts().filter((entry) => entry.body.event == 'chaos').length;
  console.log(
    `chaos: sent ${sent.length}, delivered ${seqs().size}, duplicates ${duplicates}, dropped ${dropped.size}, ` +
      `attempts the service saw ${attempts}`,
  );
  // one uuid per event; a second delivery only for what was in flight as a page was left
  expect(delivered().size).toBe(seqs().size);
  expect(unexplained.map((entry) => entry.body.seq)).toEqual([]);
  expect(duplicates).toBeLessThanOrEqual(4 * leaving.length);
});
