// Turns the measurements into Markdown tables: printed as they are (aligned, so they read well in a terminal)
// and written to bench/RESULTS.md. Medians, with the 25th-75th percentiles where the spread matters.
import { COMPARED, TARGET_HALF_WIDTH } from './cost.mjs';
import { paired, ratioInterval } from './interval.mjs';
import { median, quantile } from './measure.mjs';

const group = (n) => Math.round(n).toLocaleString('en-US');
export const fmt = {
  bytes: (n) => `${group(n)} B`,
  kib: (n) => `${(n / 1024).toFixed(Math.abs(n) < 10 * 1024 ? 1 : 0)} KiB`,
  ms: (n) => (!Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(Math.abs(n) < 10 ? 2 : 1)} ms`),
  ratio: (a, b) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a'),
  count: (n) => (Number.isInteger(n) ? group(n) : n.toFixed(1)),
};

/** `median (p25–p75)` of `values`, each formatted by `format`. */
export function spread(values, format = fmt.ms) {
  return `${format(median(values))} (${format(quantile(values, 0.25)).replace(/ \w+$/, '')}–${format(quantile(values, 0.75))})`;
}

/** An aligned Markdown table. */
export function table(head, rows) {
  const all = [head, ...rows].map((row) => row.map(String));
  const widths = head.map((_, i) => Math.max(3, ...all.map((row) => row[i].length)));
  const line = (row) => '| ' + row.map((cell, i) => (i ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : ':' + '-'.repeat(w + 1))).join('|') + '|';
  return [line(all[0]), rule, ...all.slice(1).map(line)].join('\n');
}

const pick = (runs, key) => runs.map((run) => run[key]);

export function bytesSection(sizes) {
  const rows = ['raw', 'gzip', 'brotli'].map((kind) => [
    { raw: 'raw', gzip: 'gzip -9', brotli: 'brotli (q 11)' }[kind],
    fmt.bytes(sizes.p13n[kind]),
    fmt.bytes(sizes.td[kind]),
    fmt.ratio(sizes.p13n[kind], sizes.td[kind]),
  ]);
  return table(['bundle bytes', 'p13n-tag', 'td-js-sdk', 'p13n / td'], rows);
}

/** A ratio and its 95% interval (interval.mjs): `0.49× (0.45–0.53)`. */
export const withInterval = ({ ratio, low, high }) => `${ratio.toFixed(2)}× (${low.toFixed(2)}–${high.toFixed(2)})`;

/** Page `name`'s cost in `runs`: the median over rounds of its load less that round's page without a tag. */
const pairedMedian = (runs, name, key) => (runs[name] ? median(paired(runs, name, key)) : NaN);

/**
 * Main-thread time until the request is issued and heap after init, each page's less the page without a tag of the
 * same round; the ratios to td-js-sdk with their 95% intervals.
 */
export function costSection(cost) {
  const rows = [];
  for (const [throttle, runs] of Object.entries(cost)) {
    const cpu = throttle === '1' ? 'no throttling' : `${throttle}x CPU throttling`;
    const count = runs.p13n.length;
    for (const [key, label] of [['task', 'main thread, all tasks (TaskDuration)'], ['script', 'of which ScriptDuration (no promise callbacks)']]) {
      const [p13n, attr, early, td, floor] = ['p13n', 'p13nAttr', 'early', 'td', 'floor'].map((name) => pairedMedian(runs, name, key));
      const ratios = COMPARED.map(([a, b]) => withInterval(ratioInterval(runs, a, b, key)));
      rows.push([`${label}, ${cpu} (${count} rounds)`, fmt.ms(p13n), fmt.ms(attr), fmt.ms(early), fmt.ms(td), ...ratios, fmt.ms(floor), fmt.ms(median(pick(runs.none, key)))]);
    }
    if (throttle === '1') {
      const [p13n, attr, early, td, floor] = ['p13n', 'p13nAttr', 'early', 'td', 'floor'].map((name) => pairedMedian(runs, name, 'heap'));
      rows.push(['JS heap after init, after GC', fmt.kib(p13n), fmt.kib(attr), fmt.kib(early), fmt.kib(td), fmt.ratio(p13n, td), fmt.ratio(attr, td), fmt.ratio(early, td), fmt.kib(floor), fmt.kib(median(pick(runs.none, 'heap')))]);
    }
  }
  const head = ['until the request is issued (median over rounds, less the same round\'s page without a tag)', 'p13n-tag (snippet)', 'p13n-tag (data-p13n-init)'];
  return table([...head, 'early snippet, until its request (bundle held back)', 'td-js-sdk', 'snippet / td (95% interval)', 'data-p13n-init / td (95% interval)', 'early until its request / td (95% interval)', 'floor (bench/floor.js)', 'page without a tag (empty async script)'], rows);
}

/** How precise the main-thread ratios are: per throttling rate, the rounds taken and the widest interval, against the target. */
export function precisionNote(cost) {
  return Object.entries(cost)
    .map(([throttle, runs]) => {
      const widest = Math.max(...COMPARED.map(([a, b]) => ratioInterval(runs, a, b).halfWidth));
      const cpu = throttle === '1' ? 'Without throttling' : `Under ${throttle}x CPU throttling`;
      const verdict = widest <= TARGET_HALF_WIDTH
        ? `within the target of ±${TARGET_HALF_WIDTH * 100}%: a change of 10% shows`
        : `**not** within the target of ±${TARGET_HALF_WIDTH * 100}%: a change of 10% does not show at this rate, only one of about ${Math.ceil(widest * 200)}% does`;
      return `${cpu}, ${runs.p13n.length} rounds left the widest of the three TaskDuration ratios at ±${(widest * 100).toFixed(1)}%, ${verdict}.`;
    })
    .join(' ');
}

/** Time to offers and requests per page view, cold (fresh context), for both tags. */
export function timeSection(network, blankHeap) {
  const { p13n, td } = network;
  const at = (runs, key, from) => runs.map((run) => run[key] - (from ? run[from] : 0));
  const row = (label, key, from) => {
    const [mine, theirs] = [at(p13n, key, from), at(td, key, from)];
    return [label, spread(mine), spread(theirs), fmt.ratio(median(mine), median(theirs))];
  };
  return table(['cold page load (median (p25–p75))', 'p13n-tag', 'td-js-sdk', 'p13n / td'], [
    row('navigation start → request issued (fetch called)', 'request'),
    row('navigation start → offers in page code', 'offers'),
    row('navigation start → slot shown', 'slot'),
    row('request issued → offers in page code', 'offers', 'request'),
  ]) + '\n\n' + requestsTable({ 'p13n-tag': p13n, 'td-js-sdk': td }, blankHeap);
}

function requestsTable(variants, blankHeap) {
  const stat = (runs, get) => median(runs.map((run) => get(run.stats)));
  const rows = [
    ['API preflights (OPTIONS)', (s) => s.api.OPTIONS],
    ['API POSTs', (s) => s.api.POST],
    ['new connections to the API (TLS handshakes)', (s) => s.connections.api],
    ['site requests (page, bundle)', (s) => s.site],
  ].map(([label, get]) => [label, ...Object.values(variants).map((runs) => fmt.count(stat(runs, get)))]);
  const heap = (runs) => fmt.kib(median(pick(runs, 'heap')) - blankHeap);
  rows.push(['JS heap after the slot shows, after GC, less a page without a tag', ...Object.values(variants).map(heap)]);
  return table(['per page view (counted at the server, median)', ...Object.keys(variants)], rows);
}

/** The latency levers: before (baseline) and after, with the network floor each can reach. */
export function leverSection(network, rttMs) {
  const offers = (runs) => median(runs.map((run) => run.offers));
  const afterRequest = (runs) => median(runs.map((run) => run.offers - run.request));
  const base = offers(network.p13n);
  const levers = [
    ['p13n-tag, async snippet (baseline)', 'p13n', 'connect 2 + preflight 1 + POST 1', 4],
    ['+ `<link rel="preconnect" href="API origin" crossorigin>`', 'preconnect', 'preflight 1 + POST 1, connected early', 2],
    [
      "first-party proxy `/p13n` (same origin: no preflight, `credentials: 'same-origin'`)", 'proxy',
      "POST 1 on the page's connection + proxy to API 1", 2,
    ],
    ['warm: second page view in the same context (preflight cached)', 'warm', 'POST 1', 1],
    ['plain `<script src>` instead of the async snippet', 'script', 'connect 2 + preflight 1 + POST 1', 4],
    ['td-js-sdk, cold (for reference)', 'td', 'connect 2 + preflight 1 + connect 2 + POST 1', 6],
    ['td-js-sdk, warm (for reference)', 'tdWarm', 'POST 1', 1],
  ];
  const rows = levers.map(([label, key, floor, rtts]) => {
    const runs = network[key];
    const after = afterRequest(runs);
    return [
      label,
      fmt.ms(offers(runs)),
      key === 'p13n' ? '' : `${offers(runs) - base > 0 ? '+' : ''}${fmt.ms(offers(runs) - base)}`,
      fmt.ms(median(runs.map((run) => run.request))),
      fmt.ms(after),
      `${rtts * rttMs} ms: ${floor}`,
      fmt.count(median(runs.map((run) => run.stats.api.OPTIONS))),
      `${fmt.count(median(runs.map((run) => run.stats.connections.site)))} + ${fmt.count(median(runs.map((run) => run.stats.connections.api)))}`,
    ];
  });
  const head = ['lever (median)', 'nav → offers', 'vs baseline', 'nav → request', 'request → offers'];
  return table([...head, 'network floor after the request (RTTs)', 'preflights', 'new connections: site + API'], rows);
}

/**
 * The early snippet's rows: each case, the round trips that must pass after the HTML is in before the offers can
 * be (its network floor), and how far above that it was. `floor`: RTTs after the HTML response's end; `td`: the
 * td-js-sdk row it is compared with (direct, its bundle from the same origin); `goal`: the ratio to reach.
 */
export const EARLY_ROWS = [
  { key: 'p13n', snippet: 'today', from: 'site', mode: 'direct', floor: 5, path: 'bundle 1 + connect 2 + preflight 1 + POST 1', td: 'td' },
  { key: 'preconnect', snippet: 'today', from: 'site', mode: 'direct + preconnect API', floor: 4, path: 'bundle 1 (connect 2 alongside) + preflight 1 + POST 1', td: 'td' },
  { key: 'proxy', snippet: 'today', from: 'site', mode: 'proxy', floor: 3, path: 'bundle 1 + POST 1 + proxy→API 1', td: 'td' },
  { key: 'early', snippet: 'early', from: 'site', mode: 'direct', floor: 4, path: 'connect 2 + preflight 1 + POST 1 (bundle 1 alongside)', td: 'td', goal: 0.7 },
  { key: 'earlyPreconnect', snippet: 'early', from: 'site', mode: 'direct + preconnect API', floor: 4, path: 'connect 2 + preflight 1 + POST 1 (the hint starts with the snippet)', td: 'td', goal: 0.7 },
  { key: 'earlyProxy', snippet: 'early', from: 'site', mode: 'proxy', floor: 2, path: 'POST 1 + proxy→API 1 (bundle 1 alongside)', td: 'td', goal: 0.5 },
  { key: 'cdn', snippet: 'today', from: 'CDN', mode: 'direct', floor: 7, path: 'CDN connect 2 + bundle 1 + connect 2 + preflight 1 + POST 1', td: 'tdCdn' },
  { key: 'cdnPreconnect', snippet: 'today', from: 'CDN', mode: 'direct + preconnect API', floor: 5, path: 'CDN connect 2 + bundle 1 (connect 2 alongside) + preflight 1 + POST 1', td: 'tdCdn' },
  { key: 'cdnProxy', snippet: 'today', from: 'CDN', mode: 'proxy', floor: 5, path: 'CDN connect 2 + bundle 1 + POST 1 + proxy→API 1', td: 'tdCdn' },
  { key: 'earlyCdn', snippet: 'early', from: 'CDN', mode: 'direct', floor: 4, path: 'connect 2 + preflight 1 + POST 1 (CDN connect 2 + bundle 1 alongside)', td: 'tdCdn', goal: 0.7 },
  { key: 'earlyCdnPreconnect', snippet: 'early', from: 'CDN', mode: 'direct + preconnect API and CDN', floor: 4, path: 'connect 2 + preflight 1 + POST 1 (the hints start with the snippet)', td: 'tdCdn', goal: 0.7 },
  { key: 'earlyCdnProxy', snippet: 'early', from: 'CDN', mode: 'proxy', floor: 3, path: 'CDN connect 2 + bundle 1 (POST 1 + proxy→API 1 alongside)', td: 'tdCdn', goal: 0.5 },
  { key: 'td', snippet: 'td-js-sdk', from: 'site', mode: 'direct', floor: 7, path: 'bundle 1 + connect 2 + preflight 1 + connect 2 + POST 1' },
  { key: 'tdCdn', snippet: 'td-js-sdk', from: 'CDN', mode: 'direct', floor: 9, path: 'CDN connect 2 + bundle 1 + connect 2 + preflight 1 + connect 2 + POST 1' },
  { key: 'fetchOnly', snippet: 'no tag, inline fetch only', from: '', mode: 'direct', floor: 4, path: 'connect 2 + preflight 1 + POST 1' },
  { key: 'fetchOnlyProxy', snippet: 'no tag, inline fetch only', from: '', mode: 'proxy', floor: 2, path: 'POST 1 + proxy→API 1' },
];
/** The fetch-only row a row's overhead is set against: the one of its API mode. */
const fetchRow = (row) => EARLY_ROWS.find((other) => other.key === (row.mode === 'proxy' ? 'fetchOnlyProxy' : 'fetchOnly'));
/** Within how many ms of its network floor an early row is to be. */
export const FLOOR_GOAL_MS = 10;

/**
 * One early row's numbers: medians of nav → offers, of page running (the `head` mark) → offers, its distance to
 * the floor (`over`), and that less the fetch-only page's (`own`, the tag's share).
 */
export function earlyRow(network, row, rttMs) {
  const runs = network[row.key];
  const at = (key, from) => median(runs.map((run) => run[key] - (from ? run[from] : 0)));
  const offers = at('offers');
  const td = row.td ? median(network[row.td].map((run) => run.offers)) : NaN;
  const over = at('offers', 'head') - row.floor * rttMs;
  const base = fetchRow(row);
  const own = base === row ? NaN : over - (median(network[base.key].map((run) => run.offers - run.head)) - base.floor * rttMs);
  return { runs, offers, ratio: offers / td, over, own, at };
}

export function earlySection(network, rttMs) {
  const rows = EARLY_ROWS.map((row) => {
    const { runs, offers, ratio, over, own, at } = earlyRow(network, row, rttMs);
    const goal = row.goal ? ` (goal ≤ ${row.goal.toFixed(2)}×: ${ratio <= row.goal ? 'met' : 'not met'})` : '';
    const near = row.goal ? ` (${over <= FLOOR_GOAL_MS ? 'met' : 'not met'})` : '';
    const count = (get) => fmt.count(median(runs.map((run) => get(run.stats))));
    const signed = (n) => (Number.isFinite(n) ? `${n > 0 ? '+' : ''}${fmt.ms(n)}` : '');
    return [
      [row.snippet, row.from && `bundle from ${row.from}`, row.mode].filter(Boolean).join(', '),
      fmt.count(runs.length),
      fmt.ms(at('html')),
      fmt.ms(at('head')),
      row.key.startsWith('fetchOnly') ? '' : fmt.ms(at('bundleEnd')),
      fmt.ms(at('request')),
      fmt.ms(at('responseEnd')),
      fmt.ms(offers),
      row.td ? fmt.ratio(ratio, 1) + goal : '',
      `${row.floor} = ${row.floor * rttMs} ms: ${row.path}`,
      fmt.ms(at('offers', 'head')),
      signed(over) + near,
      signed(own),
      `${count((s) => s.connections.site)} + ${count((s) => s.connections.cdn)} + ${count((s) => s.connections.api)}`,
      count((s) => s.api.OPTIONS),
    ];
  });
  const head = ['cold page view (median)', 'loads', 'nav → HTML in', 'nav → page runs', 'nav → bundle in', 'nav → request', 'nav → answer in', 'nav → offers'];
  return table([...head, 'vs td-js-sdk direct, bundle from the same origin', 'network floor from when the page runs (RTTs)', 'page runs → offers', 'over the floor', "less the fetch-only page's", 'new connections: site + CDN + API', 'preflights'], rows);
}

/** The goals, one line each: the early snippet's rows against td-js-sdk and against their floors. */
export function earlyGoals(network, rttMs) {
  return EARLY_ROWS.filter((row) => row.goal).map((row) => {
    const { ratio, over, own } = earlyRow(network, row, rttMs);
    const vs = row.td === 'tdCdn' ? "td-js-sdk's bundle from the CDN" : "td-js-sdk's bundle from the site";
    return `- early snippet, bundle from the ${row.from === 'CDN' ? 'CDN' : 'site'}, ${row.mode}: ${fmt.ratio(ratio, 1)} of ${vs} ` +
      `(goal ≤ ${row.goal.toFixed(2)}×: **${ratio <= row.goal ? 'met' : 'not met'}**), ${fmt.ms(over)} over its floor of ${row.floor} RTTs ` +
      `(goal ≤ ${FLOOR_GOAL_MS} ms: **${over <= FLOOR_GOAL_MS ? 'met' : 'not met'}**; ${fmt.ms(own)} more than the fetch-only page's)`;
  }).join('\n');
}

