/**
 * One visitor id with td-js-sdk, in every engine: Treasure Data's own SDK (4.4, the devDependency, its bundle and
 * documented loader) runs beside the tag on an https page, as sites that personalize run it, in signed mode
 * (`startInSignedMode: true`: it reads `_td` once as it loads, and writes its own id, `Secure; SameSite=None`, when
 * it finds none). Whatever order the early snippet, the two bundles and consent come in, TD must receive the page
 * under one `td_client_id`, the one the `_td` cookie keeps: both tags' requests and the cookie are compared.
 */
import { readFileSync } from 'node:fs';
import { INGEST_PATH } from '../demo/emulator.mjs';
import { TD_BUNDLE, tdLoader } from '../demo/td-js-sdk.mjs';
import { API_KEY, call, config, earlySnippet, expect, snippet, tagLive, test, type LogEntry, type Tab } from './fixtures';
import { tdCookies } from './pages';

/** Bundles that load nothing until the test adds the real one: the order is the test's. */
const HELD_CORE = '/dist/held-back.js';
const TD_HELD = '//" + location.host + "/cdn/held-back-td.js';

type Server = Parameters<Parameters<typeof test>[2]>[0]['server'];

/**
 * td-js-sdk as a site sets it up: a client for the demo's database in signed mode, and its page view, sent to the
 * emulator's stand-in for TD's records endpoint (demo/emulator.mjs, INGEST_PATH).
 */
const tdCalls = (server: Server) => `var td = new Treasure({ database: 'demo_db', writeKey: '${API_KEY}', host: 'localhost:${server.securePort}', pathname: '${INGEST_PATH}', startInSignedMode: true });
td.trackPageview('pageviews');`;
/** Its loader snippet, whose bundle is held back until the test adds it, and the calls. */
const tdLoaded = (server: Server) => `<script>${tdLoader(TD_HELD)}\n${tdCalls(server)}</script>`;
/** Its bundle already on the page (a cached, synchronous copy), and the calls: td-js-sdk runs first. */
const tdFirst = (server: Server) => `<script src="/cdn/td.min.js"></script><script>${tdCalls(server)}</script>`;

/** Adds a script to the page and waits until it has run. */
const addScript = (tab: Tab, src: string) =>
  tab.evaluate(
    (src) =>
      new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      }),
    src,
  );
const addTd = (tab: Tab) => addScript(tab, '/cdn/td.min.js');
const addCore = async (tab: Tab) => {
  await addScript(tab, '/dist/p13n.min.js');
  await tagLive(tab);
};

/** The ids each tag sent: the tag's page views, and td-js-sdk's events. */
function idsSent(posts: LogEntry[]) {
  const tag = posts.filter((entry) => entry.path == '/demo_db/pageviews').map((entry) => entry.body.td_client_id);
  const sdk = posts
    .filter((entry) => entry.path.startsWith(INGEST_PATH) && entry.method == 'POST')
    .flatMap((entry) => (entry.body as { events: { td_client_id?: string }[] }).events.map((event) => event.td_client_id));
  return { tag, sdk };
}

/** Waits until both tags have sent `count` page views each, and checks they name one visitor: the cookie's. */
async function expectOneVisitor(tab: Tab, posts: () => LogEntry[], count = 1) {
  await expect.poll(() => idsSent(posts()).tag.length, { timeout: 10_000 }).toBe(count);
  await expect.poll(() => idsSent(posts()).sdk.length, { timeout: 10_000 }).toBe(count);
  const { tag, sdk } = idsSent(posts());
  const cookies = await tdCookies(tab);
  expect(cookies.map((cookie) => cookie.domain), 'one _td cookie, on the registrable domain').toEqual(['.shop.test']);
  const [kept] = cookies;
  expect(kept.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  expect({ tag, sdk }).toEqual({ tag: Array(count).fill(kept.value), sdk: Array(count).fill(kept.value) });
  expect(await call(tab, 'clientId')).toBe(kept.value);
  return kept.value;
}

test.describe('one visitor id with td-js-sdk (signed mode) on an https page, whatever comes first', () => {
  // after the emulator fixture, which empties the pages
  test.beforeEach(({ server, emulator: _ }) => {
    server.pages.set('/cdn/td.min.js', { headers: { 'Content-Type': 'text/javascript' }, body: readFileSync(TD_BUNDLE, 'utf8') });
  });

  test('early snippet, then td-js-sdk, then the core: td-js-sdk finds the id the snippet sent', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: earlySnippet(`p13n('init', ${config()})`, { tag: HELD_CORE }) + tdLoaded(server) });
    await expect.poll(() => idsSent(posts()).tag.length).toBe(1);
    await addTd(tab);
    await expect.poll(() => idsSent(posts()).sdk.length).toBe(1);
    await addCore(tab);
    const id = await expectOneVisitor(tab, posts);
    // and the next page, a returning visitor now, goes on under it: both tags send it again
    await tab.goto(await tab.url());
    await addTd(tab);
    await addCore(tab);
    expect(await expectOneVisitor(tab, posts, 2)).toBe(id);
  });

  test('early snippet, then the core, then td-js-sdk', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: earlySnippet(`p13n('init', ${config()})`, { tag: HELD_CORE }) + tdLoaded(server) });
    await expect.poll(() => idsSent(posts()).tag.length).toBe(1);
    await addCore(tab);
    await addTd(tab);
    await expectOneVisitor(tab, posts);
  });

  test('td-js-sdk, then the early snippet, then the core: the snippet sends the id td-js-sdk made', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: tdFirst(server) + earlySnippet(`p13n('init', ${config()})`, { tag: HELD_CORE }) });
    await addCore(tab);
    await expectOneVisitor(tab, posts);
  });

  test('the short snippet: the core, then td-js-sdk', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: snippet(`p13n('init', ${config()})`) + tdLoaded(server) });
    await tagLive(tab);
    await expect.poll(() => idsSent(posts()).tag.length).toBe(1);
    await addTd(tab);
    await expectOneVisitor(tab, posts);
  });

  test('the short snippet: td-js-sdk, then the core', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: tdFirst(server) + snippet(`p13n('init', ${config()})`) });
    await expectOneVisitor(tab, posts);
  });

  test('consent pending: td-js-sdk writes its id before the visitor accepts; the held page view goes with it', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: earlySnippet(`p13n('init', ${config({ consent: 'pending' })})`) + tdLoaded(server) });
    await tagLive(tab);
    expect(await tdCookies(tab)).toEqual([]); // neither the snippet nor the core writes before consent
    await addTd(tab);
    await expect.poll(() => idsSent(posts()).sdk.length).toBe(1);
    await call(tab, 'consent', 'granted');
    await expectOneVisitor(tab, posts);
  });

  test('consent pending, accepted before td-js-sdk arrives: td-js-sdk finds the id the tag wrote', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: earlySnippet(`p13n('init', ${config({ consent: 'pending' })})`) + tdLoaded(server) });
    await call(tab, 'consent', 'granted');
    await expect.poll(() => idsSent(posts()).tag.length).toBe(1);
    await addTd(tab);
    await expectOneVisitor(tab, posts);
  });
});
