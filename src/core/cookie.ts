/**
 * The one place that touches cookies, for the core and the early snippet alike: the snippet writes a new visitor's
 * cookie the moment it sends the first page view (td-js-sdk, should it load next, then finds that id rather than
 * making its own), so both must write the very same cookie. Read as js-cookie 3 reads, and written so that
 * js-cookie, td-js-sdk and this read the same value back, under the name js-cookie (and so earlier versions of the
 * tag) wrote: cookie.test.ts holds them to it. A cookie of an earlier version is read and replaced, never doubled.
 */

/** Cookie `name` as js-cookie's `get` reads it: the first of that name, quotes and %-escapes undone. */
export function readCookie(name: string): string | undefined {
  for (const pair of document.cookie.split('; ')) {
    const parts = pair.split('=');
    let value = parts.slice(1).join('=');
    try {
      if (decodeURIComponent(parts[0]) != name) continue;
      if (value[0] == '"') value = value.slice(1, -1);
      return value.replace(/(%[\dA-F]{2})+/gi, decodeURIComponent);
    } catch {} // a malformed escape: js-cookie skips that cookie too
  }
  return undefined;
}

/**
 * Writes cookie `name` on path `/` as js-cookie's `set` writes it, `SameSite=Lax`, `Secure` on https: for `days`
 * (a session cookie without; a negative number removes it), on `domain` (host-only without). Every attribute is a
 * parameter, never an object a polluted `Object.prototype` could add keys to.
 */
export function writeCookie(name: string, value: string, domain?: string, days?: number) {
  document.cookie =
    // the name's characters as js-cookie writes them (config allows only a cookie name's: `(` and `)` never come),
    // else a name such as `my+id` would be another cookie than an earlier version wrote; any value reads back alike
    encodeURIComponent(name).replace(/%(2[346B]|5E|60|7C)/g, decodeURIComponent) +
    '=' +
    encodeURIComponent(value) +
    '; path=/; SameSite=Lax' +
    (location.protocol == 'https:' ? '; Secure' : '') +
    (days ? '; expires=' + new Date(Date.now() + days * 864e5).toUTCString() : '') +
    (domain ? '; domain=' + domain : '');
}

/** Where the registrable domain found is kept: localStorage is per origin, so this is per host. */
export const DOMAIN_KEY = 'p13n:domain';
/** localStorage's get, set or remove of DOMAIN_KEY; undefined where storage throws (the probe then runs). */
function storage(method: 'getItem' | 'setItem' | 'removeItem', value?: string): string | undefined {
  try {
    return localStorage[method](DOMAIN_KEY, value!) || undefined;
  } catch {
    return undefined;
  }
}
/** The stored domain when it is this host or a parent of it on a label boundary: not one left by another site. */
const remembered = () => {
  const domain = storage('getItem');
  const host = location.hostname;
  return domain && (host == domain || host.slice(-domain.length - 1) == '.' + domain) ? domain : undefined;
};

/**
 * The highest domain that accepts a cookie, found by trial writes from the top label down as td-js-sdk does
 * (`test` and `co.jp` are refused as public suffixes, `shop.test` is kept), and remembered: Firefox logs each
 * refused trial write to the console, so a browser probes a host once. Undefined on IP addresses and where no
 * write sticks: the cookie is then host-only, and nothing is remembered.
 */
export function registrableDomain(): string | undefined {
  const host = location.hostname;
  if (/^[\d.]+$|:/.test(host)) return;
  const probe = '_p13n_probe';
  const value = '' + Math.random();
  const labels = host.split('.');
  for (let i = labels.length; i--; ) {
    const domain = labels.slice(i).join('.');
    writeCookie(probe, value, domain);
    if (readCookie(probe) == value) {
      writeCookie(probe, '', domain, -1);
      storage('setItem', domain);
      return domain;
    }
  }
  // a remembered domain that no longer takes the cookie is forgotten too
  return storage('removeItem');
}

/**
 * Writes cookie `name` for `days` on `domain`, or else on the registrable domain (an earlier page's, tried once, so
 * a returning visitor's page view writes one cookie; else probed). Returns the domain used, for the next write.
 */
export function storeCookie(name: string, value: string, days: number, domain?: string): string | undefined {
  if (!domain) {
    domain = remembered();
    if (domain && (writeCookie(name, value, domain, days), readCookie(name) == value)) return domain;
    domain = registrableDomain();
  }
  writeCookie(name, value, domain, days);
  return domain;
}

/** Removes cookie `name` for the host, `domain` and each parent domain, writing none: no probe, under a refusal. */
export function removeCookie(name: string, domain?: string) {
  const labels = location.hostname.split('.');
  const remove = (domain?: string) => writeCookie(name, '', domain, -1);
  storage('removeItem');
  remove();
  if (domain) remove(domain);
  for (let i = labels.length - 1; i--; ) remove(labels.slice(i).join('.'));
}