/** What the early snippet's table shows, in numbers of this run (what a reader should not have to work out). */
export function earlyFindings(network, cost, rttMs) {
  const at = (key, to, from) => median(network[key].map((run) => run[to] - (from ? run[from] : 0)));
  const td = at('td', 'offers');
  const snippetRun = at('early', 'request', 'head');
  const fetchRun = at('fetchOnly', 'request', 'head');
  const mainThread = pairedMedian(cost[1], 'early', 'task');
  const cdnConnections = median(network.earlyCdnPreconnect.map((run) => run.stats.connections.cdn));
  const over = (key) => earlyRow(network, EARLY_ROWS.find((row) => row.key === key), rttMs).over;
  const [direct, proxy] = [over('fetchOnly'), over('fetchOnlyProxy')];
  const proxyRatio = at('fetchOnlyProxy', 'offers') / td;
  return [
    `- **The bench's own overhead**: the fetch-only page, with no tag, is ${fmt.ms(direct)} over the floor direct and ` +
      `${fmt.ms(proxy)} through the proxy` +
      (Math.min(direct, proxy) > FLOOR_GOAL_MS ? `, so here no page at all gets within ${FLOOR_GOAL_MS} ms of it.` : '.'),
    `- **The proxy goal against what any page can do**: the fetch-only proxy page takes ${fmt.ratio(proxyRatio, 1)} ` +
      `of td-js-sdk's time, since both share the ${fmt.ms(at('td', 'head'))} before the page runs (connect, HTML, the renderer's start)` +
      (proxyRatio > 0.45 ? ': 0.50× leaves a tag next to nothing of its own.' : '.'),
    `- **Most of the early snippet's own share is its inline run**: from "page runs" to its request ${fmt.ms(snippetRun)} ` +
      `(the fetch-only page: ${fmt.ms(fetchRun)}), in the bare Chromium too, so it is not DevTools' doing; ` +
      `the snippet's main-thread CPU time until its request is ${fmt.ms(mainThread)} (the main-thread table's early column). From the answer to the offers (the bundle reading it and rendering): ` +
      `${fmt.ms(at('early', 'offers', 'responseEnd'))} from the site, ${fmt.ms(at('earlyCdnProxy', 'offers', 'bundleEnd'))} from the bundle's arrival ` +
      `where it comes last (CDN, proxy).`,
    `- **Preconnect**: with the early snippet, no hint helps (its request and its bundle start from the head within a ` +
      `few ms of where a hint would); the CDN hint even opened a second CDN connection (${fmt.count(cdnConnections)} in that row). ` +
      `With today's snippet and a CDN, the API hint is the one that pays: ` +
      `${fmt.ms(at('cdn', 'offers') - at('cdnPreconnect', 'offers'))} sooner (the API connection opens while the bundle comes).`,
  ].join('\n');
}

