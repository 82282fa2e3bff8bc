import { readFileSync } from 'node:fs';
import { API_KEY, expect, test, TOKEN, waitForPosts } from './fixtures';
import { granted, matches } from '../gtm/lint.mjs';
import { tdCookies } from './pages';
import type { Tab } from './engines/tab';

// The GTM template's sandboxed code (gtm/src/code.js, as built into gtm/template.tpl) run in a real page on GTM's
// APIs as Google documents them (e2e/gtm/runtime.js, permission-checked): the bundle really injected, the queue
// really replayed by the tag, consent listeners really fired. Chromium only: the subject is the template's code and
// GTM's APIs, the same in every browser; the tag itself is tested in all three elsewhere.
const CODE = readFileSync(new URL('../gtm/src/code.js', import.meta.url), 'utf8');
/** GTM's APIs for the page, with the lint's own URL matcher (a plain function: its source runs in the page). */
const RUNTIME = `<script>window.gtmUrlMatches = ${matches.toString()};</script><script>${readFileSync(new URL('./gtm/runtime.js', import.meta.url), 'utf8')}</script>`;

/** The template's fields as a site fills them, pointing at this site's bundle and the emulator (over https). */
const fields = (securePort: number, extra: Record<string, unknown> = {}) => ({
  bundleUrl: `https://www.shop.test:${securePort}/dist/p13n.min.js`,
  database: 'demo_db',
  table: 'pageviews',
  connection: 'direct',
  endpoint: `https://localhost:${securePort}`,
  apiKey: API_KEY,
  token: TOKEN,
  attributes: [{ name: 'plan', value: 'gold' }],
  spa: false,
  measure: false,
  consentSource: 'gtm',
  consentType: 'personalization_storage',
  ...extra,
});
/** The template's permissions, but the bundle served here rather than from jsDelivr: as a self-hosting site edits them. */
const permissions = { ...granted, inject_script: { urls: ['https://www.shop.test/dist/*'] } };

/** Fires the tag: the template's code with `data`, under `perms`, GTM's consent state `consent`. */
const fire = (tab: Tab, data: object, consent: Record<string, string>, perms: object = permissions) =>
  tab.evaluate(([code, data, perms, consent]) => {
    try {
      (window as any).runTemplate(code, data, perms, consent);
      return 'ran';
    } catch (error) {
      return String(error);
    }
  }, [CODE, data, perms, consent] as const);
const outcome = (tab: Tab) => tab.evaluate(() => (window as any).gtmOutcome);

test.describe('the GTM template on GTM\'s APIs (Chromium only)', () => {
  test('consent denied in GTM: the bundle loads, init waits; granted sends the page view with the table\'s attributes; denied again removes the cookie', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: RUNTIME });
    expect(await fire(tab, fields(server.securePort), { personalization_storage: 'denied' })).toBe('ran');
    await expect.poll(() => outcome(tab)).toMatchObject({ success: 1, failure: 0 });
    await tab.waitForFunction(() => typeof (window as any).p13n.v == 'string'); // the bundle took over the queue
    await tab.waitForTimeout(300);
    expect(posts()).toEqual([]);
    expect(await tdCookies(tab)).toEqual([]);
    await tab.evaluate(() => (window as any).gtmSetConsent('personalization_storage', 'granted'));
    const [view] = await waitForPosts(posts, 1);
    expect(view.body).toMatchObject({ plan: 'gold', td_path: '/test' });
    expect(await tdCookies(tab)).toHaveLength(1);
    await tab.evaluate(() => (window as any).gtmSetConsent('personalization_storage', 'denied'));
    await expect.poll(() => tdCookies(tab)).toEqual([]);
  });

  test('consent granted when the tag fires: the page view at once; another consent type picked is the one followed', async ({ open, server, posts }) => {
    const tab = await open({ secure: true, head: RUNTIME });
    const data = fields(server.securePort, { consentType: 'analytics_storage' });
    expect(await fire(tab, data, { analytics_storage: 'granted', personalization_storage: 'denied' })).toBe('ran');
    await waitForPosts(posts, 1);
  });

  test('the first-party proxy: no key in the page, the request to the site\'s /p13n', async ({ open, server, posts }) => {
    // an http page (the demo's proxy accepts the site's http origins); the bundle still from https, as GTM requires
    const tab = await open({ head: RUNTIME });
    const data = fields(server.securePort, { connection: 'proxy', proxyPath: '/p13n', consentSource: 'none' });
    expect(await fire(tab, data, {})).toBe('ran');
    const [view] = await waitForPosts(posts, 1);
    expect(view.body.td_client_id).toEqual(expect.any(String));
    expect(await tab.evaluate(() => performance.getEntriesByType('resource').some((entry) => new URL(entry.name).pathname.startsWith('/p13n/')))).toBe(true);
  });

  test('a bundle URL the permissions do not grant is refused; one that does not load calls gtmOnFailure', async ({ open, server }) => {
    const tab = await open({ secure: true, head: RUNTIME });
    const elsewhere = fields(server.securePort, { bundleUrl: `https://cdn.shop.test:${server.securePort}/dist/p13n.min.js` });
    expect(await fire(tab, elsewhere, {})).toMatch(/permission denied: inject_script https:\/\/cdn\.shop\.test/);
    const missing = fields(server.securePort, { bundleUrl: `https://www.shop.test:${server.securePort}/dist/missing.js` });
    expect(await fire(tab, missing, {})).toBe('ran');
    await expect.poll(() => outcome(tab)).toMatchObject({ success: 0, failure: 1 });
  });

  test('the template\'s own permissions, unedited, do not let it load from this site: only jsDelivr', async ({ open, server }) => {
    const tab = await open({ secure: true, head: RUNTIME });
    expect(await fire(tab, fields(server.securePort), {}, granted)).toMatch(/permission denied: inject_script/);
  });
});
