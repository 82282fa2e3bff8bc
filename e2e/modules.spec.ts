/**
 * The core and the modules it loads where a page uses them: which files a page loads, and when; that they load
 * under a strict CSP with a nonce and enforced Trusted Types; that a module that cannot load (blocked, tampered
 * with, a policy the page does not allow) is an error event and never costs the page a `track`; and that events an
 * earlier version stored are still delivered.
 */
import { readFileSync } from 'node:fs';
import { config, expect, tagLive, test, type Tab } from './fixtures';
import { outboxEvents, storageKeys, tagKeys, watchViolations } from './pages';

const LISTEN = `<script>window.seen = []; document.addEventListener('p13n:error', function (e) {
  window.seen.push(e.detail.error.code + ' ' + e.detail.error.message) });</script>`;
/** The tag's files the page has loaded so far, by name. */
const loaded = (tab: Tab) =>
  tab.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((entry) => entry.name.split('/').pop()!)
      .filter((name) => /^p13n.*\.js$/.test(name)),
  );
const errors = (tab: Tab) => tab.evaluate(() => (window as unknown as { seen: string[] }).seen);
const dist = (file: string) => readFileSync(new URL('../dist/' + file, import.meta.url), 'utf8');
const JS = { 'Content-Type': 'text/javascript', 'Access-Control-Allow-Origin': '*' };

test('a page that never tracks loads the core only and keeps no outbox; the first track loads delivery and is delivered', async ({ open, posts, server }) => {
  const tab = await open({ head: LISTEN + `<script async src="{{TAG}}" data-p13n-init='${config()}'></script>` });
  await expect.poll(() => posts().length).toBe(1); // the page view
  await tab.waitForTimeout(300);
  expect(await loaded(tab)).toEqual(['p13n.min.js']);
  expect(await outboxEvents(tab, storageKeys(server.apiUrl).outbox)).toEqual([]);
  const tracked = await tab.evaluate(() => (window as any).p13n('track', { event: 'add_to_cart' }));
  expect(tracked).toMatchObject({ ok: true, status: 200 });
  expect(await loaded(tab)).toEqual(['p13n.min.js', 'p13n-delivery.min.js']);
  expect(posts().filter((entry) => entry.body.event == 'add_to_cart')).toHaveLength(1);
  await expect.poll(() => tagKeys(tab)).toEqual(['p13n:domain']); // delivered: out of the outbox
  expect(await errors(tab)).toEqual([]);
});

test('under a strict CSP (nonce only) with enforced Trusted Types, the modules load with the core nonce and the policy p13n', async ({ open, posts, server, tab }) => {
  const violations = await watchViolations(tab);
  await open({
    csp: `default-src 'none'; script-src 'nonce-n0nce'; connect-src ${server.apiUrl}; require-trusted-types-for 'script'; trusted-types p13n`,
    head: `<script nonce="n0nce" src="{{TAG}}" data-p13n-init='${config({ spa: true, pageview: false })}'></script>`,
  });
  await tagLive(tab);
  expect(await tab.evaluate(() => (window as any).p13n('track', { event: 'strict' }))).toMatchObject({ ok: true });
  await tab.evaluate(() => history.pushState(null, '', '/test/next'));
  await expect.poll(() => posts().filter((entry) => entry.body.td_path == '/test/next').length).toBe(1);
  expect(await loaded(tab)).toEqual(expect.arrayContaining(['p13n-delivery.min.js', 'p13n-spa.min.js']));
  expect(await violations.events()).toEqual([]);
  expect(await violations.console()).toEqual([]);
});

