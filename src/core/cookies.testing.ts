/**
 * Cookies as the unit tests' page (happy-dom, http://www.shop.test) sees them: shared by the tests that read and
 * clear them. Not part of the tag: nothing outside the tests imports it.
 */

/** Cookie name -> raw value, as the page sees them. */
export function cookies(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of document.cookie.split('; ').filter(Boolean)) {
    const at = pair.indexOf('=');
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** Expires every cookie, host-only and on each parent domain of www.shop.test. */
export function clearCookies() {
  for (const name of Object.keys(cookies())) {
    for (const domain of ['', '; domain=shop.test', '; domain=www.shop.test']) {
      document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/${domain}`;
    }
  }
}
