/**
 * Small helpers shared by the specs: emulator answers with chosen offers, the `_td` cookie, the keys the tag
 * keeps in localStorage, what an element shows, and CSP / Trusted Types violations. They take a `Tab`, so they
 * work in every engine.
 */
import type { Tab } from './engines/tab';

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
export const tdCookies = async (tab: Tab) => (await tab.cookies()).filter((cookie) => cookie.name == '_td');

/** The localStorage keys the tag keeps for the emulator's table: the outbox and the offer cache. */
export const storageKeys = (apiUrl: string) => ({
  outbox: `p13n:${apiUrl}/demo_db/pageviews`,
  cache: `p13n:cache:${apiUrl}/demo_db/pageviews`,
});

/**
 * The events the outbox holds for `key` (storageKeys' outbox): its records, `key#id`, oldest first, then a list
 * an earlier version left under `key`.
 */
export const outboxEvents = (tab: Tab, key: string) =>
  tab.evaluate((key) => {
    const records = Object.keys(localStorage)
      .filter((name) => name.indexOf(key + '#') == 0)
      .map((name) => JSON.parse(localStorage.getItem(name)!))
      .sort((a, b) => (a.at || 0) - (b.at || 0));
    return records.concat(JSON.parse(localStorage.getItem(key) || '[]')) as { id: string; body: string; tries: number; next: number; lease: number }[];
  }, key);

/** Every localStorage key of the page that starts with `p13n:`. */
export const tagKeys = (tab: Tab) =>
  tab.evaluate(() => Object.keys(localStorage).filter((key) => key.indexOf('p13n:') == 0).sort());

/** The computed `visibility` of the first element matching `selector`. */
export const visibility = (tab: Tab, selector: string) =>
  tab.evaluate((selector) => getComputedStyle(document.querySelector(selector)!).visibility, selector);

/** As Playwright's `toBeVisible`: the element exists, has a box, and is not `visibility: hidden`. */
export const isVisible = (tab: Tab, selector: string) =>
  tab.evaluate((selector) => {
    const element = document.querySelector(selector);
    return !!element && element.getClientRects().length > 0 && getComputedStyle(element).visibility != 'hidden';
  }, selector);

/** The text of the first element matching `selector`, or null when there is none. */
export const textOf = (tab: Tab, selector: string) =>
  tab.evaluate((selector) => {
    const element = document.querySelector(selector);
    return element ? element.textContent : null;
  }, selector);

export const countOf = (tab: Tab, selector: string) => tab.evaluate((selector) => document.querySelectorAll(selector).length, selector);

export const attributeOf = (tab: Tab, selector: string, name: string) =>
  tab.evaluate(([selector, name]) => document.querySelector(selector)!.getAttribute(name), [selector, name] as const);

/**
 * Collects CSP and Trusted Types violations of every document `tab` loads from now on: the
 * `securitypolicyviolation` events (directive and blocked URI) and the console errors the browser logs for them.
 * Call before `open()`, so violations during the load are seen too.
 */
export async function watchViolations(tab: Tab) {
  await tab.addInitScript(() => {
    const seen: string[] = ((window as any).__violations = []);
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  // browsers fetch /favicon.ico on their own, and Firefox reports its CSP refusal: not the page's request
  const mine = (lines: string[]) => lines.filter((line) => !/favicon\.ico/.test(line));
  return {
    console: async () => mine((await tab.console()).filter((line) => line.startsWith('error: ')).map((line) => line.slice(7))),
    events: async () => mine(await tab.evaluate(() => (window as any).__violations as string[])),
  };
}
