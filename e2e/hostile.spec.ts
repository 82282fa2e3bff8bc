/**
 * The tag inside pages it does not control (issue 7, point 2): Prototype.js, a polluted Object.prototype, fetch
 * and history wrapped by other libraries, cookies and storage blocked, a frozen realm, a sandboxed frame, no
 * network, ten tags racing the queue, and the page's own timers. For each: no uncaught error or unhandled
 * rejection, the page's own code gets what it got without the tag, the request is the contract's, and offers
 * render or resolve as usual.
 * Each test first checks that its hostile change is really in effect, so none passes for the wrong reason.
 */
import type { Frame } from '@playwright/test';
import { API_KEY, TOKEN, call, config, expect, snippet, test, type LogEntry, type Tab } from './fixtures';
import { isVisible, outboxEvents, storageKeys, tagKeys, tdCookies, textOf, watchViolations } from './pages';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The page fields every request carries (README, "The request"). */
const TD_FIELDS = ['td_version', 'td_charset', 'td_language', 'td_color', 'td_screen', 'td_viewport', 'td_title', 'td_description',
  'td_url', 'td_user_agent', 'td_platform', 'td_host', 'td_path', 'td_referrer'];
const TEST_ORIGIN = /^http:\/\/www\.shop\.test:\d+$/;
const WELCOME = 'Welcome to Stride & Carry'; // the emulator's offer for a new visitor's first page view
const SLOTS = `
  <section id="welcome" data-p13n-offer="welcome" hidden><h2 data-p13n-attr="headline">Default welcome</h2></section>
  <section id="evil" data-p13n-offer="evil"><h2 data-p13n-attr="headline">Shown until the offers are in</h2></section>`;

