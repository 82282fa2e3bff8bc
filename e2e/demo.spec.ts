import { expect, test } from './fixtures';

// The demo shop as a visitor sees it: served from 127.0.0.1, the API on localhost (another origin).
test('the demo shop shows offers that change as the visitor browses (Chromium only: Playwright text selectors)', async ({ page, server, emulator, pageErrors }) => {
  void emulator; // a fresh log and profiles for this visitor
  await page.goto(server.siteUrl + '/');
  await expect(page.locator('[data-p13n-offer="welcome"]')).toBeVisible();
  await expect(page.locator('[data-p13n-offer="welcome"] [data-p13n-attr="headline"]')).not.toBeEmpty();

  await page.click('text=Shoes');
  const pick = page.locator('[data-p13n-offer="category_pick"]');
  await expect(pick).toBeVisible();
  await expect(pick).toContainText('Trail Runner');

  await page.goto(server.siteUrl + '/product/trail-runner.html');
  await page.click('[data-add-to-cart]');
  await expect(page.locator('[data-p13n-offer="complete_order"]')).toBeVisible();
  const tracked = (emulator.log as { method: string; body: { event?: string } }[]).filter((entry) => entry.body?.event == 'add_to_cart');
  expect(tracked).toHaveLength(1);
  expect(pageErrors).toEqual([]);
});

test('the demo runs keyless through the first-party proxy (Chromium only: request events)', async ({ page, server, emulator, pageErrors }) => {
  await page.goto(server.siteUrl + '/');
  // the direct-mode page view must be in before the emulator forgets it
  await expect(page.locator('[data-p13n-offer="welcome"]')).toBeVisible();
  await page.evaluate(() => localStorage.setItem('p13n_demo_mode', 'proxy'));
  emulator.reset(); // forget the direct-mode page view
  const sent: Record<string, string>[] = [];
  page.on('request', (request) => request.url().includes('/p13n/') && sent.push(request.headers()));
  await page.reload();
  await expect(page.locator('[data-p13n-offer="welcome"]')).toBeVisible();
  // the browser sent no credentials, to its own origin; the proxy added them on the way to the service
  expect(sent.length).toBeGreaterThan(0);
  expect(sent[0]).not.toHaveProperty('authorization');
  expect(sent[0]).not.toHaveProperty('wp13n-token');
  const received = (emulator.log as { method: string; headers: Record<string, string> }[]).filter((entry) => entry.method == 'POST');
  expect(received.at(-1)!.headers.authorization).toMatch(/^TD1 1\//);
  expect(received.at(-1)!.headers['wp13n-token']).toBe('1/2/6b6ea5f8df5845fa8e7962f9e1ba84a3');
  expect((emulator.log as { method: string }[]).some((entry) => entry.method == 'OPTIONS')).toBe(false);
  expect(pageErrors).toEqual([]);
});
