// The pages the benchmark loads, and the offer rules behind them. Each page loads one tag the way a site would
// and marks, with performance.mark, the moments the tables report:
//
//   bench:head     the page's first script ran (the harness, first in the head, before any tag)
//   bench:request  the tag called fetch() for the API (a wrapper the page installs before any tag runs)
//   bench:offers   the offers reached page code: p13n-tag's `offers` handler, td-js-sdk's success callback
//   bench:slot     a `data-p13n-offer` slot was shown (a MutationObserver sees its `hidden` removed), by the tag
//                  itself for p13n-tag, by the page's success callback for td-js-sdk, as a site would write it
//
// `window.__bench.promise` settles when the page is done (the slot shown, or the request issued for pages that
// only measure up to it), with an error message if a tag reported one.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_API_KEY, loadSettings } from '../demo/server.mjs';
import { TD_BUNDLE, TD_VERSION, tdLoader } from '../demo/td-js-sdk.mjs';

export { TD_VERSION };

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { tokens } = await loadSettings();
export const DATABASE = 'demo_db';
export const TABLE = 'pageviews';
/** The demo's write key, which its first-party proxy also adds server-side. */
export const API_KEY = DEMO_API_KEY;
/** The first of the demo's tokens: the one its first-party proxy adds, too. */
export const TOKEN = tokens[0];
export const MAX_OFFERS = 500;

export const P13N_BUNDLE = path.join(ROOT, 'dist', 'p13n.min.js');
/** The floor: the least a page can run to post its page view (bench/floor.js). */
const FLOOR_SCRIPT = path.join(ROOT, 'bench', 'floor.js');

/** Where the early snippet is built (npm run build, from src/snippets/early.ts): pasted inline, as the README says. */
export const EARLY_SNIPPET = path.join(ROOT, 'dist', 'p13n-early-snippet.js');
/** A snippet's text, checked to load `https://YOUR-CDN/p13n.min.js`, as a function of the bundle's URL. */
const loader = (file, text = readFileSync(file, 'utf8')) => {
  if (!text.includes('https://YOUR-CDN/p13n.min.js')) throw new Error(`${file} no longer loads https://YOUR-CDN/p13n.min.js`);
  return (src) => text.replace('https://YOUR-CDN/p13n.min.js', src);
};
/** p13n-tag's documented async snippet (src/snippets/short.js, as the README and the e2e tests use it). */
const P13N_SNIPPET = loader(path.join(ROOT, 'src', 'snippets', 'short.js'));
/**
 * The early snippet (dist/p13n-early-snippet.js): the stub sends the first page view itself at `init`, the bundle
 * takes that request over. Read when cdnFiles() reads the bundles (`early`), so both come from one build.
 */
let EARLY = null;

/**
 * Both bundles as a CDN serves them, from /cdn/ on the page's site: read once (dist/ as built when the bench
 * starts) and cacheable, so a second page view in one context takes them from the HTTP cache, as on a real site.
 * (The demo serves /dist/ with no-store, which suits development, not a measurement of repeat views.)
 */
export function cdnFiles() {
  EARLY = loader(EARLY_SNIPPET);
  const headers = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=31536000, immutable' };
  return {
    '/cdn/p13n.min.js': { body: readFileSync(P13N_BUNDLE), headers },
    '/cdn/td.min.js': { body: readFileSync(TD_BUNDLE), headers },
    '/cdn/floor.js': { body: readFileSync(FLOOR_SCRIPT), headers },
    // the main-thread table's page without a tag: an async script where the tags are, that does nothing
    '/cdn/empty.js': { body: Buffer.from('\n'), headers },
    // the modules the core loads from its own folder (a track, spa: true)
    ...Object.fromEntries(['delivery', 'spa', 'debug'].map((name) => [`/cdn/p13n-${name}.min.js`, { body: readFileSync(P13N_BUNDLE.replace(/p13n\.min\.js$/, `p13n-${name}.min.js`)), headers }])),
  };
}

/**
 * Offer rules: `offer_000` ... `offer_499`, each matching when the event's `bench_n` is above its number, so a
 * page asks for N offers with `bench_n: N`. Written to `file` with the demo's tokens.
 */
export async function writeRules(file) {
  const rules = Array.from({ length: MAX_OFFERS }, (_, i) => ({
    offer: offerName(i),
    when: { 'attr.bench_n': { gt: i } },
    attributes: { headline: `Offer ${i}: 20% off today`, text: 'A short line of offer text, as a real offer has.', cta: 'Shop now', href: '/sale' },
    segments: [String(1000 + i)],
  }));
  await writeFile(file, JSON.stringify({ tokens, rules }));
}
const offerName = (i) => 'offer_' + String(i).padStart(3, '0');

