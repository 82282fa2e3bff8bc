import Cookies from 'js-cookie';
import type { Settings } from './config';
import { uuid } from './event';
import { visitorId } from './visitor';

type Attributes = Cookies.CookieAttributes;

/**
 * js-cookie writes every enumerable key of its attributes into the cookie, inherited ones too: on a page whose
 * Object.prototype is polluted that adds attributes (a domain, `max-age=0`) or throws. Own undefined keys hide
 * the inherited ones, and js-cookie skips undefined.
 */
export const shielded = (attributes: Attributes): Attributes => {
  for (const key in attributes) if (!Object.prototype.hasOwnProperty.call(attributes, key)) attributes[key] = undefined;
  return attributes;
};

/** js-cookie's own remove() adds `{ expires: -1 }`, whose inherited keys it copies too: this writes it shielded. */
const erase = (cookies: Cookies.CookiesStatic, name: string, domain?: string) => cookies.set(name, '', shielded({ domain, expires: -1 }));

/** The one place that touches cookies: js-cookie with the attributes every write needs. */
export function cookieJar(name: string, expires: number, domain?: string) {
  const cookies = Cookies.withAttributes({ path: '/', sameSite: 'Lax', secure: location.protocol == 'https:' });
  const remove = (domain?: string) => erase(cookies, name, domain);
  const write = (value: string) => cookies.set(name, value, shielded({ expires, domain }));
  return {
    set(value: string) {
      if (!domain) {
        // the domain an earlier page found, tried once: a returning visitor's page view writes one cookie
        domain = remembered();
        if (domain && (write(value), cookies.get(name) == value)) return;
        domain = registrableDomain(cookies);
      }
      write(value);
    },
    /** Removes the cookie for the host and each parent domain, writing none: no probe, under a refusal. */
    remove() {
      const labels = location.hostname.split('.');
      storage('removeItem');
      remove();
      if (domain) remove(domain);
      for (let i = labels.length - 1; i--; ) remove(labels.slice(i).join('.'));
    },
  };
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
function registrableDomain(cookies: Cookies.CookiesStatic): string | undefined {
  const host = location.hostname;
  if (/^[\d.]+$|:/.test(host)) return;
  const probe = '_p13n_probe';
  const value = '' + Math.random();
  const labels = host.split('.');
  for (let i = labels.length; i--; ) {
    const domain = labels.slice(i).join('.');
    cookies.set(probe, value, shielded({ domain }));
    if (cookies.get(probe) == value) {
      erase(cookies, probe, domain);
      storage('setItem', domain);
      return domain;
    }
  }
  // a remembered domain that no longer takes the cookie is forgotten too
  return storage('removeItem');
}

/** The visitor's `td_client_id` (see visitorId), written to the cookie once consent allows. */
export function createIdentity(settings: Pick<Settings, 'cookie' | 'clientId'>) {
  const { cookie } = settings;
  const jar = cookie && cookieJar(cookie.name, cookie.expires, cookie.domain);
  let id = visitorId(settings, Cookies.get);
  /** Writes the id with a fresh expiry: once per page view. Where cookies are blocked it lives in memory only. */
  const save = () => {
    try {
      if (jar) jar.set(id);
    } catch {}
  };
  return {
    get: () => id,
    save,
    /** A new id (a logout); written to the cookie with `store`, kept in memory only without consent. */
    reset(store: boolean) {
      id = uuid();
      if (store) save();
    },
    /** Consent refused: the cookie goes, and the id too, so a later consent starts with a new one. */
    forget() {
      id = uuid();
      try {
        if (jar) jar.remove();
      } catch {}
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
