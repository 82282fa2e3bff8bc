/**
 * Small helpers shared by the consent, prehide, render and cache specs: emulator answers with chosen offers, the
 * `_td` cookie, the keys the tag keeps in localStorage, computed visibility, and CSP / Trusted Types violations.
 */
import type { BrowserContext, Page } from '@playwright/test';

/** A fault that answers the next page view (or `times` requests) 200 with exactly these offers. */
export const answer = (offers: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  status: 200,
  times: 1,
  body: JSON.stringify({ offers }),
  ...extra,
});

/** An offer with these attributes, as the API returns it. */
export const offer = (attributes: Record<string, unknown>) => ({ attributes, batch_segments: [{ id: '1' }] });

/** Every `_td` cookie the browser holds (host-only and domain cookies alike). */
export const tdCookies = async (context: BrowserContext) => (await context.cookies()).filter((cookie) => cookie.name == '_td');

/** The localStorage keys the tag keeps for the emulator's table: the outbox and the offer cache. */
export const storageKeys = (apiUrl: string) => ({
  outbox: `p13n:${apiUrl}/demo_db/pageviews`,
  cache: `p13n:cache:${apiUrl}/demo_db/pageviews`,
});

/** Every localStorage key of the page that starts with `p13n:`. */
export const tagKeys = (page: Page) =>
  page.evaluate(() => Object.keys(localStorage).filter((key) => key.indexOf('p13n:') == 0).sort());

export const visibility = (page: Page, selector: string) =>
  page.locator(selector).evaluate((element) => getComputedStyle(element).visibility);

/**
 * Collects CSP and Trusted Types violations of every document `page` loads from now on: the
 * `securitypolicyviolation` events (directive and blocked URI) and the console errors the browser logs for them.
 * Call before `open()`, so violations during the load are seen too.
 */
export async function watchViolations(page: Page) {
  const console: string[] = [];
  page.on('console', (message) => message.type() == 'error' && console.push(message.text()));
  await page.addInitScript(() => {
    const seen: string[] = ((window as any).__violations = []);
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  return {
    console,
    events: () => page.evaluate(() => (window as any).__violations as string[]),
  };
}
