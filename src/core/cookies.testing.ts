/**
 * Cookies as the unit tests' page (happy-dom, http://www.shop.test) sees them: shared by the tests that read and
 * clear them. Not part of the tag: nothing outside the tests imports it.
 */

/** Cookie name -> raw value, as the page sees them. */
export function cookies(): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // a cookie may be called __proto__
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

/**
 * Records every string written to document.cookie, and lets it through unless it matches `refused` (as a browser
 * refuses a cookie's domain).
 */
export function recordCookieWrites(refused?: RegExp): string[] {
  const writes: string[] = [];
  let proto = Object.getPrototypeOf(document);
  while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
  const real = Object.getOwnPropertyDescriptor(proto, 'cookie')!;
  Object.defineProperty(document, 'cookie', {
    configurable: true,
    get: () => real.get!.call(document),
    set: (text: string) => {
      writes.push(text);
      if (!refused || !refused.test(text)) real.set!.call(document, text);
    },
  });
  return writes;
}
/** Makes document.cookie throw on read and write, as in a sandboxed frame. */
export function blockCookies() {
  const blocked = () => {
    throw new DOMException('The document is sandboxed', 'SecurityError');
  };
  Object.defineProperty(document, 'cookie', { configurable: true, get: blocked, set: blocked });
}

/** Undoes recordCookieWrites and blockCookies: document.cookie as the page has it. */
export const realCookies = () => void Reflect.deleteProperty(document, 'cookie');