export function offersSection(offers) {
  const cases = Object.values(offers);
  const render = (runs) => median(pick(runs, 'render'));
  const heap = (runs) => median(pick(runs, 'heap'));
  const first = cases[0];
  const rows = cases.map((runs) => {
    const { offers: n, slots } = runs[0];
    const extra = slots === n && n > first[0].offers ? n - first[0].offers : 0;
    return [
      `${n} (${slots} ${slots === 1 ? 'slot' : 'slots'} on the page)`,
      spread(pick(runs, 'render')),
      extra ? fmt.ms((render(runs) - render(first)) / extra) : '',
      fmt.kib(heap(runs)),
      extra ? fmt.bytes((heap(runs) - heap(first)) / extra) : '',
    ];
  });
  const head = ['offers in the response', 'response → offers handler (slots rendered)', 'per extra offer + slot'];
  return table([...head, 'JS heap after GC', 'per extra offer + slot'], rows);
}

export function attributesSection(attributes) {
  const sizes = Object.keys(attributes).map(Number);
  const first = sizes[0];
  const build = (size) => median(pick(attributes[size], 'build'));
  const rows = sizes.map((size) => [
    fmt.bytes(size),
    fmt.bytes(median(pick(attributes[size], 'eventBytes'))),
    spread(pick(attributes[size], 'build')),
    size === first ? '' : fmt.ms(((build(size) - build(first)) / (size - first)) * 1024),
  ]);
  return table(['attributes (JSON)', 'event sent (JSON)', 'personalize() → fetch()', 'per extra KiB'], rows);
}

