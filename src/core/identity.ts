import type { Settings } from './config';
import { readCookie, removeCookie, storeCookie } from './cookie';
import { uuid } from './event';

type IdSettings = Pick<Settings, 'cookie' | 'clientId'>;

/** The cookie's id, or undefined where there is none (td-js-sdk treats the literal 'undefined' and NUL as none). */
function cookieId(settings: IdSettings): string | undefined {
  try {
    const stored = settings.cookie ? readCookie(settings.cookie.name) : undefined;
    return stored && stored != 'undefined' && stored.indexOf('\0') < 0 ? stored : undefined;
  } catch {
    return undefined; // document.cookie throws in sandboxed frames: the id then lives in memory
  }
}

/**
 * `td_client_id` as a page finds it: the explicit one, else the cookie's (shared with td-js-sdk), else a new one.
 * The early snippet's first page view and the core start from it alike.
 */
export const visitorId = (settings: IdSettings) => settings.clientId || cookieId(settings) || uuid();

/**
 * The visitor's `td_client_id`, written to the cookie once consent allows; `initial` is the one the early snippet
 * sent the first page view with. The cookie is the one td-js-sdk uses, and whoever writes it first names the
 * visitor: td-js-sdk reads it once, as it loads, and writes its own id when it finds none. So this one follows the
 * cookie: when what it reads as has changed since this last looked (another script wrote a new id there), that id
 * is the visitor's from then on, rather than written over (which would split one page's events between two ids).
 */
export function createIdentity(settings: IdSettings, initial?: string) {
  const { cookie } = settings;
  let domain = cookie ? cookie.domain : undefined; // where the cookie goes: the config's, or the one found  // the cookie's id as last read, or as the snippet left it: a change of it is another script's write
  let seen = initial || cookieId(settings);
  let id = settings.clientId || seen || uuid();
  const get = () => {
    const now = settings.clientId ? seen : cookieId(settings);
    // what the cookie reads as has changed: an id there is another script's, and the visitor's from now on (a
    // cookie gone leaves the id as it is)
    if (now != seen && (seen = now)) id = now;
    return id;
  };
  /** Writes the id with a fresh expiry: once per page view. Where cookies are blocked it lives in memory only. */
  const save = () => {
    try {
      if (cookie) domain = storeCookie(cookie.name, get(), cookie.expires, domain);
      // what the cookie reads as now: its first `_td`, which may be an older host-only one this write did not replace
      seen = cookieId(settings);
    } catch {}
  };
  return {
    get,
    _save: save,
    /** A new id (a logout); written to the cookie with `store`, kept in memory only without consent. */
    _reset(store: boolean) {
      get();
      id = uuid();
      if (store) save();
    },
    /** Consent refused: the cookie goes, and the id too, so a later consent starts with a new one. */
    _forget() {
      id = uuid();
      seen = undefined;
      try {
        if (cookie) removeCookie(cookie.name, domain);
      } catch {}
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
