// @vitest-environment node
// The one-port server (Host routing, static files, settings, latency) and the rules language.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, post, view, offerNames, ORIGIN } from './test-helpers.mjs';
import { createEmulator, MAX_TOKENS } from './emulator.mjs';
import { compileRules, evaluate, newProfile, MESSAGE_KEY } from './rules.mjs';

const DIST_TAG = fileURLToPath(new URL('../dist/p13n.min.js', import.meta.url));

let server;
beforeAll(async () => { server = await start(); });
afterAll(() => server.close());

/** A GET with a chosen Host header, which fetch does not let a caller set. */
function getWithHost(host, urlPath, address = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    http.get({ host: address, port: server.port, path: urlPath, headers: { Host: `${host}:${server.port}` } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('one port, routed by host name', () => {
  it('reports its URLs, and localhost resolves to it', async () => {
    expect(server.siteUrl).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.apiUrl).toBe(`http://localhost:${server.port}`);
    expect((await fetch(server.apiUrl + '/_emulator/log')).status).toBe(200);
  });

  it('serves the shop on 127.0.0.1 and any other name, the API only on localhost', async () => {
    const page = await fetch(server.siteUrl + '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toContain("p13n('init'");
    expect((await getWithHost('www.shop.test', '/category/shoes.html')).body).toContain('data-p13n-offer="category_pick"');
    expect((await fetch(server.siteUrl + '/_emulator/log')).status).toBe(404);
    const api = await fetch(server.apiUrl + '/');
    expect(api.status).toBe(404);
    expect((await api.json()).code).toBe(404);
  });

  it('answers on the IPv6 loopback too when the machine has one (browsers try ::1 for localhost)', async () => {
    const v6 = await getWithHost('localhost', '/_emulator/faults', '::1').catch((e) => e);
    if (v6 instanceof Error) expect(v6.code).toMatch(/EADDRNOTAVAIL|ENETUNREACH|EAFNOSUPPORT|ECONNREFUSED/);
    else expect([v6.status, v6.body]).toEqual([200, '[]']);
  });
});

describe('static files', () => {
  it.each([
    ['/shop.js', 'text/javascript; charset=utf-8'],
    ['/shop.css', 'text/css; charset=utf-8'],
    ['/img/shoes.svg', 'image/svg+xml'],
    ['/category/bags.html', 'text/html; charset=utf-8'],
    ['/product/trail-runner.html', 'text/html; charset=utf-8'],
    ['/cart.html', 'text/html; charset=utf-8'],
  ])('%s as %s', async (file, type) => {
    const response = await fetch(server.siteUrl + file);
    expect([response.status, response.headers.get('content-type')]).toEqual([200, type]);
  });

  it('puts the shared top of the pages in place of their include, with its keys filled in', async () => {
    const cart = await (await fetch(server.siteUrl + '/cart.html')).text();
    expect(cart).not.toContain('#include');
    expect(cart).not.toMatch(/\{\{\w+\}\}/);
    expect(cart).toContain('<title>Cart · Stride &amp; Carry</title>');
    expect(cart).toContain("attributes: { page_type: 'cart' },");
    expect(cart).toContain('data-p13n-offer="free_shipping"');
    // the early snippet as built, loading the bundle from this site
    const early = readFileSync(new URL('../dist/p13n-early-snippet.js', import.meta.url), 'utf8').trim();
    expect(cart).toContain(early.replace('https://YOUR-CDN/p13n.min.js', '/dist/p13n.min.js'));
    const home = await (await fetch(server.siteUrl + '/')).text();
    expect(home).toContain('data-p13n-offer="complete_order"');
    expect(home).not.toContain('data-p13n-offer="free_shipping"');
  });

  it('serves the built tag from dist/, or a clean 404 naming the build when it is not built', async () => {
    const response = await fetch(server.siteUrl + '/dist/p13n.min.js');
    if (existsSync(DIST_TAG)) {
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    } else {
      expect([response.status, await response.text()]).toEqual([404, 'Not found: /dist/p13n.min.js (run `npm run build` first)\n']);
    }
    const missing = await fetch(server.siteUrl + '/dist/nothing.js');
    expect([missing.status, await missing.text()]).toEqual([404, 'Not found: /dist/nothing.js (run `npm run build` first)\n']);
  });

  it('never serves a file outside its roots', async () => {
    for (const p of ['/..%2frules.json', '/..%2f..%2fpackage.json', '/dist/..%2f..%2fpackage.json', '/%2e%2e/server.mjs']) {
      const response = await getWithHost('127.0.0.1', p);
      expect([403, 404]).toContain(response.status);
      expect(response.body).not.toContain('"tokens"');
    }
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await fetch(server.siteUrl + '/', { method: 'POST', body: 'x' })).status).toBe(405);
  });
});

describe('the single-page app under /spa/', () => {
  it('answers every route without a file extension with the app (history API fallback), and its own files as they are', async () => {
    for (const route of ['/spa/', '/spa', '/spa/shoes', '/spa/product/trail-runner', '/spa/no/such/route']) {
      const response = await getWithHost('www.shop.test', route);
      expect([route, response.status, response.headers['content-type']]).toEqual([route, 200, 'text/html; charset=utf-8']);
      expect(response.body).toContain('data-p13n-offer="spa_hero"');
      expect(response.body).toContain('<script src="/spa/app.js" defer></script>');
    }
    const script = await fetch(server.siteUrl + '/spa/app.js');
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(server.siteUrl + '/spa/spa.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // a missing file with an extension is a 404, not the page: a script tag must not get HTML
    expect((await fetch(server.siteUrl + '/spa/missing.js')).status).toBe(404);
    // the shop's pages are not the app's routes
    expect(await (await fetch(server.siteUrl + '/spaces')).text()).toBe('Not found: /spaces\n');
  });

  it('never serves a file outside demo/spa/ from there, fallback or not', async () => {
    for (const p of ['/spa/..%2frules.json', '/spa/..%2f..%2fpackage.json', '/spa/%2e%2e/server']) {
      const response = await getWithHost('127.0.0.1', p);
      expect([403, 404]).toContain(response.status);
      expect(response.body).not.toContain('"tokens"');
      expect(response.body).not.toContain('data-p13n-offer');
    }
  });

  it('has a hero offer for each of its routes, links and images included, and leaves the shop\'s offers alone', async () => {
    const hero = async (id, path) => (await (await view(server, id, path)).json()).offers.spa_hero;
    const first = await hero('spa-visitor', '/spa/');
    expect(first.attributes).toMatchObject({ headline: 'Welcome to Stride & Carry', href: '/spa/shoes', image: '/img/shoes.svg' });
    const shoes = await hero('spa-visitor', '/spa/shoes');
    const bags = await hero('spa-visitor', '/spa/bags');
    const product = await (await view(server, 'spa-visitor', '/spa/product/trail-runner')).json();
    const again = await hero('spa-visitor', '/spa/');
    const headlines = [first, shoes, bags, product.offers.spa_hero, again].map((offer) => offer.attributes.headline);
    expect(new Set(headlines).size).toBe(5);
    expect(again.attributes.text).toBe('5 page views and counting: the new bags are in.');
    expect(product.offers.spa_pair.attributes).toMatchObject({ href: '/spa/product/weekender', image: '/img/bags.svg' });
    const bag = await (await view(server, 'spa-visitor', '/spa/product/daypack')).json();
    expect(bag.offers.spa_pair.attributes.href).toBe('/spa/product/trail-runner');
    for (const path of ['/', '/category/shoes.html', '/product/trail-runner.html', '/cart.html']) {
      expect((await offerNames(await view(server, 'shop-visitor', path))).filter((name) => name.startsWith('spa_'))).toEqual([]);
    }
  });
});

describe('the demo\'s messages (rules.json)', () => {
  /** The offers of a page view; none for the API's 200 without a body. */
  const offers = async (id, path, extra) => {
    const text = await (await view(server, id, path, extra)).text();
    return text ? JSON.parse(text).offers : {};
  };
  const message = (offer) => JSON.parse(offer.attributes[MESSAGE_KEY]);

  it('replaces the home page\'s banner, for every visitor, with content that carries an attack for the sanitizer to strip', async () => {
    for (const path of ['/', '/index.html']) {
      const banner = message((await offers('banner-' + path.length, path)).home_banner);
      expect(banner).toMatchObject({ type: 'replacement', selector: '#home-banner' });
      expect(banner.content_html).toContain('<style>');
      expect(banner.content_html).toContain("onerror='window.__demoPwned=1'");
      expect(banner.content_html).toContain('<script>window.__demoPwned = 2</script>');
      expect(banner.content_html).toContain("href='javascript:window.__demoPwned=3'");
    }
    // the element it replaces is on the home page, with content of its own
    const home = await (await fetch(server.siteUrl + '/')).text();
    expect(home).toMatch(/<section class="home-banner" id="home-banner"[^>]*>\s*<div class="banner-default">/);
    // pre-hidden from the first moment, and by the tag until the message is shown
    expect(home).toContain("(document, '#home-banner', 1500)");
    expect(home).toContain("prehide: '#home-banner'");
    for (const path of ['/category/shoes.html', '/cart.html', '/product/trail-runner.html', '/spa/']) {
      expect(Object.keys(await offers('banner-elsewhere', path))).not.toContain('home_banner');
    }
  });

  it('opens a modal on the cart page once something is in the cart', async () => {
    expect(await offers('modal', '/cart.html')).not.toHaveProperty('cart_modal');
    await post(server, { td_client_id: 'modal', td_path: '/product/trail-runner.html', event: 'add_to_cart' });
    const modal = message((await offers('modal', '/cart.html')).cart_modal);
    expect(Object.keys(modal)).toEqual(['type', 'content_html']);
    expect(modal.type).toBe('modal');
    expect(modal.content_html).toMatch(/<h2>[^<]+<\/h2>/); // the dialog's name
    expect(Object.keys(await offers('modal', '/'))).not.toContain('cart_modal');
  });

  it('replaces the single-page app\'s notice on the bags route only, so the other routes restore it', async () => {
    const notice = message((await offers('spa-notice', '/spa/bags')).spa_notice);
    expect(notice).toMatchObject({ type: 'replacement', selector: '#notice' });
    const app = await (await fetch(server.siteUrl + '/spa/bags')).text();
    expect(app).toContain('<div id="notice" class="notice"><p class="notice-default">');
    expect(app).toContain("var prehide = '#hero, #notice, main [data-p13n-offer]';");
    for (const path of ['/spa/', '/spa/shoes', '/spa/product/weekender', '/']) {
      expect(Object.keys(await offers('spa-notice', path))).not.toContain('spa_notice');
    }
  });

  it('links and images in the messages point at pages and files the shop has', async () => {
    await post(server, { td_client_id: 'links', event: 'add_to_cart' });
    let html = '';
    for (const [path, name] of [['/', 'home_banner'], ['/cart.html', 'cart_modal'], ['/spa/bags', 'spa_notice']]) {
      html += message((await offers('links', path))[name]).content_html;
    }
    const urls = [...html.matchAll(/(?:href|src)='(\/[^']*)'/g)].map(([, url]) => url).filter((url) => !url.startsWith('/pixel.gif'));
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) expect([url, (await fetch(server.siteUrl + url)).status]).toEqual([url, 200]);
  });
});

describe('settings and options', () => {
  const token = (i) => `1/${i}/${i.toString(16).padStart(32, '0')}`;

  it(`accepts ${MAX_TOKENS} tokens and refuses ${MAX_TOKENS + 1}, like the API`, () => {
    const fifty = Array.from({ length: MAX_TOKENS }, (_, i) => token(i));
    expect(() => createEmulator({ tokens: fifty })).not.toThrow();
    expect(() => createEmulator({ tokens: [...fifty, token(99)] })).toThrow(/51 tokens configured.*at most 50 per service/);
    expect(() => createEmulator({ tokens: ['1/2/short'] })).toThrow(/not \{account_id\}\/\{instance_id\}\/\{32 hex\}/);
  });

  it('refuses to start with a settings file over the token limit, naming the problem', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'p13n-demo-'));
    const file = path.join(dir, 'rules.json');
    await writeFile(file, JSON.stringify({ tokens: Array.from({ length: 51 }, (_, i) => token(i)), rules: [] }));
    await expect(start({ rulesFile: file })).rejects.toThrow(/at most 50/);
    await writeFile(file, '{ not json');
    await expect(start({ rulesFile: file })).rejects.toThrow(/cannot read settings from .*rules\.json/);
    await rm(dir, { recursive: true });
  });

  it('adds latencyMs to every API answer, preflights included', async () => {
    const slow = await start({ latencyMs: 120 });
    try {
      const started = Date.now();
      const response = await fetch(slow.apiUrl + '/demo_db/pageviews', { method: 'OPTIONS', headers: { Origin: ORIGIN } });
      expect(response.status).toBe(204);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.close();
    }
  });
});

