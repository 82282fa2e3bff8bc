// The pages the benchmark loads, and the offer rules behind them. Each page loads one tag the way a site would
// and marks, with performance.mark, the moments the tables report:
//
//   bench:request  the tag called fetch() for the API (a wrapper the page installs before any tag runs)
//   bench:offers   the offers reached page code: p13n-tag's `offers` handler, td-js-sdk's success callback
//   bench:slot     a `data-p13n-offer` slot was shown (a MutationObserver sees its `hidden` removed), by the tag
//                  itself for p13n-tag, by the page's success callback for td-js-sdk, as a site would write it
//
// `window.__bench.promise` settles when the page is done (the slot shown, or the request issued for pages that
// only measure up to it), with an error message if a tag reported one.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_API_KEY, loadSettings } from '../demo/server.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { tokens } = await loadSettings();
export const DATABASE = 'demo_db';
export const TABLE = 'pageviews';
/** The demo's write key, which its first-party proxy also adds server-side. */
export const API_KEY = DEMO_API_KEY;
/** The first of the demo's tokens: the one its first-party proxy adds, too. */
export const TOKEN = tokens[0];
export const MAX_OFFERS = 500;

const TD_DIR = path.dirname(createRequire(import.meta.url).resolve('td-js-sdk/package.json'));
/** td-js-sdk's browser bundle, as its CDN serves it. */
export const TD_BUNDLE = path.join(TD_DIR, 'dist', 'td.min.js');
export const P13N_BUNDLE = path.join(ROOT, 'dist', 'p13n.min.js');
/** The floor: the least a page can run to post its page view (bench/floor.js). */
const FLOOR_SCRIPT = path.join(ROOT, 'bench', 'floor.js');
export const TD_VERSION = JSON.parse(readFileSync(path.join(TD_DIR, 'package.json'), 'utf8')).version;

/** p13n-tag's documented async snippet (src/snippet.js, as the README and the e2e tests use it). */
const P13N_SNIPPET = (() => {
  const snippet = readFileSync(path.join(ROOT, 'src', 'snippet.js'), 'utf8');
  if (!snippet.includes('https://YOUR-CDN/p13n.min.js')) throw new Error('src/snippet.js no longer loads https://YOUR-CDN/p13n.min.js');
  return snippet.replace('https://YOUR-CDN/p13n.min.js', '/cdn/p13n.min.js');
})();
/** td-js-sdk's documented loader snippet, the minified one from its README, pointed at this site's copy. */
const TD_LOADER = (() => {
  const readme = readFileSync(path.join(TD_DIR, 'README.md'), 'utf8');
  const loader = /^!function\(t,e\)\{if\(void 0===e\[t\]\).*$/m.exec(readme);
  if (!loader || !loader[0].includes('//cdn.treasuredata.com/sdk/4.4/td.min.js')) {
    throw new Error(`td-js-sdk ${TD_VERSION}: its README no longer has the loader snippet this bench expects`);
  }
  return loader[0].replace('//cdn.treasuredata.com/sdk/4.4/td.min.js', '//" + location.host + "/cdn/td.min.js');
})();

/**
 * Both bundles as a CDN serves them, from /cdn/ on the page's site: read once (dist/ as built when the bench
 * starts) and cacheable, so a second page view in one context takes them from the HTTP cache, as on a real site.
 * (The demo serves /dist/ with no-store, which suits development, not a measurement of repeat views.)
 */
export function cdnFiles() {
  const headers = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=31536000, immutable' };
  return {
    '/cdn/p13n.min.js': { body: readFileSync(P13N_BUNDLE), headers },
    '/cdn/td.min.js': { body: readFileSync(TD_BUNDLE), headers },
    '/cdn/floor.js': { body: readFileSync(FLOOR_SCRIPT), headers },
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
 * A p13n-tag page.
 * @param {object} o
 * @param {string} o.api          the API's origin, e.g. https://a7.api.test:PORT (p13n-tag's endpoint: {api}/public)
 * @param {'snippet'|'script'} [o.load]  the async snippet, or a plain `<script src>` followed by the calls
 * @param {boolean} [o.proxy]     endpoint `/p13n` (the demo's first-party proxy), no apiKey or token
 * @param {boolean} [o.preconnect] a `<link rel="preconnect">` to the API origin in the head, before the tag
 * @param {object} [o.config]     more init config
 * @param {number} [o.slots]      how many slots the body has
 * @param {string} [o.until]      when the page counts itself done: 'slot' (default), 'request', or 'none' (never:
 *   the bench watches the server instead)
 * @param {string} [o.script]     page code run after the calls
 */
export function p13nPage(o) {
  const { api, load = 'snippet', proxy = false, preconnect = false, config = {}, slots: count = 1, until = 'slot', script = '' } = o;
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
  const hint = preconnect ? `<link rel="preconnect" href="${api}" crossorigin>` : '';
  // 'attribute': no inline snippet, the config on the script tag (README, "A page that allows no inline script"),
  // the page's handlers as DOM events
  const declarative = `<script>__bench.until = ${JSON.stringify(until)};
document.addEventListener('p13n:offers', function () { __bench.mark('offers') });
document.addEventListener('p13n:error', function (e) { __bench.fail(e.detail.error.code + ' ' + e.detail.error.message) });
${script}</script><script async src="/cdn/p13n.min.js" data-p13n-init='${JSON.stringify(init)}'></script>`;
  const tag = load === 'script'
    ? `<script src="/cdn/p13n.min.js"></script><script>${calls}</script>`
    : load === 'attribute'
      ? declarative
      : `<script>${P13N_SNIPPET}${calls}</script>`;
  return html({ head: hint + tag, body: slots(count) });
}

/** The floor page: bench/floor.js loaded async, as a tag would be, told the API, key and token by attributes. */
export const floorPage = ({ api }) =>
  html({ head: `<script>__bench.until = 'request'</script><script async src="/cdn/floor.js" data-api="${api}" data-key="${API_KEY}" data-token="${TOKEN}"></script>` });

/**
 * A td-js-sdk page: its loader snippet, `new Treasure`, and `fetchPersonalization` as its docs show, sending the
 * quickstart's minimal body (td_url, td_path; td-js-sdk adds nothing itself). The success callback renders the
 * slots as p13n-tag does (show, text, http(s) links), since td-js-sdk has no rendering: a site would write this.
 */
export function tdPage({ api, until = 'slot', slots: count = 1 }) {
  const script = `<script>${TD_LOADER}
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