test('a page whose CSP allows no policy p13n under Trusted Types: an error event, and the track still sent once', async ({ open, posts, server }) => {
  const tab = await open({
    csp: `default-src 'none'; script-src 'self' 'unsafe-inline'; connect-src ${server.apiUrl}; require-trusted-types-for 'script'; trusted-types other`,
    head: LISTEN + `<script src="{{TAG}}"></script><script>p13n('init', ${config({ pageview: false })})</script>`,
  });
  const tracked = await tab.evaluate(() => (window as any).p13n('track', { event: 'no_policy' }));
  expect(tracked).toMatchObject({ ok: true, status: 200 });
  expect(posts().filter((entry) => entry.body.event == 'no_policy')).toHaveLength(1);
  expect(await errors(tab)).toEqual([expect.stringMatching(/^module p13n: the delivery module needs the Trusted Types policy p13n; see /)]);
  await expect.poll(() => tagKeys(tab)).toEqual(['p13n:domain']); // delivered by the core itself: nothing stays stored
});

test('a module tampered with fails its SRI hash: an error event, nothing of it runs, the track is delivered, the next page loads it again', async ({ open, posts, server }) => {
  // the tag served from a CDN folder of its own, whose delivery module is not the one the core was built with
  server.pages.set('/cdn/p13n.min.js', { headers: JS, body: dist('p13n.min.js') });
  server.pages.set('/cdn/p13n-delivery.min.js', { headers: JS, body: 'window.tampered = 1;' + dist('p13n-delivery.min.js') });
  const head = LISTEN + `<script src="/cdn/p13n.min.js"></script><script>p13n('init', ${config({ pageview: false })})</script>`;
  const tab = await open({ head });
  expect(await tab.evaluate(() => (window as any).p13n('track', { event: 'first' }))).toMatchObject({ ok: true });
  expect(await tab.evaluate(() => (window as any).tampered)).toBeUndefined();
  expect(await errors(tab)).toEqual([expect.stringContaining('module p13n: the delivery module did not load from')]);
  expect(posts().filter((entry) => entry.body.event == 'first')).toHaveLength(1);
  // the CDN serves the right file again: the next page's track loads the module
  server.pages.set('/cdn/p13n-delivery.min.js', { headers: JS, body: dist('p13n-delivery.min.js') });
  await open({ head });
  expect(await tab.evaluate(() => (window as any).p13n('track', { event: 'second' }))).toMatchObject({ ok: true });
  expect(await loaded(tab)).toContain('p13n-delivery.min.js');
  expect(await errors(tab)).toEqual([]);
  expect(posts().filter((entry) => entry.body.event == 'second')).toHaveLength(1);
});

test('an event stored the way version 0.1.0 stored it is delivered once after the upgrade', async ({ open, posts, server }) => {
  const uuid = '7d4f1c2a-3b5e-4f60-8a71-92b3c4d5e6f7';
  const body = JSON.stringify({ td_client_id: 'a5f0e7e2-0000-4000-8000-000000000001', event: 'stored_by_0_1_0', uuid, time: 1764547200 });
  // as 0.1.0's outbox wrote it (src/outbox.ts then): a JSON array of { id, body, tries, next, lease, bytes }
  const old = JSON.stringify([{ id: uuid, body, tries: 2, next: Date.now() - 1000, lease: Date.now() - 1000, bytes: body.length }]);
  const tab = await open({ head: `<script>localStorage.setItem(${JSON.stringify(storageKeys(server.apiUrl).outbox)}, ${JSON.stringify(old)})</script>` });
  expect(await tab.evaluate((key) => localStorage.getItem(key), storageKeys(server.apiUrl).outbox)).toBe(old);
  await open({ head: `<script async src="{{TAG}}" data-p13n-init='${config({ pageview: false })}'></script>` });
  await expect.poll(() => posts().filter((entry) => entry.body.uuid == uuid).length).toBe(1);
  expect(posts().find((entry) => entry.body.uuid == uuid)!.body).toEqual(JSON.parse(body));
  // moved into a record by the delivery module, then delivered: nothing of it stays
  await expect.poll(() => tagKeys(tab)).toEqual(['p13n:domain']);
  await tab.waitForTimeout(300);
  expect(posts().filter((entry) => entry.body.uuid == uuid)).toHaveLength(1);
});