describe('rules', () => {
  const run = (when, event, profile = {}) =>
    Object.keys(evaluate(compileRules([{ offer: 'o', when }]), event, { ...newProfile(), ...profile }));

  it('matches equality, operators, arrays, any and not', () => {
    expect(run({ 'attr.product_category': 'shoes' }, { product_category: 'shoes' })).toEqual(['o']);
    expect(run({ 'attr.product_category': 'shoes' }, { product_category: 'bags' })).toEqual([]);
    expect(run({ 'attr.product_list': 'kids-hoodie' }, { product_list: ['tank-top', 'kids-hoodie'] })).toEqual(['o']);
    expect(run({ 'attr.td_path': { prefix: '/category/' } }, { td_path: '/category/shoes.html' })).toEqual(['o']);
    expect(run({ 'attr.td_path': ['/a', '/b'] }, { td_path: '/b' })).toEqual(['o']);
    expect(run({ 'profile.pageViews': { gte: 2, lt: 4 } }, {}, { pageViews: 4 })).toEqual([]);
    expect(run({ 'profile.categoryViews.shoes': { gte: 2 } }, {}, { categoryViews: { shoes: 2 } })).toEqual(['o']);
    expect(run({ any: [{ 'attr.a': 1 }, { 'attr.b': 2 }] }, { b: 2 })).toEqual(['o']);
    expect(run({ not: { 'attr.a': { exists: true } } }, { a: null })).toEqual(['o']);
    expect(run({ 'attr.email': { matches: '@example\\.com$' } }, { email: 'x@example.com' })).toEqual(['o']);
  });

  it('fills {{profile.x}} and {{attr.x}} in offer texts', () => {
    const rules = compileRules([{ offer: 'o', attributes: { text: '{{profile.cartItems}} for {{attr.name}}{{attr.none}}' }, segments: [7] }]);
    expect(evaluate(rules, { name: 'Ann' }, { ...newProfile(), cartItems: 3 })).toEqual({
      o: { attributes: { text: '3 for Ann' }, batch_segments: [{ id: '7' }] },
    });
  });

  it('turns a rule\'s "message" into td_in_browser.message_json, a string holding JSON, its lines joined', () => {
    const rules = compileRules([
      { offer: 'banner', message: { type: 'replacement', selector: '#hero', content_html: ['<style>.a { color: red }</style>', '<p class="a">Hi</p>'] }, attributes: { extra: 'kept' } },
      { offer: 'popup', message: { type: 'modal', content_html: '<h2>Sale</h2>' } },
    ]);
    const { banner, popup } = evaluate(rules, {}, newProfile());
    expect(Object.keys(banner.attributes)).toEqual(['extra', MESSAGE_KEY]);
    expect(typeof banner.attributes[MESSAGE_KEY]).toBe('string');
    expect(JSON.parse(banner.attributes[MESSAGE_KEY])).toEqual({
      type: 'replacement',
      selector: '#hero',
      content_html: '<style>.a { color: red }</style>\n<p class="a">Hi</p>',
    });
    // as the API sends it: JSON inside the JSON of the answer, quotes escaped once more
    expect(JSON.stringify({ offers: { popup } })).toContain('"td_in_browser.message_json":"{\\"type\\":\\"modal\\",\\"content_html\\":\\"<h2>Sale</h2>\\"}"');
    expect(JSON.parse(popup.attributes[MESSAGE_KEY])).toEqual({ type: 'modal', content_html: '<h2>Sale</h2>' });
  });

  it('fills {{...}} in a message\'s HTML, HTML-escaped, and keeps the JSON valid whatever the value holds', () => {
    const rules = compileRules([{ offer: 'm', message: { type: 'modal', content_html: '<p title="{{attr.name}}">{{attr.name}}: {{profile.cartItems}} item(s)</p>' } }]);
    const name = 'Ann "\\" <img src=x onerror=alert(1)>\n\'&';
    const { m } = evaluate(rules, { name }, { ...newProfile(), cartItems: 2 });
    const escaped = 'Ann &quot;\\&quot; &lt;img src=x onerror=alert(1)&gt;\n&#39;&amp;';
    expect(JSON.parse(m.attributes[MESSAGE_KEY]).content_html).toBe(`<p title="${escaped}">${escaped}: 2 item(s)</p>`);
  });

  it('refuses a message the tag could not show, at start', () => {
    const rule = (message, attributes) => () => compileRules([{ offer: 'o', message, attributes }]);
    expect(rule('<p>')).toThrow(/rules\[0\]: "message" must be an object/);
    expect(rule({ type: 'banner', content_html: '' })).toThrow(/"message.type" must be "replacement" or "modal"/);
    expect(rule({ type: 'replacement', content_html: '<p>' })).toThrow(/a replacement needs "message.selector"/);
    expect(rule({ type: 'replacement', selector: ' ', content_html: '<p>' })).toThrow(/a replacement needs "message.selector"/);
    expect(rule({ type: 'modal', selector: '#x', content_html: '<p>' })).toThrow(/a modal has no "message.selector"/);
    expect(rule({ type: 'modal', content_html: ['<p>', 1] })).toThrow(/"message.content_html" must be a string or a list of strings/);
    expect(rule({ type: 'modal' })).toThrow(/"message.content_html" must be a string/);
    expect(rule({ type: 'modal', content_html: '', html: '<p>' })).toThrow(/unknown key "html" in "message"/);
    expect(rule({ type: 'modal', content_html: '' }, { [MESSAGE_KEY]: '{}' })).toThrow(/keep one/);
  });

  it('refuses a rule it could never evaluate, at start', () => {
    expect(() => compileRules([{ offer: 'o', when: { 'attr.a': { gte: 1, around: 2 } } }])).toThrow(/rules\[0\]: unknown operator "around"/);
    expect(() => compileRules([{ offer: 'o', when: { product_category: 'shoes' } }])).toThrow(/must start with "attr." or "profile."/);
    expect(() => compileRules([{ when: {} }])).toThrow(/"offer" must be a name/);
  });
});
