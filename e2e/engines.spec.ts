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