/** Installed first in every page's head, before any tag: marks, the fetch wrapper, the slot observer. */
const HARNESS = `<script>
window.__bench = (function () {
  var settle, marked = {};
  var promise = new Promise(function (resolve) { settle = resolve });
  performance.mark('bench:head');
  function mark(name) { if (!marked[name]) { marked[name] = 1; performance.mark('bench:' + name) } }
  function check() { if (marked[bench.until]) settle('ok') }
  var bench = { until: 'slot', promise: promise, mark: function (name) { mark(name); check() },
    fail: function (why) { settle('error: ' + why) } };
  var fetch = window.fetch;
  window.fetch = function (input) {
    if (String(input && input.url || input).indexOf('/${DATABASE}/${TABLE}') >= 0) bench.mark('request');
    return fetch.apply(this, arguments);
  };
  new MutationObserver(function () {
    var slot = document.querySelector('[data-p13n-offer]');
    if (slot && !slot.hidden) bench.mark('slot');
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['hidden'] });
  return bench;
})();
</script>`;

/** `count` slots, each with a headline, text and a link the offer fills. */
export function slots(count = 1) {
  let html = '';
  for (let i = 0; i < count; i++) {
    html += `<section data-p13n-offer="${offerName(i)}" hidden><h2 data-p13n-attr="headline">Default headline</h2>` +
      `<p data-p13n-attr="text">Default text</p><a data-p13n-attr="cta" data-p13n-attr-href="href" href="/">Default link</a></section>\n`;
  }
  return html;
}

const html = ({ head = '', body = '' }) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Bench page</title>${HARNESS}${head}</head>` +
  `<body><h1>A product page</h1>${body}</body></html>`;

/** The control page: the harness and nothing else, to subtract what every page costs without a tag. */
export const blankPage = () => html({});

/**
 * The main-thread table's page without a tag: the harness and an empty async script (`/cdn/empty.js`, "\n")
 * where the tags are, so what a page pays for any async script (its element, its request, its load and execute
 * tasks) is subtracted too, and only the tag's own work is left.
 */
export const emptyScriptPage = () => html({ head: '<script async src="/cdn/empty.js"></script>' });

/**
 * A p13n-tag page.
 * @param {object} o
 * @param {string} o.api          the API's origin, e.g. https://a7.api.test:PORT (p13n-tag's endpoint: {api}/public)
 * @param {'snippet'|'early'|'script'|'attribute'} [o.load]  the async snippet (src/snippets/short.js), the early snippet
 *   (dist/p13n-early-snippet.js), a plain `<script src>` followed by the calls, or the config on the script tag
 * @param {string} [o.cdn]        the origin the bundle comes from, e.g. https://c7.cdn.test:PORT (default: the
 *   page's own site)
 * @param {string} [o.bundle]     the bundle's path there (default /cdn/p13n.min.js)
 * @param {boolean} [o.proxy]     endpoint `/p13n` (the demo's first-party proxy), no apiKey or token
 * @param {boolean} [o.preconnect] a `<link rel="preconnect">` to the API origin in the head, before the tag
 * @param {boolean} [o.preconnectCdn] one to the bundle's origin `cdn` (without `crossorigin`: a classic script
 *   is fetched with credentials)
 * @param {object} [o.config]     more init config
 * @param {number} [o.slots]      how many slots the body has
 * @param {string} [o.until]      when the page counts itself done: 'slot' (default), 'request', or 'none' (never:
 *   the bench watches the server instead)
 * @param {string} [o.script]     page code run after the calls
 */
export function p13nPage(o) {
  const { api, load = 'snippet', proxy = false, preconnect = false, preconnectCdn = false, cdn = '', bundle = '/cdn/p13n.min.js' } = o;
  const { config = {}, slots: count = 1, until = 'slot', script = '' } = o;
  const src = cdn + bundle;
  const init = {
    database: DATABASE,
    table: TABLE,
    ...(proxy ? { endpoint: '/p13n' } : { apiKey: API_KEY, token: TOKEN, endpoint: api + '/public' }),
    attributes: { bench_n: 1 },
    ...config,
  };
  const calls = `__bench.until = ${JSON.stringify(until)};
p13n('init', ${JSON.stringify(init)});
p13n('on', 'offers', function () { __bench.mark('offers') });
p13n('on', 'error', function (detail) { __bench.fail(detail.error.code + ' ' + detail.error.message) });
${script}`;
  const hint = (preconnect ? `<link rel="preconnect" href="${api}" crossorigin>` : '') +
    (preconnectCdn && cdn ? `<link rel="preconnect" href="${cdn}">` : '');
  // 'attribute': no inline snippet, the config on the script tag (README, "A page that allows no inline script"),
  // the page's handlers as DOM events
  const declarative = `<script>__bench.until = ${JSON.stringify(until)};
