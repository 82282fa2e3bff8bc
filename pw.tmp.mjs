import { chromium } from '@playwright/test';
const files = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const res = Object.fromEntries(files.map((f) => [f, []]));
for (let i = 0; i < 16; i++) for (const f of files) {
  const ctx = await browser.newContext(); const page = await ctx.newPage();
  await page.goto('file:///tmp/snipt/' + f + '.html'); await page.waitForTimeout(220);
  const t = await page.evaluate(() => +document.body.textContent.replace('T=', ''));
  if (i > 1) res[f].push(t);
  await ctx.close();
}
for (const f of files) { const v = res[f].sort((a, b) => a - b); console.log(f, 'median', v[v.length >> 1], 'p25', v[v.length >> 2]); }
await browser.close();