export function outboxSection(outbox, emptyWaitMs) {
  const base = (key) => median(pick(outbox[0], key));
  const rows = Object.keys(outbox).filter((key) => key !== '0').map((key) => {
    const n = parseInt(key, 10);
    const runs = outbox[key];
    const delivered = median(pick(runs, 'delivered'));
    const left = median(pick(runs, 'left'));
    const delivery = median(pick(runs, 'delivery'));
    const task = median(pick(runs, 'task')) - base('task');
    return [
      key.endsWith(' list') ? `${fmt.count(n)} (one list, as 0.1 left them)` : fmt.count(n),
      fmt.count(delivered),
      fmt.count(left),
      fmt.count(Math.max(0, n - delivered - left)),
      fmt.count(Math.max(...pick(runs, 'duplicates'))),
      fmt.count(median(pick(runs, 'preflights'))),
      fmt.ms(delivery),
      Number.isFinite(median(pick(runs, 'empty'))) ? fmt.ms(median(pick(runs, 'empty'))) : `not within ${emptyWaitMs / 1000} s more`,
      `${(delivered / (delivery / 1000)).toFixed(0)}/s`,
      fmt.ms(task),
      fmt.ms(task / delivered),
    ];
  });
  const head = ['events seeded', 'delivered', 'left in storage', 'dropped', 'duplicates', 'preflights'];
  return table([...head, 'navigation → last delivered', 'navigation → outbox empty', 'rate', 'main thread (tasks)', 'per event'], rows);
}

