// The demo's measurement report: impressions, clicks, CTR, dismissals and conversions per offer and group, from the
// emulator's log, as the README's SQL computes them from the table in Treasure Data. report-counts.mjs does the
// counting (its tests are demo/report.test.mjs); this draws it.
import { report } from './report-counts.mjs';

const API = 'http://localhost:' + location.port;
/** A row of one cell across the table, saying `text`. */
const note = (text) => {
  const tr = document.createElement('tr');
  tr.append(Object.assign(document.createElement('td'), { colSpan: 10, className: 'muted', textContent: text }));
  return tr;
};
const percent = (n) => (Number.isFinite(n) ? (n * 100).toFixed(1) + '%' : '–');

async function draw() {
  const log = await (await fetch(API + '/_emulator/log', { cache: 'no-store' })).json();
  const { rows, events } = report(log.filter((entry) => entry.method === 'POST' && entry.body && typeof entry.body === 'object').map((entry) => entry.body));
  const body = document.querySelector('#report tbody');
  body.replaceChildren(
    ...(rows.length
      ? rows.map((row) => {
          const tr = document.createElement('tr');
          for (const cell of [row.offer, row.group, row.impressions, row.visitors, row.clicks, percent(row.ctr), row.dismissals, row.converted, percent(row.conversionRate), row.lift === undefined ? '' : percent(row.lift)]) {
            tr.append(Object.assign(document.createElement('td'), { textContent: String(cell) }));
          }
          return tr;
        })
      : [note('No measurement yet: browse the shop.')]),
  );
  document.querySelector('#totals').textContent = `${events} measurement events in the log (the emulator keeps the last 1,000 requests).`;
}
draw();
setInterval(draw, 2000);