document.addEventListener('p13n:offers', function () { __bench.mark('offers') });
document.addEventListener('p13n:error', function (e) { __bench.fail(e.detail.error.code + ' ' + e.detail.error.message) });
${script}</script><script async src="${src}" data-p13n-init='${JSON.stringify(init)}'></script>`;
  if (load === 'early' && !EARLY) throw new Error('pages.mjs: cdnFiles() reads the early snippet, call it first');
  const tag = load === 'script'
    ? `<script src="${src}"></script><script>${calls}</script>`
    : load === 'attribute'
      ? declarative
      : `<script>${(load === 'early' ? EARLY : P13N_SNIPPET)(src)}\n${calls}</script>`;
  return html({ head: hint + tag, body: slots(count) });
}

/** The floor page: bench/floor.js loaded async, as a tag would be, told the API, key and token by attributes. */
export const floorPage = ({ api }) =>
  html({ head: `<script>__bench.until = 'request'</script><script async src="/cdn/floor.js" data-api="${api}" data-key="${API_KEY}" data-token="${TOKEN}"></script>` });

/**
 * The network floor's page (no tag): an inline script that reads the visitor id from the `_td` cookie, as floor.js
 * and every tag that keeps its id in a cookie must before its request (in Chromium a page's first cookie read is a
 * synchronous round trip to the network service), and posts floor.js's body at once, direct (preflighted, to
 * `api`) or to the first-party proxy (`proxy`), and marks `offers` when the answer's JSON is read. What it takes
 * over the modelled round trips is this bench's own overhead (TLS, the emulator, Chromium, the machine's load).
 */
export function fetchOnlyPage({ api, proxy = false }) {
  const url = proxy ? `/p13n/${DATABASE}/${TABLE}` : `${api}/public/${DATABASE}/${TABLE}`;
  const headers = { 'Content-Type': 'application/vnd.treasuredata.v1+json', Accept: 'application/vnd.treasuredata.v1+json',
    ...(proxy ? {} : { Authorization: 'TD1 ' + API_KEY, 'WP13n-Token': TOKEN }) };
  return html({ head: `<script>__bench.until = 'offers';
fetch(${JSON.stringify(url)}, { method: 'POST', mode: 'cors', credentials: ${JSON.stringify(proxy ? 'same-origin' : 'omit')},
  headers: ${JSON.stringify(headers)},
  body: JSON.stringify({ td_client_id: (document.cookie.match(/(?:^|; )_td=([^;]*)/) || [])[1] || crypto.randomUUID(), td_url: location.href, td_path: location.pathname, td_title: document.title,
    time: Math.floor(Date.now() / 1000), uuid: crypto.randomUUID(), bench_n: 1 }) })
  .then(function (answer) { if (!answer.ok) throw new Error('HTTP ' + answer.status); return answer.json() })
  .then(function () { __bench.mark('offers') }, function (error) { __bench.fail(String(error)) });
</script>`, body: slots(1) });
}

/**
 * A td-js-sdk page: its loader snippet, `new Treasure`, and `fetchPersonalization` as its docs show, sending the
 * quickstart's minimal body (td_url, td_path; td-js-sdk adds nothing itself). The success callback renders the
 * slots as p13n-tag does (show, text, http(s) links), since td-js-sdk has no rendering: a site would write this.
 * `cdn`: the origin its bundle comes from (default: the page's own site).
 */
export function tdPage({ api, until = 'slot', slots: count = 1, cdn = '' }) {
  // the bundle's host: the page's own (`"//" + location.host`) or a CDN origin's
  const script = `<script>${tdLoader(`//${cdn ? cdn.replace('https://', '') : '" + location.host + "'}/cdn/td.min.js`)}
__bench.until = ${JSON.stringify(until)};
var td = new Treasure({ database: '${DATABASE}', writeKey: '${API_KEY}' });
td.fetchPersonalization(
  { endpoint: '${api.replace('https://', '')}', database: '${DATABASE}', table: '${TABLE}', token: '${TOKEN}' },
  { td_url: location.href.split('#')[0], td_path: location.pathname, bench_n: 1 },
  function (answer) {
    __bench.mark('offers');
    var offers = (answer && answer.offers) || {};
    [].forEach.call(document.querySelectorAll('[data-p13n-offer]'), function (slot) {
      var offer = offers[slot.getAttribute('data-p13n-offer')];
      slot.hidden = !offer;
      if (!offer || !offer.attributes) return;
      [].forEach.call(slot.querySelectorAll('[data-p13n-attr]'), function (field) {
        var value = offer.attributes[field.getAttribute('data-p13n-attr')];
        if (typeof value == 'string') field.textContent = value;
      });
      [].forEach.call(slot.querySelectorAll('a[data-p13n-attr-href]'), function (link) {
        var url = offer.attributes[link.getAttribute('data-p13n-attr-href')];
        if (typeof url == 'string' && /^https?:$/.test(new URL(url, location.href).protocol)) link.href = url;
      });
    });
  },
  function (error) { __bench.fail(String(error)) }
);
</script>`;
  return html({ head: script, body: slots(count) });
}