export function spaSection(points) {
  const rows = points.map((point, i) => {
    const previous = points[i - 1];
    const routes = previous ? point.routes - previous.routes : 0;
    return [
      fmt.count(point.routes),
      fmt.count(point.posts),
      fmt.kib(point.heap),
      previous ? fmt.kib(point.heap - previous.heap) : '',
      routes ? fmt.bytes((point.heap - previous.heap) / routes) : '',
      routes ? fmt.ms(point.task / routes) : '',
    ];
  });
  return table(['route changes', 'POSTs so far', 'JS heap after GC', 'growth since previous', 'per route', 'main thread per route (tasks)'], rows);
}

/** Route change → offers in a single-page app: td-js-sdk sends no page view on a route change. */
export function spaRoutesSection(routes, titleAfterMs) {
  const rows = [
    [`the app sets the route's title ${titleAfterMs} ms after the URL`, routes.titled],
    ["the title never changes: the app's first route (the tag waits for a title once)", routes.untitledFirst],
    ['the title never changes: the next route (no wait)', routes.untitledSecond],
  ].map(([label, times]) => [label, `${fmt.ms(median(times))} (${times.length} routes)`, 'n/a (no single-page-app support)']);
  return table(['pushState → p13n:offers of that route (median)', 'p13n-tag', 'td-js-sdk'], rows);
}

/** The headline numbers of every table, both tags side by side. */
export function summarySection({ sizes, cost, network }) {
  const net = (throttle, name, key) => pairedMedian(cost[throttle], name, key);
  const at = (runs, key, from) => median(runs.map((run) => run[key] - (from ? run[from] : 0)));
  const row = (label, p13n, td, format) => [label, format(p13n), format(td), fmt.ratio(p13n, td)];
  return table(['at a glance (medians; main thread: 95% interval)', 'p13n-tag', 'td-js-sdk', 'p13n / td'], [
    row('bundle, gzip -9', sizes.p13n.gzip, sizes.td.gzip, fmt.bytes),
    [...row('main thread until the request, no throttling', net(1, 'p13n', 'task'), net(1, 'td', 'task'), fmt.ms).slice(0, 3), withInterval(ratioInterval(cost[1], 'p13n', 'td'))],
    [...row('main thread until the request, 4x CPU throttling', net(4, 'p13n', 'task'), net(4, 'td', 'task'), fmt.ms).slice(0, 3), withInterval(ratioInterval(cost[4], 'p13n', 'td'))],
    row('JS heap after init', net(1, 'p13n', 'heap'), net(1, 'td', 'heap'), fmt.kib),
    row('cold page view: navigation → offers in page code', at(network.p13n, 'offers'), at(network.td, 'offers'), fmt.ms),
    row('cold page view: request issued → offers', at(network.p13n, 'offers', 'request'), at(network.td, 'offers', 'request'), fmt.ms),
    row('cold, the early snippet: navigation → offers', at(network.early, 'offers'), at(network.td, 'offers'), fmt.ms),
    row('cold, the early snippet, first-party proxy (td-js-sdk direct)', at(network.earlyProxy, 'offers'), at(network.td, 'offers'), fmt.ms),
    row('cold, the early snippet, bundles from a CDN origin', at(network.earlyCdn, 'offers'), at(network.tdCdn, 'offers'), fmt.ms),
    row('warm page view: navigation → offers', at(network.warm, 'offers'), at(network.tdWarm, 'offers'), fmt.ms),
  ]);
}

/** How many time-to-offers loads were not done (no slot or offers mark yet) when the bench first read the page. */
export function lateLoads(network) {
  const runs = Object.values(network).flat();
  const late = runs.filter((run) => Math.max(run.offers ?? -1, run.slot ?? -1) > run.readAt).length;
  return `In this run ${late} of ${runs.length} such loads ${late === 1 ? 'was' : 'were'} not done when first read.`;
}

