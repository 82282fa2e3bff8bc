import { expect, test } from './fixtures';

// The demo shop as a visitor sees it: served from 127.0.0.1, the API on localhost (another origin).
test('the demo shop shows offers that change as the visitor browses', async ({ page, server, emulator, pageErrors }) => {
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
