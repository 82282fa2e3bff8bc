import { readFileSync } from 'node:fs';
import { call, config, expect, test, waitForPosts } from './fixtures';
import { tdCookies } from './pages';
import type { Tab } from './engines/tab';

// The README's consent recipes for two open-source CMPs, run with the CMPs' own published bundles and their own
// banners clicked, as a visitor would. Chromium only: the subject is the recipe (the CMP's API and the tag's
// consent command, both tested in three engines elsewhere), not the browser.
const file = (path: string) => readFileSync(new URL('../node_modules/' + path, import.meta.url), 'utf8');
const JS = { 'Content-Type': 'text/javascript' };
const CSS = { 'Content-Type': 'text/css' };

/** The tag, pending consent, as the recipes start it. */
const TAG = `<script src="{{TAG}}"></script><script>p13n('init', ${config({ consent: 'pending' })})</script>`;

/** A recipe as the README gives it: the code block after its `<!-- recipe: NAME -->` marker. */
function recipe(name: string) {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const at = readme.indexOf(`<!-- recipe: ${name} -->`);
  if (at < 0) throw new Error(`README.md has no recipe ${name}`);
  return readme.slice(at).split('```js\n')[1].split('\n```')[0];
}

/** The CMPs' published bundles, on the site (after the emulator fixture has cleared its pages). */
function serveCmps(server: { pages: Map<string, unknown> }) {
  server.pages.set('/cmp/klaro.js', { headers: JS, body: file('klaro/dist/klaro.js') });
  server.pages.set('/cmp/cookieconsent.js', { headers: JS, body: file('vanilla-cookieconsent/dist/cookieconsent.umd.js') });
  server.pages.set('/cmp/cookieconsent.css', { headers: CSS, body: file('vanilla-cookieconsent/dist/cookieconsent.css') });
}

const click = (tab: Tab, selector: string) =>
  tab.waitForFunction((selector) => {
    const button = document.querySelector(selector) as HTMLElement | null;
    if (button) button.click();
    return !!button;
  }, selector);

test.describe('consent recipes with open-source CMPs (Chromium only)', () => {
  test('Klaro: nothing before the choice; declined sends nothing; accepted later sends the page view; the stored choice on the next page at once', async ({ open, posts, server }) => {
    serveCmps(server);
    const page = { head: TAG + `<script>${recipe('klaro')}</script><script defer src="/cmp/klaro.js"></script>` };
    const tab = await open(page);
    await tab.waitForTimeout(500);
    expect(posts()).toEqual([]);
    await click(tab, '.klaro .cn-decline, .klaro .cm-btn-danger');
    expect(await call(tab, 'personalize')).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(await tdCookies(tab)).toEqual([]);
    // the visitor changes their mind: Klaro's modal, the service switched on, saved
    await tab.evaluate(() => (window as any).klaro.show());
    await click(tab, '.klaro input#service-item-p13n-tag');
    await click(tab, '.klaro .cm-btn-accept');
    await waitForPosts(posts, 1);
    expect(await tdCookies(tab)).toHaveLength(1);
    // the next page: the recipe reads the stored choice, and the page view goes without a click
    await open({ ...page, path: '/next' });
    await expect.poll(() => posts().filter((entry) => entry.body.td_path == '/next').length).toBe(1);
  });

  test('vanilla-cookieconsent: rejected sends nothing; accepted sends the page view; the stored choice on the next page at once', async ({ open, posts, server }) => {
    serveCmps(server);
    // vanilla-cookieconsent hides from browsers that say they are automated (hideFromBots): these do
    const code = recipe('vanilla-cookieconsent').replace('CookieConsent.run({', 'CookieConsent.run({ hideFromBots: false,');
    const page = {
      head: TAG + `<link rel="stylesheet" href="/cmp/cookieconsent.css"><script src="/cmp/cookieconsent.js"></script>`,
      body: `<script>${code}</script>`,
    };
    const tab = await open(page);
    await tab.waitForTimeout(500);
    expect(posts()).toEqual([]);
    await click(tab, '#cc-main [data-role="necessary"]');
    expect(await call(tab, 'personalize')).toMatchObject({ ok: false, error: { code: 'consent' } });
    expect(posts()).toEqual([]);
    // the visitor opens the preferences and accepts all
    await tab.evaluate(() => (window as any).CookieConsent.showPreferences());
    await click(tab, '#cc-main .pm [data-role="all"]');
    await waitForPosts(posts, 1);
    await open({ ...page, path: '/next' });
    await expect.poll(() => posts().filter((entry) => entry.body.td_path == '/next').length).toBe(1);
  });
});