/** bench/RESULTS.md: every table, with what each one measures and how. */
export function document(results, meta) {
  const { sizes, cost, network, offers, attributes, outbox, spa, chromium } = results;
  const { rttMs } = meta;
  const blankHeap = median(pick(network.none, 'heap'));
  return `# p13n-tag vs td-js-sdk ${meta.tdVersion}: benchmark

Measured ${meta.date} in ${meta.seconds} s (load average ${meta.load.map((n) => n.toFixed(1)).join(' → ')}) on
${meta.machine}; Chromium ${chromium} (headless).
p13n-tag: ${meta.tag}.
Page loads: ${meta.loads} per measurement (medians), but ${meta.earlyLoads} for each of the early snippet's new rows;
main thread: rounds of one load of each page, ${meta.costRounds[1].min} to ${meta.costRounds[1].max} without throttling and ${meta.costRounds[4].min} to ${meta.costRounds[4].max} under 4x CPU
throttling (whose window is 1.6 s a load), until every ratio is known to ±5% (see the main-thread table);
${meta.scalingLoads} per scaling run; outbox ${meta.outboxLoads} each, one for 1000 events; single-page app: one run
of ${meta.spaRoutes} route changes.

Reproduce: \`npm ci && npm run bench\` (builds dist/ first, then \`node bench/run.mjs\`; Chromium from
\`CHROMIUM_PATH\`, default \`/usr/bin/chromium\`). \`BENCH_LOADS\`, \`BENCH_MAX_ROUNDS\`, \`BENCH_EARLY_LOADS\`,
\`BENCH_SCALING_LOADS\` and \`BENCH_SPA_ROUTES\` make a quicker, rougher run.

${summarySection(results)}

## How it is set up

- **One Node process, two Chromiums** of one build. **Bare CDP** (\`bench/bare.mjs\`: started here and driven over
  \`--remote-debugging-pipe\`, no automation library in it, a page's session having only the Performance domain
  on): the main-thread table and every time-to-offers table (cold and warm page views, the latency levers, the
  early snippet's table, td-js-sdk's and the fetch-only pages' rows included), so no tag pays for DevTools
  instrumentation in the times measured. **Playwright** (\`bench/measure.mjs\`): the scaling tables (offers per
  response, attribute payloads, outbox, single-page app), which drive the page (storage, route changes) and
  measure within one page.
- **Reading a page without instrumenting it.** In the bare Chromium the marks are read with \`Runtime.evaluate\`,
  without \`Runtime.enable\` (whose instrumentation is what makes pages dearer), and not before the page is done:
  the bench waits at the server for its page view's answer (direct or through the proxy), then ${meta.quietMs} ms,
  and only then evaluates. ${lateLoads(results.network)} (\`node bench/evaluate.mjs\`
  measures what a \`Runtime.evaluate\` during the load would cost.)
- **HTTPS and real CORS.** td-js-sdk's \`fetchPersonalization\` posts to \`https://{endpoint}/public/{db}/{table}\`,
  \`https://\` hard-coded. So the demo's server (\`demo/server.mjs\` \`startServer\`: the emulator, the site, the
  first-party proxy) sits behind an HTTPS front (\`bench/https.mjs\`) with a certificate for \`*.shop.test\` and
  \`*.api.test\` made at start with node:crypto (\`demo/cert.mjs\`), which Chromium trusts by its key hash
  (\`--ignore-certificate-errors-spki-list\`, so the connection counts as valid and caches work as in production).
  \`--host-resolver-rules=MAP *.test 127.0.0.1\`. Pages are on \`https://sN.shop.test:PORT\`, the API on
  \`https://aN.api.test:PORT/public/demo_db/pageviews\` (the front hands it to the emulator): another site, so
  both tags pay a real preflight. p13n-tag: \`endpoint: 'https://aN.api.test:PORT/public'\`; td-js-sdk:
  \`endpoint: 'aN.api.test:PORT'\`.
- **A fresh start per page load.** Each load uses host names of its own (N counts up), so no connection, preflight
  cache entry, HTTP or code cache entry or storage carries over, and cookies are cleared before it; only a "warm"
  load reuses the hosts of the load before it. This runs in one regular profile, not in a fresh incognito context
  per load, because Chromium ignores \`<link rel="preconnect">\` in incognito contexts (what Playwright's
  \`newContext()\` makes), and preconnect is one of the levers.
- **td-js-sdk needs credentials allowed.** It fetches with \`credentials: 'include'\`; the emulator (like the
  contract) never sends \`Access-Control-Allow-Credentials\`, so the front adds \`Access-Control-Allow-Credentials:
  true\` to API answers, as the production API must for td-js-sdk to work at all. p13n-tag
  (\`credentials: 'omit'\`) ignores it. (The front also adds \`Timing-Allow-Origin: *\`, for diagnostics.)
- **Network model: RTT ${rttMs} ms on every hop.** Each API request, preflights included, is answered ${rttMs} ms
  late (the emulator's \`latencyMs\`, which covers OPTIONS); each page, bundle and first-party-proxy request
  ${rttMs} ms late at the front; the proxy's own call to the API pays the emulator's ${rttMs} ms; each new TLS
  connection waits 2 RTT (TCP + TLS 1.3) before its handshake is answered. Bandwidth is not modelled: bundle bytes
  cost no time here (see the byte table). The emulator's preflight answer carries \`Access-Control-Max-Age: 7200\`.
  Main-thread and scaling runs use a second, identical site with no added latency.
- **Pages** (\`bench/pages.mjs\`) load each tag as its docs say: p13n-tag's async snippet (\`src/snippets/short.js\`) with
  \`init\` and an \`offers\` handler; td-js-sdk's loader snippet from its README, \`new Treasure({ database, writeKey
  })\`, \`fetchPersonalization(...)\` with the quickstart's minimal body (\`td_url\`, \`td_path\`), and a success
  callback that renders the slot as p13n-tag would (td-js-sdk renders nothing itself). Both bundles come from the
  page's site, cacheable, as from a CDN, except in the early snippet's table, where some come from a CDN origin of
  their own (\`cN.cdn.test\`). A wrapper around \`fetch\`, installed first, marks when a tag issues its
  request; \`performance.mark\` marks the rest.

## Bundle size

${bytesSection(sizes)}

## Main-thread cost until the request is issued

The API holds every POST (the emulator's \`hang\` fault), so once the POST reached the server nothing the tag does
later can add to it. Performance.getMetrics (CDP) in the main thread's CPU time (\`timeDomain: 'threadTicks'\`,
which other processes on the machine do not inflate), over **one window for every page**: from before the
navigation until ${meta.windowMs} ms after it (times the CPU throttling: ${(meta.windowMs * 4 / 1000).toFixed(1)} s under 4x), or until 30 ms
(times the throttling) after the page's POST reached the server if that is later. **The page without a tag**,
subtracted from every column (its own value in the last one), is the same page with an empty async script where
the tags are (\`<script async src="/cdn/empty.js">\`, its body one newline): so what any async script costs a page
(the element, its request, its load and execute tasks) is not counted against a tag, and the page without a tag is
measured as long as a tagged one (before, it was measured until its DOMContentLoaded, the tagged pages until their
POST some 100 ms later, and the tags paid the async script's overhead besides). **The early snippet's column** is
its cost until its own request: its bundle is held back (the front never answers it), so the window has the inline
snippet's parse, compile and run, and the POST; the bundle's own work comes after the request, as in the first
column. It runs in a Chromium with no
Playwright in it (\`bench/bare.mjs\`), the page's DevTools session having only the Performance domain on (and the
CPU throttling, and HeapProfiler.collectGarbage for the heap): the Page, Runtime, Network and Log domains that
Playwright enables on every page make it pay for DevTools in the very time measured (\`node
bench/instrumentation.mjs\` measures the table both ways). **TaskDuration is the measure
to compare**: every main-thread task, whatever the code style (parsing and compiling the bundle, running it,
promise callbacks, style, layout, GC, IPC). ScriptDuration counts JavaScript entered from a script or an event or
timer callback, but not promise callbacks (microtasks): p13n-tag's init runs mostly in promise callbacks, td-js-sdk
runs synchronously, so ScriptDuration undercounts p13n-tag and is shown only to explain the gap. The heap is
JSHeapUsedSize after HeapProfiler.collectGarbage, at the same point. **The floor** is \`bench/floor.js\`, loaded
async as a tag is: about 20 lines that read the \`_td\` cookie, build the body and post it, with none of a tag's
checks, retries, consent or rendering; what is left between it and p13n-tag is the price of those.

**Each ratio has its 95% interval.** A round loads every page once, in an order shuffled per round; each page's
cost in a round is its load less the same round's page without a tag (paired: what drifts over a run cancels), a
page's figure is the median over rounds, and a ratio of two pages the ratio of those medians; its interval is a
bootstrap over rounds (rounds drawn with replacement, the ratio worked out again 2,000 times, the 2.5th and 97.5th
percentiles; \`bench/interval.mjs\`, seeded, so the same measurements give the same intervals). Rounds go on
until the three ratios to td-js-sdk are each known to ±${TARGET_HALF_WIDTH * 100}% (intervals that a change of 10% would not
overlap), or a most rounds. ${precisionNote(cost)}

${costSection(cost)}

## Time to offers, requests and memory per page view

Cold page loads on the RTT ${rttMs} ms site, in the bare Chromium (\`bench/bare.mjs\`). "Slot shown" is when a MutationObserver sees the slot's \`hidden\` go
(p13n-tag renders before its \`offers\` event, td-js-sdk's page renders in its success callback). p13n-tag sends
the page context (td-js-sdk's page fields, \`td_client_id\`, \`time\`, \`uuid\`), td-js-sdk the fields the page gave
it. td-js-sdk's POST (\`credentials: 'include'\`) cannot use the connection its preflight opened (which carries no
credentials), so it opens a second one.

${timeSection(network, blankHeap)}

## Latency levers (p13n-tag)

The same page with one change each. "Network floor" is the round trips that must follow the request at RTT ${rttMs}
ms; the rest of "request → offers" is server time and the browser's and tag's own work. "nav → request" moves
with how early the tag runs. "New connections" counts TLS handshakes at the server per page view (the site's
include the page's own). The first-party proxy row is the tag as shipped: its request to the page's own origin goes
with \`credentials: 'same-origin'\`, so it uses the page's open connection (Chromium keeps connections with and
without credentials apart; an \`'omit'\` request there would open one of its own).

${leverSection(network, rttMs)}

## The early snippet: cold page view → offers, bundle from the site or a CDN, direct or proxy

The early snippet (\`dist/p13n-early-snippet.js\`, pasted inline) sends the first page view itself the moment the
page calls \`init\`; the bundle, when it arrives, takes the request over (reads its answer, renders, emits
\`offers\`). Every row, today's snippet's, td-js-sdk's and the fetch-only pages' too, is measured in the bare
Chromium (\`bench/bare.mjs\`), as the two tables above, so the ratios compare pages none of which pays for DevTools
instrumentation. Each row is one case, in the same rounds as the tables above (${meta.earlyLoads} loads each for the rows
new here, ${meta.loads} for those above); td-js-sdk is measured the same two ways. **Bundle from the site**:
\`/cdn/p13n.min.js\` on the page's origin, as above. **Bundle from a CDN**: from \`https://cN.cdn.test:PORT/cdn/\`, a
third-party origin of its own (its own TCP + TLS connection, 2 RTT, then 1 RTT for the GET; the same HTTPS front),
td-js-sdk's bundle from the same CDN origin for its row. **Proxy**: \`endpoint: '/p13n'\`, the demo's first-party
proxy on the page's origin (as the proxy lever row); td-js-sdk has no proxy mode, so every row is compared with
td-js-sdk direct, its bundle from the same origin as the row's. **Preconnect**: \`<link rel="preconnect"
href="API origin" crossorigin>\` above the snippet; in the early CDN row also one to the CDN origin (without
\`crossorigin\`: a classic script is fetched with credentials).

**The network floor** is counted from when the page runs: its first script (the harness, first in the head,
before any tag: "nav → page runs"; from "HTML in", Navigation Timing's \`responseEnd\`, to it is the renderer's
own start, the same for every row and no tag's to shorten). It is the round trips at RTT ${rttMs} ms that must
pass after that before the offers can reach page code, on the critical path of each case (what runs "alongside"
is not on it). **"Over the floor" turns it into ms**: the median over the loads of each load's offers less its own
"page runs", less the floor's RTTs × ${rttMs} ms. That is the time spent on anything but the modelled round
trips: parsing and running the snippet and the bundle, reading the answer, rendering, and as well the bench's own
overhead (TLS handshakes and the emulator in one Node process, Chromium's scheduling, this machine's load). To
tell the two apart, **the fetch-only rows** are a page with no tag at all, whose inline script reads the visitor id
from the \`_td\` cookie (as any tag that keeps it in a cookie must before its request: in Chromium a page's first
cookie read waits for a round trip to the network service), posts the body at once and reads the answer's JSON:
the least any page can take here, direct (preflighted) or through the proxy;
"less the fetch-only page's" is a row's distance less theirs (of the same API mode), the tag's own share. The
early snippet's request leaves while the head is parsed, before the bundle is in, so the bundle is on its critical
path only where it comes after the answer (from a CDN, in proxy mode). The first-party proxy's own call to the API
is one RTT (same machine, the emulator's latency). The goals: the early snippet ≤ 0.70× td-js-sdk's time in direct
mode, ≤ 0.50× in proxy mode, and within ${meta.floorGoalMs} ms of its floor.

${earlySection(network, rttMs)}

${earlyGoals(network, rttMs)}

${earlyFindings(network, cost, rttMs)}

## Scaling (p13n-tag)

**Offers per response** (${meta.scalingLoads} loads each, no added latency): from the response's last byte (Resource
Timing \`responseEnd\`) to the \`offers\` handler, which runs after the tag has rendered the slots; the JS heap after
a GC once they show. The last row has 500 slots and one offer: the tag visits every slot on the page (and fires
\`p13n:render\` on it) at each render, offer or not.

${offersSection(offers)}

**Attribute payloads** (${meta.scalingLoads} loads each; \`pageview: false\`, then one \`personalize(attributes)\`
with an array of product objects): from the call to the tag's \`fetch()\`: merging, JSON, size checks.

${attributesSection(attributes)}

**Outbox after an outage** (RTT ${rttMs} ms site; ${meta.outboxLoads} loads each, one for 1000): \`n\` events seeded
as \`src/modules/delivery/outbox.ts\` stores them, one \`localStorage\` record per event under \`'p13n:' + request URL + '#' + id\`
(\`{ id, body, tries: 0, next: 0, lease: 0, at }\`, all due), or, in the last row, as versions before 0.2.0 did, one JSON
list under \`'p13n:' + request URL\`, which the delivery module moves into records as it starts; then a page with the tag
(\`pageview: false\`). "Delivered" is answered 2xx at the API; "left in storage" is what the outbox still held
${meta.emptyWaitMs / 1000} s after the last delivery (delivered events leave storage in batches, under the tabs' lock,
which trail the answers); "dropped" is neither. The outbox's bounds (200 events / 256 KiB) apply when it adds or
retries an event. Main-thread time is from the navigation until the outbox was empty (or the wait ended), less the
same page with an empty outbox; "per event" divides it by the events delivered: flat in the outbox's length is the
goal (each event's storage work touches its own record only).

${outboxSection(outbox, meta.emptyWaitMs)}

**Single-page app** (one run, no added latency): \`spa: true\`, one slot; \`history.pushState\` to a new URL every
60 ms (more than the tag's 50 ms settle time, so each change is one page view, one POST and one render). The JS heap
after a GC at each checkpoint; main-thread time per route includes the page's own pushState loop. Growth that stops
is warm-up (optimized code, the 250-entry Resource Timing buffer filling); a leak keeps growing per route.

${spaSection(spa)}

**Route change → offers** (${meta.scalingLoads} loads, no added latency): the time a route's offers take, from the
app's \`history.pushState\` to the tag's \`p13n:offers\` for that route: the 50 ms settle, then the tag's wait for the
route's title (it sends as soon as the title changes, at most 500 ms after the URL; an app that never changes its
title is waited for once), then the request.

${spaRoutesSection(results.spaRoutes, meta.spaTitleAfterMs)}

## Caveats

- Loopback, not a network: latency is modelled (see above), bandwidth, jitter and loss are not. Absolute times are
  this machine's; compare the tags, and the levers, within one run. Wall-clock times (time to offers, outbox,
  per-offer) move with the machine's load; main-thread times are CPU time and move less. Under 4x throttling they
  spread more.
- Every load is a first visit: bundles are compiled without a code cache, cookies are new.
- td-js-sdk's page sends a smaller body (no page context, no id): its request building is cheaper by design.
- The first-party proxy is the demo's Node proxy on the same machine, with the same RTT to the API as the browser.
- The scaling tables run under Playwright, whose Runtime domain makes a tag's scripts dearer to compile and run
  (5-8 ms a tag at 1x, see the main-thread table); their differences between cases are what they show. The
  main-thread and time-to-offers tables run in the bare Chromium and do not pay it.
- Under 4x CPU throttling every page's main-thread time varies by tens of ms from one load to the next (an
  interquartile range of 12-20 ms on 50-100 ms; a window of 0.7 s rather than ${(meta.windowMs * 4 / 1000).toFixed(1)} s spread as much, so it is
  not idle work falling in the window): the 4x ratios' intervals stay wide (see the main-thread table); compare the
  1x rows, whose intervals are narrow, first.
`;
}
