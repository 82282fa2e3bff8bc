/**
 * The visitor's id as a page finds it. The core reads the cookie with js-cookie (identity.ts); the early snippet,
 * which every page's HTML carries, with `readCookie`, a few bytes that read as js-cookie does (snippets/early.test.ts
 * holds the two to the same answers).
 */
import type { Settings } from './config';
import { uuid } from './event';

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
 * `td_client_id` as a page finds it: the explicit one, else the cookie's (shared with td-js-sdk) as `read` reads
 * it, else a new one.
 */
export function visitorId(settings: Pick<Settings, 'cookie' | 'clientId'>, read: (name: string) => string | undefined): string {
  let stored: string | undefined;
  try {
    stored = settings.cookie ? read(settings.cookie.name) : stored;
  } catch {} // document.cookie throws in sandboxed frames: the id then lives in memory
  // td-js-sdk treats the literal 'undefined' and NUL characters as no id
  return settings.clientId || (stored && stored != 'undefined' && stored.indexOf('\0') < 0 ? stored : uuid());
}