/** The POSTs the emulator has answered (it logs each on arrival, and its status once answered). */
const answered = (posts: () => LogEntry[]) => posts().filter((entry) => entry.status != null);
/** Waits until `count` POSTs were answered; returns them, in arrival order. */
async function waitForPosts(posts: () => LogEntry[], count: number) {
  await expect.poll(() => answered(posts).length).toBeGreaterThanOrEqual(count);
  return answered(posts);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The contract request: path, headers, and a body of exactly the page fields, `td_client_id`, `time`, `uuid` and
 * `attributes` (so no polluted or inherited key slipped in).
 */
function expectRequest(
  entry: LogEntry,
  { path = '/test', origin = TEST_ORIGIN, attributes = {}, exact = true }: { path?: string; origin?: RegExp; attributes?: Record<string, unknown>; exact?: boolean } = {},
) {
  expect(entry.path).toBe('/demo_db/pageviews');
  expect(entry.status).toBe(200);
  expect(entry.headers).toMatchObject({
    'content-type': 'application/vnd.treasuredata.v1+json',
    accept: 'application/vnd.treasuredata.v1+json',
    authorization: 'TD1 ' + API_KEY,
    'wp13n-token': TOKEN,
    origin: expect.stringMatching(origin),
  });
  expect(entry.headers).not.toHaveProperty('cookie');
  const body = entry.body;
  if (exact) expect(Object.keys(body).sort()).toEqual([...TD_FIELDS, 'td_client_id', 'time', 'uuid', ...Object.keys(attributes)].sort());
  expect(body).toMatchObject(attributes);
  expect(body.td_client_id).toMatch(UUID);
  expect(body.uuid).toMatch(UUID);
  expect(Number.isInteger(body.time)).toBe(true);
  expect(Math.abs((body.time as number) - Date.now() / 1000)).toBeLessThan(120);
  expect(body.td_path).toBe(path);
  expect(body.td_url).toMatch(new RegExp(`^https?://[^/]+${escape(path)}$`));
}

/** Uncaught errors and unhandled rejections as the page itself sees them, in every frame. */
async function watch(page: Tab) {
  await page.addInitScript(() => {
    const seen: string[] = ((window as any).__uncaught = []);
    addEventListener('error', (e) => seen.push('error: ' + e.message));
    addEventListener('unhandledrejection', (e) => seen.push('unhandledrejection: ' + String(e.reason)));
  });
}
/** A tab, or one of its frames (Chromium). */
type Scope = Pick<Tab, 'evaluate'> | Frame;
const uncaught = (target: Scope) => (target as Tab).evaluate(() => (window as any).__uncaught);

/** Serves `head` and `body` at `path` on the test site, as `open` would, without navigating to it. */
function serve(server: { pages: Map<string, unknown>; apiUrl: string }, path: string, head: string, body = '') {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Framed page</title>${head}</head><body>${body}</body></html>`;
  server.pages.set(path, { headers: {}, body: html.replace(/\{\{TAG\}\}/g, '/dist/p13n.min.js').replace(/\{\{API\}\}/g, server.apiUrl) });
}

/** `p13n:offers` and `p13n:error` as the page's own listeners see them. */
const LISTEN = `<script>
  window.seen = [];
  document.addEventListener('p13n:offers', function (e) { seen.push({ type: 'offers', names: e.detail.names, cached: !!e.detail.cached, uuid: e.detail.uuid }) });
  document.addEventListener('p13n:error', function (e) { seen.push({ type: 'error', code: e.detail.error.code, retryable: e.detail.error.retryable, uuid: e.detail.uuid }) });
</script>`;
const seen = (target: Scope) => (target as Tab).evaluate(() => (window as any).seen as any[]);

/**
 * Prototype 1.6.0.3, condensed to what it does to the built-ins (taken from its source): `Object.extend` copying
 * with for-in, so every method it adds is enumerable; `Object.keys` by for-in (inherited keys included) and
 * `Object.toJSON`; Enumerable on `Array.prototype` (`map`, `filter`, `find`, `some`, `every`, `entries` ...
 * replaced); `Array#reduce` that returns the array itself; `toJSON` on Array, String, Number, Date and Hash, each
 * returning a JSON *string*, so native `JSON.stringify` turns arrays into strings; `Function#bind`;
 * `String#startsWith` without a position; `RegExp#match` = `test`. Nothing on `Object.prototype`: Prototype never
 * touched it.
 */
const PROTOTYPE_16 = String.raw`<script>
var Prototype = { Version: '1.6.0.3', emptyFunction: function () { }, K: function (x) { return x } };
var $break = { };
Object.extend = function (destination, source) {
  for (var property in source) destination[property] = source[property];
  return destination;
};
Object.extend(Object, {
  toJSON: function (object) {
    var type = typeof object;
    switch (type) {
      case 'undefined':
      case 'function':
      case 'unknown': return;
      case 'boolean': return object.toString();
    }
    if (object === null) return 'null';
    if (object.toJSON) return object.toJSON();
    if (Object.isElement(object)) return;
    var results = [];
    for (var property in object) {
      var value = Object.toJSON(object[property]);
      if (!Object.isUndefined(value)) results.push(property.toJSON() + ': ' + value);
    }
    return '{' + results.join(', ') + '}';
  },
  keys: function (object) { var keys = []; for (var property in object) keys.push(property); return keys; },
  values: function (object) { var values = []; for (var property in object) values.push(object[property]); return values; },
  clone: function (object) { return Object.extend({ }, object); },
  isElement: function (object) { return !!(object && object.nodeType == 1); },
  isArray: function (object) { return object != null && typeof object == 'object' && 'splice' in object && 'join' in object; },
  isHash: function (object) { return object instanceof Hash; },
  isFunction: function (object) { return typeof object == 'function'; },
  isString: function (object) { return typeof object == 'string'; },
  isNumber: function (object) { return typeof object == 'number'; },
  isUndefined: function (object) { return typeof object == 'undefined'; }
});
function $A(iterable) {
  if (!iterable) return [];
  if (iterable.toArray) return iterable.toArray();
  var length = iterable.length || 0, results = new Array(length);
  while (length--) results[length] = iterable[length];
  return results;
}
Object.extend(Function.prototype, {
  bind: function () {
    if (arguments.length < 2 && Object.isUndefined(arguments[0])) return this;
    var __method = this, args = $A(arguments), object = args.shift();
    return function () { return __method.apply(object, args.concat($A(arguments))); };
  },
  curry: function () {
    if (!arguments.length) return this;
    var __method = this, args = $A(arguments);
    return function () { return __method.apply(this, args.concat($A(arguments))); };
  },
  wrap: function (wrapper) {
    var __method = this;
    return function () { return wrapper.apply(this, [__method.bind(this)].concat($A(arguments))); };
  }
});
Date.prototype.toJSON = function () {
  return '"' + this.getUTCFullYear() + '-' +
    (this.getUTCMonth() + 1).toPaddedString(2) + '-' +
    this.getUTCDate().toPaddedString(2) + 'T' +
    this.getUTCHours().toPaddedString(2) + ':' +
    this.getUTCMinutes().toPaddedString(2) + ':' +
    this.getUTCSeconds().toPaddedString(2) + 'Z"';
};
RegExp.prototype.match = RegExp.prototype.test;
Object.extend(String, {
  interpret: function (value) { return value == null ? '' : String(value); },
  specialChar: { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' }
});
Object.extend(String.prototype, {
  strip: function () { return this.replace(/^\s+/, '').replace(/\s+$/, ''); },
  times: function (count) { return count < 1 ? '' : new Array(count + 1).join(this); },
  inspect: function (useDoubleQuotes) {
    var escapedString = this.replace(/[\x00-\x1f\\]/g, function (character) {
      return String.specialChar[character] || '\\u00' + character.charCodeAt(0).toPaddedString(2, 16);
    });
    if (useDoubleQuotes) return '"' + escapedString.replace(/"/g, '\\"') + '"';
    return "'" + escapedString.replace(/'/g, '\\\'') + "'";
  },
  toJSON: function () { return this.inspect(true); },
  include: function (pattern) { return this.indexOf(pattern) > -1; },
  startsWith: function (pattern) { return this.indexOf(pattern) === 0; },
  endsWith: function (pattern) { var d = this.length - pattern.length; return d >= 0 && this.lastIndexOf(pattern) === d; },
  empty: function () { return this == ''; },
  blank: function () { return /^\s*$/.test(this); }
});
var Enumerable = {
  each: function (iterator, context) {
    var index = 0;
    try { this._each(function (value) { iterator.call(context, value, index++); }); }
    catch (e) { if (e != $break) throw e; }
    return this;
  },
  all: function (iterator, context) {
    iterator = iterator || Prototype.K;
    var result = true;
    this.each(function (value, index) { result = result && !!iterator.call(context, value, index); if (!result) throw $break; });
    return result;
  },
  any: function (iterator, context) {
    iterator = iterator || Prototype.K;
    var result = false;
    this.each(function (value, index) { if (result = !!iterator.call(context, value, index)) throw $break; });
    return result;
  },
  collect: function (iterator, context) {
    iterator = iterator || Prototype.K;
    var results = [];
    this.each(function (value, index) { results.push(iterator.call(context, value, index)); });
    return results;
  },
  detect: function (iterator, context) {
    var result;
    this.each(function (value, index) { if (iterator.call(context, value, index)) { result = value; throw $break; } });
    return result;
  },
  findAll: function (iterator, context) {
    var results = [];
    this.each(function (value, index) { if (iterator.call(context, value, index)) results.push(value); });
    return results;
  },
  include: function (object) {
    if (Object.isFunction(this.indexOf)) if (this.indexOf(object) != -1) return true;
    var found = false;
    this.each(function (value) { if (value == object) { found = true; throw $break; } });
    return found;
  },
  inject: function (memo, iterator, context) {
    this.each(function (value, index) { memo = iterator.call(context, memo, value, index); });
    return memo;
  },
  pluck: function (property) { var results = []; this.each(function (value) { results.push(value[property]); }); return results; },
  toArray: function () { return this.map(); },
  size: function () { return this.toArray().length; }
};
Object.extend(Enumerable, {
  map: Enumerable.collect, find: Enumerable.detect, select: Enumerable.findAll, filter: Enumerable.findAll,
  member: Enumerable.include, entries: Enumerable.toArray, every: Enumerable.all, some: Enumerable.any
});
Array.from = $A;
Object.extend(Array.prototype, Enumerable);
if (!Array.prototype._reverse) Array.prototype._reverse = Array.prototype.reverse;
Object.extend(Array.prototype, {
  _each: function (iterator) { for (var i = 0, length = this.length; i < length; i++) iterator(this[i]); },
  clear: function () { this.length = 0; return this; },
  first: function () { return this[0]; },
  last: function () { return this[this.length - 1]; },
  compact: function () { return this.select(function (value) { return value != null; }); },
  reverse: function (inline) { return (inline !== false ? this : this.toArray())._reverse(); },
  reduce: function () { return this.length > 1 ? this : this[0]; },
  clone: function () { return [].concat(this); },
  size: function () { return this.length; },
  toJSON: function () {
    var results = [];
    this.each(function (object) { var value = Object.toJSON(object); if (!Object.isUndefined(value)) results.push(value); });
    return '[' + results.join(', ') + ']';
  }
});
if (Object.isFunction(Array.prototype.forEach)) Array.prototype._each = Array.prototype.forEach;
Array.prototype.toArray = Array.prototype.clone;
Object.extend(Number.prototype, {
  succ: function () { return this + 1; },
  toPaddedString: function (length, radix) { var string = this.toString(radix || 10); return '0'.times(length - string.length) + string; },
  toJSON: function () { return isFinite(this) ? this.toString() : 'null'; }
});
function $H(object) { return new Hash(object); }
var Hash = function (object) { this._object = Object.isHash(object) ? object.toObject() : Object.clone(object); };
Object.extend(Hash.prototype, Enumerable);
Object.extend(Hash.prototype, {
  _each: function (iterator) {
    for (var key in this._object) {
      var value = this._object[key], pair = [key, value];
      pair.key = key;
      pair.value = value;
      iterator(pair);
    }
  },
  set: function (key, value) { return this._object[key] = value; },
  get: function (key) { if (this._object[key] !== Object.prototype[key]) return this._object[key]; },
  toObject: function () { return Object.clone(this._object); },
  keys: function () { return this.pluck('key'); },
  toJSON: function () { return Object.toJSON(this.toObject()); }
});
</script>`;

test.describe('the tag inside pages it does not control', () => {
  test('1. Prototype 1.6: arrays stay arrays, dates ISO strings, and the page keeps its own JSON', async ({ open, tab: page, posts }) => {
    await watch(page);
    await open({
      head: PROTOTYPE_16 + `<script>
        window.arrayToJSON = Array.prototype.toJSON;
        window.pageJSON = function () {
          return {
            array: JSON.stringify([1, 'two', [3]]),
            object: JSON.stringify({ list: ['a'], when: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)) }),
            hash: JSON.stringify($H({ k: ['v'] })),
            prototype: Object.toJSON({ list: ['a', 'b'], n: 1 }),
            keys: Object.keys([7]).length > 1,
            reduce: String([1, 2, 3].reduce(function (sum, n) { return sum + n }, 0)),
            bound: (function () { return this.x }).bind({ x: 'bound' })(),
            starts: 'abc'.startsWith('b', 1),
            sameToJSON: Array.prototype.toJSON === window.arrayToJSON && typeof Date.prototype.toJSON == 'function'
          };
        };
        window.before = pageJSON();
      </script>` + LISTEN + snippet(`
        p13n('set', { tags: ['x', 'y'] });
        var settings = ${config()};
        settings.attributes = { list: ['a', 'b'], nested: { deep: [1, [2, 'three']], none: [] }, when: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), label: 'say "hi"' };
        p13n('init', settings);
      `),
      body: SLOTS,
    });
    // Prototype is in effect: native JSON.stringify turns arrays and dates into strings of JSON
    const before = await page.evaluate(() => (window as any).before);
    expect(JSON.parse(before.array)).toBe('[1, "two", [3]]');
    expect(JSON.parse(before.object)).toEqual({ list: '["a"]', when: '"2020-01-02T03:04:05Z"' });
    expect(JSON.parse(before.hash)).toBe('{"k": ["v"]}');
    expect(before).toMatchObject({ prototype: '{"list": ["a", "b"], "n": 1}', keys: true, reduce: '1,2,3', bound: 'bound', starts: false, sameToJSON: true });

    const [pageview] = await waitForPosts(posts, 1);
    const attributes = { list: ['a', 'b'], nested: { deep: [1, [2, 'three']], none: [] }, when: '2020-01-02T03:04:05.000Z', label: 'say "hi"', tags: ['x', 'y'] };
    expectRequest(pageview, { attributes });
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    await expect.poll(() => isVisible(page, '#welcome')).toBe(true);
    await expect.poll(() => isVisible(page, '#evil')).toBe(false);

    const result = await call(page, 'personalize', { items: [{ id: 'p1', qty: 2 }], empty: [] });
    expect(result).toMatchObject({ ok: true, status: 200 });
    const [, second] = await waitForPosts(posts, 2);
    expectRequest(second, { attributes: { ...attributes, items: [{ id: 'p1', qty: 2 }], empty: [] } });
    expect(second.body.uuid).toBe(result.uuid);
    expect(second.body.td_client_id).toBe(pageview.body.td_client_id);
    expect(await call(page, 'track', { event: 'viewed', ids: ['a', 'b'] })).toMatchObject({ ok: true, status: 200, offers: {} });
    expect((await waitForPosts(posts, 3))[2].body).toMatchObject({ event: 'viewed', ids: ['a', 'b'] });

    // the page's own JSON, Enumerable and friends are what they were before the tag
    expect(await page.evaluate(() => (window as any).pageJSON())).toEqual(before);
    expect((await seen(page)).filter((e) => e.type == 'error')).toEqual([]);
    expect(await uncaught(page)).toEqual([]);
  });

  test("1b. Prototype 1.6's Array#reduce: the outbox still keeps within 256 KiB, dropping the oldest", async ({ open, tab: page, emulator, server }) => {
    // the service fails and asks for a minute: the events wait in the outbox
    emulator.setFault({ status: 503, forMs: 30_000, retryAfter: 60 });
    await watch(page);
    await open({ head: PROTOTYPE_16 + LISTEN + `<script src="{{TAG}}"></script><script>p13n('init', ${config({ pageview: false })})</script>` });
    expect(await page.evaluate(() => String([1, 2].reduce((sum: number, n: number) => sum + n, 0)))).toBe('1,2'); // in effect
    // five events of about 59 KiB of JSON each: about 295 KiB, over the outbox's 256 KiB
    const results = await page.evaluate(() => {
      const pad = 'x'.repeat(58 * 1024);
      return Promise.all([0, 1, 2, 3, 4].map((n) => (window as any).p13n('track', { event: 'big', n, pad })));
    });
    for (const result of results) expect(result).toMatchObject({ ok: false, error: { code: 9999, retryable: true } });
    const stored = await outboxEvents(page, storageKeys(server.apiUrl).outbox);
    const bytes = stored.reduce((sum, entry) => sum + Buffer.byteLength(entry.body), 0);
    expect(bytes, 'bytes of events kept in the outbox').toBeLessThanOrEqual(256 * 1024);
    expect(stored.map((entry) => entry.id)).toEqual(results.slice(1).map((result) => result.uuid));
    expect((await seen(page)).filter((e) => e.code == 'dropped')).toEqual([{ type: 'error', code: 'dropped', retryable: undefined, uuid: results[0].uuid }]);
    expect(await uncaught(page)).toEqual([]);
  });

  test('2. a polluted Object.prototype: no key leaks into the body, the configured endpoint, no invented offers (Chromium only: request events)', async ({ open, tab, page, emulator, posts }) => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await watch(tab);
    await open({
      head: `<script>
        var pollution = {
          polluted: 'x', apiKey: '9/${'f'.repeat(40)}', token: '9/9/${'f'.repeat(32)}', endpoint: 'https://evil.example', region: 'eu01',
          database: 'evil_db', table: 'evil_table', consent: 'denied', pageview: false, cookie: false, clientId: 'evil-client',
          attributes: { injected: 1 }, timeout: 1, hidden: true, td_client_id: 'evil-id', uuid: 'evil-uuid', time: 1, td_url: 'https://evil.example/',
          td_path: '/evil', offers: { evil: { attributes: { headline: 'Invented' } } }, names: ['evil'], status: 299, ok: false,
          prehide: 'body', respectGPC: true, debug: true
        };
        for (var key in pollution) Object.prototype[key] = pollution[key];
        window.probe = function () { var keys = []; for (var key in {}) keys.push(key); return keys.join() + ' ' + ({}).endpoint };
        window.before = probe();
      </script>` + LISTEN + snippet(`p13n('init', ${config()})`),
      body: SLOTS,
    });
    expect(await page.evaluate(() => (window as any).before)).toMatch(/^polluted,apiKey,.*,debug https:\/\/evil\.example$/);

    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    await expect.poll(() => textOf(tab, '#welcome h2')).toBe(WELCOME);
    await expect.poll(() => isVisible(tab, '#evil')).toBe(false);
    // soft, so the rest is still checked: a cookie writer that read its attributes with for-in would add the polluted ones
    expect.soft((await tdCookies(tab)).map((cookie) => `${cookie.domain} ${cookie.value}`), 'the _td cookie').toEqual([
      `.shop.test ${pageview.body.td_client_id}`,
    ]);

    // an answer with no offers at all: nothing is made up from the prototype
    emulator.setFault({ status: 200, times: 1 });
    const result = await page.evaluate(() =>
      (window as any).p13n('personalize', { own: 1 }).then((r: any) => ({ ok: r.ok, status: r.status, uuid: r.uuid, offers: Object.keys(r.offers) })),
    );
    expect(result).toEqual({ ok: true, status: 200, uuid: expect.stringMatching(UUID), offers: [] });
    expect(await call(page, 'clientId')).toBe(pageview.body.td_client_id);
    expect((await seen(tab)).filter((e) => e.type == 'offers').map((e) => e.names)).toEqual([['welcome'], []]);
    const second = posts().find((entry) => entry.body.uuid == result.uuid)!;
    expectRequest(second, { attributes: { own: 1 } });
    await expect.poll(() => isVisible(tab, '#welcome')).toBe(false);
    await expect.poll(() => isVisible(tab, '#evil')).toBe(false);

    expect(requested.filter((url) => url.includes('evil'))).toEqual([]);
    expect((await seen(tab)).filter((e) => e.type == 'error')).toEqual([]);
    expect(await page.evaluate(() => (window as any).probe())).toBe(await page.evaluate(() => (window as any).before));
    expect(await uncaught(tab)).toEqual([]);
  });

  test("2b. a polluted Object.prototype: on('offers') and on('error') handlers hear only real events", async ({ open, tab: page, posts }) => {
    await watch(page);
    await open({
      head: `<script>
        Object.prototype.offers = { offers: { evil: {} }, names: ['evil'], uuid: 'invented', status: 200 };
        Object.prototype.error = { error: { code: 'invented', message: 'invented' } };
        Object.prototype.ready = { clientId: 'invented' };
        window.heard = [];
      </script>` + snippet(`
        p13n('on', 'ready', function (d) { heard.push('ready ' + (d && d.clientId)) });
        p13n('on', 'offers', function (d) { heard.push('offers ' + (d && d.names && d.names.join()) + ' ' + (d && d.uuid)) });
        p13n('on', 'error', function (d) { heard.push('error ' + (d && d.error && d.error.code)) });
        p13n('init', ${config()});
      `),
      body: SLOTS,
    });
    expect(await page.evaluate(() => ({}.hasOwnProperty.call({}, 'offers') || ({} as any).offers.uuid))).toBe('invented');
    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    // a handler added afterwards is handed the latest real offers, not the prototype's
    await page.evaluate(() => (window as any).p13n('on', 'offers', (d: any) => (window as any).heard.push('late ' + d.names.join() + ' ' + d.uuid)));
    await page.waitForTimeout(100);
    const id = pageview.body.td_client_id;
    expect(await page.evaluate(() => (window as any).heard)).toEqual([
      `ready ${id}`,
      `offers welcome ${pageview.body.uuid}`,
      `late welcome ${pageview.body.uuid}`,
    ]);
    expect(await uncaught(page)).toEqual([]);
  });

  test('2c. a polluted Object.prototype: retries, the timeout and the cookie domain keep their own settings', async ({ open, tab, tab: page, emulator, posts }) => {
    await watch(page);
    await open({
      head: `<script>
        Object.prototype.retries = 0;        // read by the tag's request options
        Object.prototype.keepalive = true;   // ditto: a keepalive request is never aborted by the timeout
        Object.prototype.domain = 'evil.example'; // the cookie options
      </script>` + snippet(`p13n('init', ${config({ timeout: 700 })})`),
    });
    expect(await page.evaluate(() => [({} as any).retries, ({} as any).keepalive, ({} as any).domain])).toEqual([0, true, 'evil.example']);
    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    expect.soft((await tdCookies(tab)).map((cookie) => `${cookie.domain} ${cookie.value}`), 'the _td cookie').toEqual([
      `.shop.test ${pageview.body.td_client_id}`,
    ]);
    // one 503, then well: a personalize is retried and succeeds
    emulator.setFault({ status: 503, times: 1 });
    expect.soft(await call(page, 'personalize', { retried: 1 }), 'a personalize after one 503').toMatchObject({ ok: true, status: 200 });
    // a hanging service: the personalize resolves 'timeout' within its 700 ms
    emulator.setFault({ hang: true, forMs: 2500 });
    const started = Date.now();
    const hung = await call(page, 'personalize', { hung: 1 });
    expect.soft({ code: hung.error?.code, fast: Date.now() - started < 1500 }, 'a personalize against a hanging service').toEqual({ code: 'timeout', fast: true });
    expect(await uncaught(page)).toEqual([]);
  });

  test("2d. a polluted Object.prototype.v: the bundle still installs and replays the snippet's queue", async ({ open, tab: page, posts }) => {
    await watch(page);
    await open({ head: `<script>Object.prototype.v = '9.9.9'</script>` + snippet(`p13n('init', ${config()})`), body: SLOTS });
    expect(await page.evaluate(() => (function () {} as any).v)).toBe('9.9.9');
    await expect.poll(() => answered(posts).length, { timeout: 2000 }).toBe(1);
    expectRequest(posts()[0]);
    expect(await page.evaluate(() => Object.prototype.hasOwnProperty.call((window as any).p13n, 'v'))).toBe(true);
    expect(await uncaught(page)).toEqual([]);
  });

  test("2e. a polluted Object.prototype.cache (a config key): the tag's fetch options are its own", async ({ open, tab: page, posts }) => {
    await watch(page);
    await open({ head: LISTEN + `<script>Object.prototype.cache = { ttl: 3600 }</script>` + snippet(`p13n('init', ${config()})`), body: SLOTS });
    expect(await page.evaluate(() => ({} as any).cache)).toEqual({ ttl: 3600 });
    // the page's own fetch with an init object of its own fails the same way (fetch reads inherited members)
    expect(await page.evaluate(() => fetch('/test', { method: 'GET' }).then(() => 'fetched', (e) => e.name))).toBe('TypeError');
    await expect.poll(() => answered(posts).length, { timeout: 2000 }).toBe(1);
    expectRequest(posts()[0]);
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    expect((await seen(page)).filter((e) => e.type == 'error')).toEqual([]);
    expect(await uncaught(page)).toEqual([]);
  });

  test('3. fetch wrapped by other libraries before and after the tag: every wrapper still runs, every request goes through', async ({ open, tab: page, server, posts }) => {
    server.pages.set('/own.txt', { headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'the page\'s own data' });
    await watch(page);
    await open({
      head: `<script>
        window.fetchLog = [];
        var where = function (input) { return new URL(input instanceof Request ? input.url : String(input), location.href).pathname };
        (function () {
          // an APM agent: an async wrapper, installed before any other script
          var original = window.fetch;
          window.beforeTag = async function (input, init) {
            fetchLog.push('before ' + where(input) + ' ' + ((init && init.method) || (input instanceof Request ? input.method : 'GET')));
            var response = await original.apply(this, arguments);
            fetchLog.push('before got ' + response.status);
            return response;
          };
          window.fetch = window.beforeTag;
        })();
        window.wrapAfter = function () {
          // a later library that rebuilds the request as a Request object
          var inner = window.fetch;
          window.afterTag = function (input, init) {
            fetchLog.push('after ' + where(input));
            return inner.call(this, new Request(input, init));
          };
          window.fetch = window.afterTag;
        };
        window.ownFetch = function () {
          return fetch('/own.txt', { headers: { 'X-Tab': '1' } }).then(function (r) { return r.text().then(function (t) { return r.status + ' ' + t }) });
        };
      </script>` + snippet(`p13n('init', ${config()})`),
      body: SLOTS,
    });
    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    expect(await page.evaluate(() => window.fetch === (window as any).beforeTag)).toBe(true);
    expect(await page.evaluate(() => (window as any).ownFetch())).toBe("200 the page's own data");

    await page.evaluate(() => (window as any).wrapAfter());
    const personalized = await call(page, 'personalize', { after: 1 });
    expect(personalized).toMatchObject({ ok: true, status: 200 });
    const tracked = await call(page, 'track', { event: 'after_wrap' });
    expect(tracked).toMatchObject({ ok: true, status: 200 });
    const all = await waitForPosts(posts, 3);
    expectRequest(all.find((entry) => entry.body.uuid == personalized.uuid)!, { attributes: { after: 1 } });
    expectRequest(all.find((entry) => entry.body.uuid == tracked.uuid)!, { attributes: { event: 'after_wrap' } });

    await page.evaluate(() => ((window as any).fetchLog.length = 0));
    expect(await page.evaluate(() => (window as any).ownFetch())).toBe("200 the page's own data");
    expect(await page.evaluate(() => (window as any).fetchLog)).toEqual(['after /own.txt', 'before /own.txt GET', 'before got 200']);
    expect(await page.evaluate(() => window.fetch === (window as any).afterTag)).toBe(true);
    expect(await uncaught(page)).toEqual([]);
  });

  test('4. history wrapped by other libraries before and after the tag (spa): same args, this, results, exceptions and popstate; one view per route', async ({ open, tab: page, posts }) => {
    const LIBRARIES = `<script>
      window.log = [];
      window.pops = [];
      addEventListener('popstate', function (e) { pops.push('listener ' + location.pathname + ' ' + JSON.stringify(e.state)) });
      window.onpopstate = function (e) { pops.push('onpopstate ' + location.pathname) };
      window.wrapHistory = function (lib) {
        ['pushState', 'replaceState'].forEach(function (name) {
          var inner = history[name];
          history[name] = function (state, title, url) {
            log.push([lib, name, this === history, JSON.stringify(state), String(url), arguments.length].join(' '));
            return lib + '(' + inner.apply(this, arguments) + ')';
          };
          history[name].lib = lib;
        });
      };
      wrapHistory('A');
      window.scenario = async function () {
        var sleep = function (ms) { return new Promise(function (resolve) { setTimeout(resolve, ms) }) };
        var out = [history.pushState.lib + history.replaceState.lib];
        out.push(history.pushState({ n: 1 }, '', '/test/a'));
        await sleep(150);
        out.push(history.replaceState({ n: 1, again: true }, '', '/test/a')); // same URL: no new route
        await sleep(150);
        out.push(history.pushState({ n: 2 }, '', '/test/b'));
        await sleep(150);
        out.push(history.replaceState({ n: 3 }, '')); // no URL: stays
        await sleep(150);
        out.push(history.replaceState({ n: 4 }, '', '/test/c'));
        await sleep(150);
        try { history.pushState(null, '', 'http://elsewhere.test/'); out.push('no error') } catch (e) { out.push(e.name) }
        var popped = new Promise(function (resolve) { addEventListener('popstate', resolve, { once: true }) });
        history.back();
        await popped;
        await sleep(150);
        out.push(location.pathname + ' ' + JSON.stringify(history.state));
        return { out: out, log: log, pops: pops };
      };
    </script>`;
    // without the tag: what the page and its libraries see
    await open({ head: LIBRARIES });
    await page.evaluate(() => (window as any).wrapHistory('B'));
    const without = await page.evaluate(() => (window as any).scenario());
    expect(without.out).toEqual(['BB', 'B(A(undefined))', 'B(A(undefined))', 'B(A(undefined))', 'B(A(undefined))', 'B(A(undefined))', 'SecurityError', '/test/a {"n":1,"again":true}']);

    await watch(page);
    await open({ head: LIBRARIES + snippet(`p13n('init', ${config({ spa: true })})`), body: SLOTS });
    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    // the tag wrapped on top of library A; library B now wraps on top of the tag
    expect(await page.evaluate(() => (history.pushState as any).lib)).toBeUndefined();
    await page.evaluate(() => (window as any).wrapHistory('B'));
    const withTag = await page.evaluate(() => (window as any).scenario());
    expect(withTag).toEqual(without);

    await expect.poll(() => answered(posts).length).toBe(5);
    await page.waitForTimeout(200);
    const views = posts();
    expect(views.map((entry) => entry.body.td_path)).toEqual(['/test', '/test/a', '/test/b', '/test/c', '/test/a']);
    const url = (path: string) => pageview.body.td_url!.toString().replace(/\/test$/, path);
    expect(views.slice(1).map((entry) => entry.body.td_referrer)).toEqual([url('/test'), url('/test/a'), url('/test/b'), url('/test/c')]);
    views.forEach((entry) => expectRequest(entry, { path: entry.body.td_path as string, exact: false }));
    expect(new Set(views.map((entry) => entry.body.td_client_id)).size).toBe(1);
    expect(await uncaught(page)).toEqual([]);
  });

  for (const mode of ['throwing', 'silent'] as const) {
    test(`5. cookies blocked (${mode}): one in-memory id for the page, no error`, async ({ open, tab, tab: page, posts }) => {
      await page.addInitScript((mode) => {
        const refuse = () => {
          if (mode == 'throwing') throw new DOMException('cookies are blocked', 'SecurityError');
        };
        Object.defineProperty(Document.prototype, 'cookie', {
          configurable: true,
          get() {
            refuse();
            return '';
          },
          set() {
            refuse();
          },
        });
      }, mode);
      await watch(page);
      await open({
        head: `<script>
          window.cookieProbe = function () { try { document.cookie = 'page=1; path=/'; return 'read "' + document.cookie + '"' } catch (e) { return e.name } };
          window.before = cookieProbe();
        </script>` + LISTEN + snippet(`p13n('init', ${config()})`),
        body: SLOTS,
      });
      const expected = mode == 'throwing' ? 'SecurityError' : 'read ""';
      expect(await page.evaluate(() => (window as any).before)).toBe(expected);
      const [pageview] = await waitForPosts(posts, 1);
      expectRequest(pageview);
      await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
      const id = pageview.body.td_client_id;
      expect(await call(page, 'personalize', { second: 1 })).toMatchObject({ ok: true, status: 200 });
      expect(await call(page, 'track', { event: 'third' })).toMatchObject({ ok: true, status: 200 });
      const all = await waitForPosts(posts, 3);
      for (const entry of all) expect(entry.body.td_client_id).toBe(id);
      expect(await call(page, 'clientId')).toBe(id);
      // a logout: a new id, kept in memory too
      expect(await call(page, 'reset')).toEqual({ ok: true });
      const fresh = await call(page, 'clientId');
      expect(fresh).toMatch(UUID);
      expect(fresh).not.toBe(id);
      await call(page, 'personalize');
      expect((await waitForPosts(posts, 4))[3].body.td_client_id).toBe(fresh);
      expect(await tdCookies(tab)).toEqual([]);
      expect(await page.evaluate(() => (window as any).cookieProbe())).toBe(expected);
      expect((await seen(page)).filter((e) => e.type == 'error')).toEqual([]);
      expect(await uncaught(page)).toEqual([]);
    });
  }

  for (const mode of ['methods throw', 'getter throws'] as const) {
    test(`6. localStorage refused (${mode}): track kept in memory and delivered, personalize and the cache work`, async ({ open, tab: page, emulator, posts }) => {
      await page.addInitScript((mode) => {
        if (mode == 'getter throws') {
          Object.defineProperty(window, 'localStorage', {
            configurable: true,
            get() {
              throw new DOMException('access to storage is denied', 'SecurityError');
            },
          });
        } else {
          for (const name of ['getItem', 'setItem', 'removeItem', 'key', 'clear'] as const) {
            (Storage.prototype as any)[name] = function () {
              throw new DOMException('storage refused', name == 'setItem' ? 'QuotaExceededError' : 'SecurityError');
            };
          }
        }
      }, mode);
      await watch(page);
      await open({
        head: `<script>
          window.storageProbe = function () { try { localStorage.setItem('page', '1'); return 'stored ' + localStorage.getItem('page') } catch (e) { return e.name } };
          window.before = storageProbe();
        </script>` + LISTEN + snippet(`p13n('init', ${config({ cache: { ttl: 60 }, spa: true })})`),
        body: SLOTS,
      });
      const expected = mode == 'getter throws' ? 'SecurityError' : 'QuotaExceededError';
      expect(await page.evaluate(() => (window as any).before)).toBe(expected);
      const [pageview] = await waitForPosts(posts, 1);
      expectRequest(pageview);
      await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);

      // the first attempt of a track fails: it is kept (in memory) and sent again after its backoff
      emulator.setFault({ status: 503, times: 1 });
      const tracked = await call(page, 'track', { event: 'kept' });
      expect(tracked).toMatchObject({ ok: false, error: { code: 9999, retryable: true } });
      await expect.poll(() => posts().filter((entry) => entry.body.uuid == tracked.uuid).map((entry) => entry.status)).toEqual([503, 200]);
      expectRequest(posts().find((entry) => entry.body.uuid == tracked.uuid && entry.status == 200)!, { attributes: { event: 'kept' } });

      expect(await call(page, 'personalize', { asked: 1 })).toMatchObject({ ok: true, status: 200 });
      // the offer cache, in memory: back on /test its offers render at once
      await page.evaluate(() => history.pushState(null, '', '/test/other'));
      await expect.poll(() => answered(posts).filter((entry) => entry.body.td_path == '/test/other').length).toBe(1);
      await page.evaluate(() => history.pushState(null, '', '/test'));
      await expect.poll(async () => (await seen(page)).filter((e) => e.cached)).toEqual([
        { type: 'offers', names: ['welcome'], cached: true, uuid: pageview.body.uuid },
      ]);
      // and the fresh view of /test goes out as usual, its answer (no offer for a third view) winning
      await expect.poll(() => posts().filter((entry) => entry.body.td_path == '/test' && String(entry.body.td_referrer).endsWith('/test/other')).length).toBe(1);
      await expect.poll(() => isVisible(page, '#welcome')).toBe(false);
      expect(await page.evaluate(() => (window as any).storageProbe())).toBe(expected);
      expect((await seen(page)).filter((e) => e.type == 'error').map((e) => e.code)).toEqual([9999]);
      expect(await uncaught(page)).toEqual([]);
    });
  }

  test('7. a frozen realm in a strict-mode page: the tag loads, sends, and spa survives an unwrappable history', async ({ open, tab: page, posts }) => {
    await watch(page);
    await open({
      head: `<script>
        'use strict';
        [Object, Array, Function, Promise, String, Number, Boolean, Symbol, Error, TypeError, RegExp, Date, Map, Set, WeakMap, JSON, Math, Reflect]
          .forEach(function (intrinsic) { Object.freeze(intrinsic); if (intrinsic.prototype) Object.freeze(intrinsic.prototype) });
        Object.freeze(History.prototype);
        Object.freeze(history);
        window.frozenProbe = function () {
          var out = [];
          try { Array.prototype.extra = 1; out.push('assigned') } catch (e) { out.push(e.name) }
          try { history.pushState = function () {}; out.push('assigned') } catch (e) { out.push(e.name) }
          try { var o = {}; o.toString = function () { return 'mine' }; out.push('assigned') } catch (e) { out.push(e.name) }
          out.push(Object.isFrozen(Object.prototype), Object.isFrozen(history), typeof history.pushState);
          return out;
        };
        window.before = frozenProbe();
      </script>` + LISTEN + snippet(`p13n('init', ${config({ spa: true })})`),
      body: SLOTS,
    });
    const before = await page.evaluate(() => (window as any).before);
    expect(before).toEqual(['TypeError', 'TypeError', 'TypeError', true, true, 'function']);
    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    expect(await page.evaluate(() => typeof (window as any).p13n.v)).toBe('string');
    expect(await call(page, 'spa', true)).toEqual({ ok: true });
    expect(await call(page, 'personalize', { frozen: 1 })).toMatchObject({ ok: true, status: 200 });
    // history could not be wrapped: pushState is unseen, back and forward still are
    await page.evaluate(() => {
      history.pushState({ n: 1 }, '', '/test/a');
      history.pushState({ n: 2 }, '', '/test/b');
    });
    await page.waitForTimeout(150);
    expect(posts()).toHaveLength(2);
    await page.evaluate(() => history.back());
    await expect.poll(() => answered(posts).length).toBe(3);
    expectRequest(posts()[2], { path: '/test/a' });
    expect(posts()[2].body.td_referrer).toBe(pageview.body.td_url);
    expect(await page.evaluate(() => (window as any).frozenProbe())).toEqual(before);
    expect((await seen(page)).filter((e) => e.type == 'error')).toEqual([]);
    expect(await uncaught(page)).toEqual([]);
  });

  test('8. inside a sandboxed iframe (opaque origin: cookie, storage and Web Locks refused): sends with Origin null, renders (Chromium only: frames)', async ({ open, tab, page, server, posts }) => {
    await watch(tab);
    serve(server, '/frame', LISTEN + snippet(`p13n('init', ${config()})`), SLOTS);
    // 127.0.0.1 is a secure context, so the frame has Web Locks, which refuse an opaque origin
    await open({ host: '127.0.0.1', body: `<iframe id="frame" sandbox="allow-scripts" src="/frame"></iframe>` });
    await expect.poll(() => page.frames().length).toBe(2);
    const frame = page.frames().find((f) => f.url().endsWith('/frame'))!;
    const probe = await frame.evaluate(async () => {
      const out: Record<string, unknown> = { origin: self.origin, secure: isSecureContext };
      try {
        out.cookie = document.cookie;
      } catch (e) {
        out.cookie = (e as Error).name;
      }
      try {
        out.storage = localStorage.length;
      } catch (e) {
        out.storage = (e as Error).name;
      }
      out.locks = await navigator.locks.request('probe', () => 'granted').catch((e: Error) => e.name);
      return out;
    });
    expect(probe).toEqual({ origin: 'null', secure: true, cookie: 'SecurityError', storage: 'SecurityError', locks: 'SecurityError' });

    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview, { path: '/frame', origin: /^null$/ });
    await expect(page.frameLocator('#frame').locator('#welcome h2')).toHaveText(WELCOME);
    await expect(page.frameLocator('#frame').locator('#evil')).toBeHidden();
    await frame.waitForFunction(() => typeof (window as any).p13n.v == 'string');
    const [personalized, tracked, id] = await frame.evaluate(() => {
      const p13n = (window as any).p13n;
      return Promise.all([p13n('personalize', { framed: 1 }), p13n('track', { event: 'framed' }), p13n('clientId')]);
    });
    expect(personalized).toMatchObject({ ok: true, status: 200 });
    expect(tracked).toMatchObject({ ok: true, status: 200, offers: {} });
    expect(id).toBe(pageview.body.td_client_id);
    const all = await waitForPosts(posts, 3);
    expectRequest(all.find((entry) => entry.body.uuid == personalized.uuid)!, { path: '/frame', origin: /^null$/, attributes: { framed: 1 } });
    expectRequest(all.find((entry) => entry.body.uuid == tracked.uuid)!, { path: '/frame', origin: /^null$/, attributes: { event: 'framed' } });
    for (const entry of all) expect(entry.body.td_client_id).toBe(id);
    expect((await seen(frame)).filter((e) => e.type == 'error')).toEqual([]);
    expect(await uncaught(frame)).toEqual([]);
    expect(await uncaught(tab)).toEqual([]);
  });

  test('9. offline when the tag starts: personalize resolves network, the track waits in the outbox, the next track online delivers it once (Chromium only: offline emulation)', async ({ open, tab, page, context, server, posts }) => {
    await watch(tab);
    await open({
      head: LISTEN + `<script src="{{TAG}}"></script><script>
        window.start = function () {
          return Promise.all([p13n('init', ${config()}), p13n('personalize', { offline: 1 }), p13n('track', { event: 'offline_track' })]);
        };
      </script>`,
      body: SLOTS,
    });
    await page.waitForFunction(() => typeof (window as any).p13n.v == 'string');
    await context.setOffline(true);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    const [init, personalized, tracked] = await page.evaluate(() => (window as any).start());
    expect(init).toEqual({ ok: true });
    expect(personalized).toMatchObject({ ok: false, error: { code: 'network', retryable: true }, offers: {}, uuid: expect.stringMatching(UUID) });
    expect(tracked).toMatchObject({ ok: false, error: { code: 'network', retryable: true }, offers: {}, uuid: expect.stringMatching(UUID) });
    const outbox = storageKeys(server.apiUrl).outbox;
    expect((await outboxEvents(tab, outbox)).map((entry) => entry.id)).toEqual([tracked.uuid]);
    await expect.poll(() => isVisible(tab, '#welcome')).toBe(false);
    expect(posts()).toEqual([]);
    // the page view, the personalize and the track, each reported once; and the delivery module, which could not
    // load offline (the track is stored, and was tried once all the same)
    await expect.poll(async () => (await seen(tab)).filter((e) => e.type == 'error').map((e) => `${e.code} ${e.retryable}`).sort()).toEqual([
      'module undefined', 'network true', 'network true', 'network true',
    ]);

    // back online: the next track loads the delivery module, which delivers the stored one too
    await context.setOffline(false);
    expect(await call(page, 'track', { event: 'online_again' })).toMatchObject({ ok: true });
    await expect.poll(() => answered(posts).filter((entry) => entry.body.event == 'offline_track').length).toBe(1);
    const delivered = posts().find((entry) => entry.body.event == 'offline_track')!;
    expectRequest(delivered, { attributes: { event: 'offline_track' } });
    expect(delivered.body.uuid).toBe(tracked.uuid);
    await expect.poll(() => tagKeys(tab)).toEqual(['p13n:domain']); // the outbox is gone; the cookie's domain stays
    await page.waitForTimeout(300);
    // a personalize is not stored and sent later: only the two tracks
    expect(posts().map((entry) => entry.body.event).sort()).toEqual(['offline_track', 'online_again']);
    // and the tag works on: a new personalize renders the offers
    expect(await call(page, 'personalize')).toMatchObject({ ok: true, status: 200 });
    expect(await uncaught(tab)).toEqual([]);
  });

  test('9b. the API drops every connection: typed network errors, the track kept and delivered once it answers again', async ({ open, tab: page, emulator, server, posts }) => {
    emulator.setFault({ drop: true, forMs: 20_000 });
    await watch(page);
    await open({ head: LISTEN + snippet(`p13n('init', ${config()})`), body: SLOTS });
    const tracked = await call(page, 'track', { event: 'dropped_track' });
    expect(tracked).toMatchObject({ ok: false, error: { code: 'network', retryable: true } });
    await expect.poll(async () => (await seen(page)).filter((e) => e.type == 'error').map((e) => e.code)).toEqual(['network', 'network']);
    expect((await outboxEvents(page, storageKeys(server.apiUrl).outbox)).map((entry) => entry.id)).toEqual([tracked.uuid]);
    expect(posts().filter((entry) => entry.status == 200)).toEqual([]);
    emulator.clearFaults();
    await expect.poll(() => posts().filter((entry) => entry.status == 200).map((entry) => entry.body.uuid)).toEqual([tracked.uuid]);
    expectRequest(posts().find((entry) => entry.status == 200)!, { attributes: { event: 'dropped_track' } });
    expect(await call(page, 'personalize')).toMatchObject({ ok: true, status: 200 });
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    expect(await uncaught(page)).toEqual([]);
  });

  test('10. ten tags race the queue beside other tag stubs: each call answered once, in order, one live global, no other', async ({ open, tab: page, server, posts }) => {
    const seed = Number(process.env.HOSTILE_SEED) || Math.floor(Math.random() * 2 ** 31);
    test.info().annotations.push({ type: 'seed', description: `HOSTILE_SEED=${seed}` });
    await watch(page);
    // the order in which requests were handed to fetch (parallel requests may reach the emulator in any order)
    await page.addInitScript(() => {
      const original = window.fetch;
      const fetched: unknown[] = ((window as any).__fetched = []);
      window.fetch = function (this: unknown, _input: RequestInfo | URL, init?: RequestInit) {
        try {
          const body = init && typeof init.body == 'string' && JSON.parse(init.body);
          if (body) fetched.push({ script: body.script, n: body.n, uuid: body.uuid });
        } catch {}
        return original.apply(this, arguments as unknown as [RequestInfo]);
      } as typeof fetch;
    });
    for (const i of [7, 8, 9]) {
      server.pages.set(`/race/s${i}.js`, {
        headers: { 'Content-Type': 'text/javascript; charset=utf-8' },
        body: i == 7 ? `race(7, 'saved'); setTimeout(loadTag, Math.floor(mulberry32(__seed)() * 150));` : `race(${i}, '${i == 8 ? 'q' : 'stub'}');`,
      });
    }
    const PAGE_GLOBALS = ['__before', '__seed', 'calls', 'answers', 'handled', 'done', 'copies', 'live', 'race', 'loadTag', 'mulberry32',
      'dataLayer', 'gtag', 'fbq', '_fbq', 'analytics', 'ga', 'GoogleAnalyticsObject', '_paq'];
    await open({
      head: `<script>
        window.__before = Object.getOwnPropertyNames(window);
        window.__seed = ${seed};
        window.calls = []; window.answers = []; window.handled = {}; window.done = 0; window.copies = 0;
        window.mulberry32 = function (a) {
          return function () {
            a |= 0; a = a + 0x6D2B79F5 | 0;
            var t = Math.imul(a ^ a >>> 15, 1 | a);
            t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t;
            return ((t ^ t >>> 14) >>> 0) / 4294967296;
          };
        };
        window.loadTag = function () {
          var s = document.createElement('script'); s.async = true; s.src = '{{TAG}}';
          s.onload = function () { copies++ };
          document.head.appendChild(s);
        };
        // one tag's worth of calls: set, on, track, personalize, track, spaced at random, made through the global
        // ('stub'), a copy of the function taken when the script started ('saved'), or p13n.q.push ('q')
        window.race = function (i, style) {
          window.p13n = window.p13n || function () { (p13n.q = p13n.q || []).push(arguments) };
          var saved = window.p13n, random = mulberry32(__seed + 7919 * (i + 1)), n = 0;
          var args = function (n) {
            var mine = {}; mine['s' + i] = i;
            return [
              ['set', mine],
              ['on', 'offers', function (d) { (handled[i] = handled[i] || []).push(d.uuid) }],
              ['track', { event: 'race', script: i, n: 2 }],
              ['personalize', { script: i, n: 3 }],
              ['track', { event: 'race', script: i, n: 4 }]
            ][n];
          };
          (function step() {
            if (n == 5) return void done++;
            var a = args(n), k = n++;
            if (k == 2) {
              gtag('event', 'race', { i: i }); fbq('trackCustom', 'race', { i: i }); ga('send', 'event', 'race', String(i));
              analytics.track('race', { i: i }); _paq.push(['trackEvent', 'race', String(i)]);
            }
            var entry = { i: i, n: k, command: a[0], via: style, at: calls.length, live: typeof window.p13n.v == 'string' };
            calls.push(entry);
            var returned = style == 'q' ? window.p13n.q.push(a) : (style == 'saved' ? saved : window.p13n).apply(null, a);
            entry.returned = returned && typeof returned.then == 'function' ? 'promise' : typeof returned;
            if (entry.returned == 'promise') returned.then(function (r) { answers.push({ i: i, n: k, ok: r.ok, uuid: r.uuid }) });
            var wait = random() < 0.4 ? 0 : Math.floor(random() * 150);
            if (wait) setTimeout(step, wait); else step();
          })();
        };
      </script>
      <script>
        window.dataLayer = window.dataLayer || [];
        function gtag() { dataLayer.push(arguments); }
        gtag('js', new Date()); gtag('config', 'G-TEST');
        !function (f, b, e, v, n, t, s) { if (f.fbq) return; n = f.fbq = function () { n.callMethod ? n.callMethod.apply(n, arguments) : n.queue.push(arguments) };
          if (!f._fbq) f._fbq = n; n.push = n; n.loaded = !0; n.version = '2.0'; n.queue = [] }(window, document);
        fbq('init', '1234'); fbq('track', 'PageView');
        (function () {
          var analytics = window.analytics = window.analytics || [];
          analytics.methods = ['track', 'page', 'identify'];
          analytics.factory = function (method) { return function () { var args = Array.prototype.slice.call(arguments); args.unshift(method); analytics.push(args); return analytics } };
          for (var k = 0; k < analytics.methods.length; k++) analytics[analytics.methods[k]] = analytics.factory(analytics.methods[k]);
          analytics.page();
        })();
        window.GoogleAnalyticsObject = 'ga';
        window.ga = window.ga || function () { (ga.q = ga.q || []).push(arguments) }; ga.l = +new Date;
        ga('create', 'UA-1-1', 'auto'); ga('send', 'pageview');
        var _paq = window._paq = window._paq || []; _paq.push(['trackPageView']);
      </script>
      <script>
        window.p13n = window.p13n || function () { (p13n.q = p13n.q || []).push(arguments) };
        p13n('on', 'ready', function () { window.live = window.p13n });
        p13n('init', ${config()});
        setTimeout(loadTag, Math.floor(mulberry32(__seed + 1)() * 100));
      </script>
      <script>race(0, 'stub')</script>
      <script>race(1, 'saved')</script>
      <script>race(2, 'q')</script>
      <script>setTimeout(function () { race(3, 'stub') }, Math.floor(mulberry32(__seed + 3)() * 200))</script>
      <script>setTimeout(function () { race(4, 'saved') }, Math.floor(mulberry32(__seed + 4)() * 200))</script>
      <script>(function wait() { if (copies) race(5, 'q'); else setTimeout(wait, 5) })() // a tag that starts once the bundle is in</script>
      <script>race(6, 'stub')</script>`,
      body: `<script async src="/race/s7.js"></script><script async src="/race/s8.js"></script><script async src="/race/s9.js"></script>`,
    });
    // what is timed here is the page's own pace (its scripts' random waits, two loads of the bundle), not the tag's.
    // A second copy that never came was the tag's fault: a track cleared the page's timer 1, the one that loads it
    // (test 12)
    await page.waitForFunction(() => (window as any).done == 10 && (window as any).copies == 2, null, { timeout: 15_000 }).catch(async (error) => {
      const state = await page.evaluate(() => ({ done: (window as any).done, copies: (window as any).copies, calls: (window as any).calls.length }));
      throw new Error(`${error.message}; the page had ${JSON.stringify(state)}`);
    });
    const final = await call(page, 'personalize', { final: 1 });
    expect(final).toMatchObject({ ok: true, status: 200 });

    const calls: { i: number; n: number; command: string; via: string; at: number; returned: string; live: boolean }[] = await page.evaluate(() => (window as any).calls);
    const markers = calls.filter((c) => c.command == 'track' || c.command == 'personalize');
    expect(markers).toHaveLength(30);
    // both before and after the bundle: some calls were queued by the stub, some made on the live function
    const live = calls.filter((c) => c.live).length;
    test.info().annotations.push({ type: 'calls', description: `${live} of 50 made after the bundle was live, ${calls.filter((c) => c.returned == 'promise').length} returned a promise` });
    expect(live).toBeGreaterThan(0);
    expect(live).toBeLessThan(50);
    for (const c of calls) if (!c.live) expect(c.returned, `script ${c.i} call ${c.n}, made on the stub`).not.toBe('promise');

    // every track and personalize reached the service exactly once, with a correct request
    await expect.poll(() => answered(posts).length).toBe(32);
    const all = posts();
    expect(all.filter((entry) => entry.status != 200 || (entry as any).duplicate)).toEqual([]);
    const pageview = all.find((entry) => entry.body.script == null && entry.body.final == null)!;
    expectRequest(pageview, { exact: false });
    for (const c of markers) {
      const sent = all.filter((entry) => entry.body.script == c.i && entry.body.n == c.n);
      expect(sent, `script ${c.i} call ${c.n}`).toHaveLength(1);
      expectRequest(sent[0], { exact: false, attributes: { script: c.i, n: c.n } });
      expect(sent[0].body.td_client_id).toBe(pageview.body.td_client_id);
      // every set made before this call is in its body
      for (const s of calls.filter((other) => other.command == 'set' && other.at < c.at)) expect(sent[0].body['s' + s.i]).toBe(s.i);
    }
    expect(new Set(all.map((entry) => entry.body.uuid)).size).toBe(32);
    const last = all.find((entry) => entry.body.final == 1)!;
    for (let i = 0; i < 10; i++) expect(last.body['s' + i]).toBe(i);

    // promises: each call that returned one was answered once, ok, with the uuid that was sent
    await expect.poll(() => page.evaluate(() => (window as any).answers.length)).toBe(calls.filter((c) => c.returned == 'promise').length);
    const answers: { i: number; n: number; ok: boolean; uuid?: string }[] = await page.evaluate(() => (window as any).answers);
    for (const c of calls.filter((c) => c.returned == 'promise')) {
      const mine = answers.filter((a) => a.i == c.i && a.n == c.n);
      expect(mine, `answers to script ${c.i} call ${c.n}`).toHaveLength(1);
      expect(mine[0].ok).toBe(true);
      if (c.n >= 2) expect(mine[0].uuid).toBe(all.find((entry) => entry.body.script == c.i && entry.body.n == c.n)!.body.uuid);
    }
    for (const c of calls.filter((c) => c.returned != 'promise')) expect(['undefined', 'number']).toContain(c.returned); // stub, or q.push's length

    // in call order: tracks wait their turn in order, personalizes go out in order
    const fetched: { script?: number; n?: number; uuid: string }[] = await page.evaluate(() => (window as any).__fetched);
    const order = (command: string) => markers.filter((c) => c.command == command).map((c) => `${c.i}:${c.n}`);
    const handed = (command: string) =>
      fetched.filter((f) => f.script != null && markers.some((c) => c.i == f.script && c.n == f.n && c.command == command)).map((f) => `${f.script}:${f.n}`);
    expect(handed('track')).toEqual(order('track'));
    expect(handed('personalize')).toEqual(order('personalize'));
    expect(fetched).toHaveLength(32);

    // each script's offers handler heard each later answer once
    const handled: Record<number, string[]> = await page.evaluate(() => (window as any).handled);
    for (let i = 0; i < 10; i++) {
      const on = calls.find((c) => c.i == i && c.command == 'on')!;
      expect(new Set(handled[i]).size, `script ${i}'s handler heard an answer twice`).toBe(handled[i].length);
      const later = calls.filter((c) => c.command == 'personalize' && c.at > on.at).map((c) => all.find((e) => e.body.script == c.i && e.body.n == c.n)!.body.uuid);
      for (const uuid of [...later, final.uuid]) expect(handled[i]).toContain(uuid);
    }

    // one live global, the same since ready; no other global; the other tags' queues untouched
    const globals = await page.evaluate((PAGE_GLOBALS) => {
      const w = window as any;
      const added = Object.getOwnPropertyNames(window).filter((name) => w.__before.indexOf(name) < 0);
      return {
        added: added.filter((name) => PAGE_GLOBALS.indexOf(name) < 0),
        missing: PAGE_GLOBALS.filter((name) => added.indexOf(name) < 0),
        live: w.p13n === w.live && typeof w.p13n.v == 'string' && !Array.isArray(w.p13n.q),
        queues: [w.dataLayer, w.fbq.queue, w.ga.q].map((q: unknown[]) => q.length + ' ' + q.every((a) => Object.prototype.toString.call(a) == '[object Arguments]')),
        arrays: [w.analytics.length, w._paq.length],
        functions: [typeof w.gtag, w.fbq === w._fbq, typeof w.ga, w.analytics.track.length],
      };
    }, PAGE_GLOBALS);
    expect(globals).toEqual({ added: ['p13n'], missing: [], live: true, queues: ['12 true', '12 true', '12 true'], arrays: [11, 11], functions: ['function', true, 'function', 0] });
    expect(await uncaught(page)).toEqual([]);
  });

  test('11. as a new user tries it: an old shop with Prototype.js, cookies blocked and a strict CSP gets its offers and keeps working', async ({ open, tab: page, server, posts }) => {
    await page.addInitScript(() => {
      Object.defineProperty(Document.prototype, 'cookie', {
        configurable: true,
        get() {
          throw new DOMException('cookies are blocked', 'SecurityError');
        },
        set() {
          throw new DOMException('cookies are blocked', 'SecurityError');
        },
      });
    });
    await watch(page);
    const violations = await watchViolations(page);
    await open({
      // no 'unsafe-inline', no 'unsafe-eval': the shop's own inline scripts carry its nonce, the tag needs none
      csp: `default-src 'none'; script-src 'self' 'nonce-shop'; connect-src ${server.apiUrl}; style-src 'nonce-shop'`,
      head:
        PROTOTYPE_16.replace('<script>', '<script nonce="shop">') +
        `<script nonce="shop">window.shopJSON = function () { return JSON.stringify({ cart: [1, 2] }) + Object.keys([7]).length; }; window.before = shopJSON();</script>` +
        `<script async src="{{TAG}}" data-p13n-init='${config({ prehide: '#welcome', nonce: 'shop' })}'></script>`,
      body: SLOTS,
    });
    const [pageview] = await waitForPosts(posts, 1);
    expectRequest(pageview);
    await expect.poll(() => textOf(page, '#welcome h2')).toBe(WELCOME);
    await expect.poll(() => isVisible(page, '#welcome')).toBe(true);
    expect(await page.evaluate(() => document.getElementById('p13n-prehide'))).toBeNull();
    // the shop's Prototype-flavoured JSON is what it was, and the tag's request was plain JSON all the same
    expect(await page.evaluate(() => (window as any).shopJSON())).toBe(await page.evaluate(() => (window as any).before));
    expect(await page.evaluate(() => (window as any).before)).toContain('"[1, 2]"'); // Prototype is in effect
    expect(await call(page, 'track', { event: 'add_to_cart', items: ['sku-1'] })).toMatchObject({ ok: true });
    const events = await waitForPosts(posts, 2);
    expect(events[1].body).toMatchObject({ event: 'add_to_cart', items: ['sku-1'], td_client_id: pageview.body.td_client_id });
    expect(await violations.events()).toEqual([]);
    expect(await violations.console()).toEqual([]);
    expect(await uncaught(page)).toEqual([]);
  });

  test("12. the page's timers stay its own: the tag's requests, keepalive tracks among them, cancel none of them", async ({ open, tab: page, posts }) => {
    await watch(page);
    // timer ids are small integers counted per page: the page's first timers take ids from 1, which a tag that
    // cleared a non-id (clearTimeout(true) is clearTimeout(1)) would cancel
    await open({
      head: `<script>
        window.fired = []; window.timers = [];
        for (var k = 0; k < 20; k++) timers.push(setTimeout(function (id) { return function () { fired.push(id) } }(k), 6000));
      </script>
      <script async src="{{TAG}}" data-p13n-init='${config()}'></script>`,
      body: SLOTS,
    });
    const timers: number[] = await page.evaluate(() => (window as any).timers);
    expect(Math.min(...timers)).toBe(1); // the page's timers really hold the smallest ids
    await waitForPosts(posts, 1);
    for (const n of [1, 2, 3]) expect(await call(page, 'track', { event: 'timers', n })).toMatchObject({ ok: true });
    expect(await call(page, 'personalize')).toMatchObject({ ok: true });
    await waitForPosts(posts, 5);
    expect(await page.evaluate(() => (window as any).fired)).toEqual([]); // all the tag's requests ended before the timers were due
    await expect.poll(() => page.evaluate(() => (window as any).fired.length), { timeout: 15_000 }).toBe(20);
    expect(await uncaught(page)).toEqual([]);
  });
});
