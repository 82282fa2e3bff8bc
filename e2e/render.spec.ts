import { config, expect, test } from './fixtures';

const ATTACK = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>';

test('slots render offers as text only, under enforced Trusted Types and a strict CSP', async ({ open, emulator, server, page, pageErrors }) => {
  emulator.setFault({ status: 200, times: 1, body: JSON.stringify({ offers: { hero: { attributes: { headline: ATTACK, cta: 'Shop now' } } } }) });
  await open({
    csp: `default-src 'none'; script-src 'self'; connect-src ${server.apiUrl}; require-trusted-types-for 'script'`,
    head: `<script async src="{{TAG}}" data-p13n-init='${config()}'></script>`,
    body: `
      <section data-p13n-offer="hero" hidden><h2 data-p13n-attr="headline">Default</h2><a data-p13n-attr="cta">Default</a></section>
      <section data-p13n-offer="missing"><p data-p13n-attr="headline">Shown until the offers say otherwise</p></section>`,
  });
  const violations: string[] = [];
  page.on('console', (message) => message.type() == 'error' && violations.push(message.text()));
  const hero = page.locator('[data-p13n-offer="hero"]');
  await expect(hero).toBeVisible();
  await expect(hero.locator('[data-p13n-attr="headline"]')).toHaveText(ATTACK);
  await expect(hero.locator('[data-p13n-attr="cta"]')).toHaveText('Shop now');
  await expect(page.locator('[data-p13n-offer="missing"]')).toBeHidden();
  expect(await page.locator('img, section script').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();
  expect(violations).toEqual([]);
  expect(pageErrors).toEqual([]);
});
