// The counting behind the demo's report page (report.js), kept apart so Node tests it (demo/report.test.mjs): the
// measurement events of the log, per offer and group, as the README's SQL counts them in Treasure Data.

/** The offers an event names, whatever shape a page or a test put there. */
const names = (list) => (Array.isArray(list) ? list.filter((name) => typeof name === 'string') : []);

/**
 * `bodies`: the events as posted. Returns a row per offer and group, in offer order (treated first), and the
 * number of measurement events: impressions (events naming the offer), distinct visitors seen, clicks, CTR
 * (clicks per impression), dismissals, visitors converted (a `purchase` naming the offer in `p13n_exposures`),
 * their rate, and for the treated row the lift over the holdout row, when both have visitors.
 */
export function report(bodies) {
  const rows = new Map();
  const row = (offer, group) => {
    const key = offer + ' ' + group;
    if (!rows.has(key)) rows.set(key, { offer, group, impressions: 0, seen: new Set(), clicks: 0, dismissals: 0, bought: new Set() });
    return rows.get(key);
  };
  // the group each visitor saw each offer in: a purchase counts toward it
  const groupOf = new Map();
  let events = 0;
  for (const body of bodies) {
    if (!/^p13n_/.test(body.event)) continue;
    events++;
    for (const offer of names(body.p13n_offers)) {
      const at = row(offer, body.p13n_group === 'holdout' ? 'holdout' : 'treated');
      if (body.event === 'p13n_impression') {
        at.impressions++;
        at.seen.add(body.td_client_id);
        groupOf.set(body.td_client_id + ' ' + offer, at);
      } else if (body.event === 'p13n_click') at.clicks++;
      else if (body.event === 'p13n_dismiss') at.dismissals++;
    }
  }
  for (const body of bodies) {
    if (body.event !== 'purchase') continue;
    for (const offer of names(body.p13n_exposures)) {
      const at = groupOf.get(body.td_client_id + ' ' + offer);
      if (at) at.bought.add(body.td_client_id);
    }
  }
  const done = [...rows.values()]
    .sort((a, b) => (a.offer < b.offer ? -1 : a.offer > b.offer ? 1 : a.group === 'treated' ? -1 : 1))
    .map(({ seen, bought, ...counts }) => ({
      ...counts,
      visitors: seen.size,
      ctr: counts.impressions ? counts.clicks / counts.impressions : NaN,
      converted: bought.size,
      conversionRate: seen.size ? bought.size / seen.size : NaN,
    }));
  for (const treated of done.filter((r) => r.group === 'treated')) {
    const holdout = done.find((r) => r.offer === treated.offer && r.group === 'holdout');
    if (holdout && holdout.conversionRate > 0) treated.lift = treated.conversionRate / holdout.conversionRate - 1;
  }
  return { rows: done, events };
}
