/**
 * The harness itself, in each engine: the tab is the engine it says, and it tells the test of the page errors
 * and console lines every other test relies on it to see (a recorder that heard nothing would pass them all).
 */
import { expect, test } from './fixtures';

const BROWSER = { chromium: /Chrome\//, firefox: /Firefox\//, webkit: /AppleWebKit\/.* Safari\// };

test('the tab runs in its engine and reports page errors, unhandled rejections and console lines', async ({ tab, server, engine }) => {
  server.pages.set('/broken', {
    headers: {},
    body: `<!doctype html><html><head><title>broken</title><script>
      console.error('an error line', 42);
      console.warn('a warning line');
      setTimeout(function () { throw new Error('thrown by the page') });
      Promise.reject(new Error('rejected by the page'));
    </script></head><body></body></html>`,
  });
  // another tab of the same context, so that the fixture's own check of its tab stays meaningful
  const other = await tab.newTab();
  await other.goto(`http://www.shop.test:${server.port}/broken`);
  expect(await other.evaluate(() => navigator.userAgent)).toMatch(BROWSER[engine]);
  if (engine != 'chromium') expect(await other.evaluate(() => navigator.userAgent)).not.toMatch(/Chrome\//);
  await expect.poll(async () => (await other.errors()).join('\n')).toMatch(/thrown by the page[^]*rejected by the page|rejected by the page[^]*thrown by the page/);
  expect((await other.console()).join('\n')).toMatch(/error: an error line 42/);
  expect((await other.console()).join('\n')).toMatch(/warning: a warning line/);
  await other.close();
});

/**
 * What README.md's "Browser support" says differs between the engines the suite runs in, checked where the tag
 * meets it: a plain-http page of the test site (no secure context), and the `_td` cookie's lifetime.
 */
const DIFFERENCES = {
  chromium: { trustedTypes: true, setHTML: true, cookieDays: 400 },
  firefox: { trustedTypes: true, setHTML: true, cookieDays: 400 },
  webkit: { trustedTypes: true, setHTML: false, cookieDays: 730 },
};

test('the differences between engines are the ones the README lists', async ({ open, tab, engine }) => {
  const page = await open({ head: '' });
  const seen = await page.evaluate(() => {
    document.cookie = 'long=1; path=/; max-age=' + 730 * 86400;
    return {
      // every engine: none of these on a plain-http page, so the tag has its own UUIDs and its own outbox ordering
      secure: isSecureContext,
      locks: 'locks' in navigator,
      randomUUID: 'randomUUID' in crypto,
      keepalive: 'keepalive' in new Request('/'),
      trustedTypes: 'trustedTypes' in window,
      setHTML: 'setHTML' in Element.prototype,
    };
  });
  const long = (await tab.cookies()).find((cookie) => cookie.name == 'long')!;
  const cookieDays = Math.round((long.expires * 1000 - Date.now()) / 86400e3);
  expect({ ...seen, cookieDays }).toEqual({ secure: false, locks: false, randomUUID: false, keepalive: true, ...DIFFERENCES[engine] });
});

test('press sends real keys to the focused element and clickAt clicks at a viewport point', async ({ open }) => {
  const page = await open({
    head: `<script>
      window.keys = []; window.clicks = [];
      // WebKitGTK names Shift+Tab's key ISO_Left_Tab ('Unidentified'): the focus tells Tab apart, the names the rest
      addEventListener('keydown', function (e) { if (e.key == 'Escape') keys.push(e.key + '@' + document.activeElement.id) }, true);
      addEventListener('click', function (e) { clicks.push(e.target.id + ' ' + e.clientX + ',' + e.clientY + ' ' + e.isTrusted) });
    </script>`,
    body: `<button id="one">one</button><button id="two">two</button>
      <div id="box" style="position:fixed;left:100px;top:200px;width:50px;height:50px;background:#ccc"></div>`,
  });
  await page.evaluate(() => document.getElementById('one')!.focus());
  await page.press('Tab');
  expect(await page.evaluate(() => document.activeElement!.id)).toBe('two');
  await page.press('Shift+Tab');
  expect(await page.evaluate(() => document.activeElement!.id)).toBe('one');
  await page.press('Escape');
  await expect.poll(() => page.evaluate(() => (window as any).keys)).toEqual(['Escape@one']);
  await page.clickAt(120, 210);
  await expect.poll(() => page.evaluate(() => (window as any).clicks)).toEqual(['box 120,210 true']);
});
