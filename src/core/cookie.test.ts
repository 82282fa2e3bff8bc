/**
 * The tag's cookie reader and writer against the code that reads the same cookie on real pages: js-cookie 3 (which
 * earlier versions of the tag wrote with, and many pages use) and td-js-sdk's own reader. Generated names and
 * values, hostile ones included.
 */
import fc from 'fast-check';
import Cookies from 'js-cookie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// td-js-sdk 4.4's reader, as its bundle reads `_td`
// @ts-expect-error: td-js-sdk ships no types
import tdCookies from '../../node_modules/td-js-sdk/lib/vendor/js-cookies.js';
import { readCookie, removeCookie, writeCookie } from './cookie';
import { clearCookies, cookies, realCookies, recordCookieWrites } from './cookies.testing';

/** A cookie name the config accepts (config.ts): an RFC 6265 token. */
const NAME = fc.stringMatching(/^[\w!#$%&'*+\-.^`|~]{1,12}$/);
/** Any value an id may be: an explicit clientId is any string. */
const VALUE = fc.string({ unit: 'grapheme', maxLength: 40 });

const happyDOM = (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
const PAGE = location.href;

beforeEach(() => clearCookies());
afterEach(() => {
  realCookies();
  clearCookies();
  happyDOM.setURL(PAGE);
});

describe('readCookie', () => {
  it('reads as js-cookie does: the first of a name, quotes and escapes undone, a malformed one skipped', () => {
    document.cookie = 'other=1; path=/';
    document.cookie = '_td=abc%20def; path=/';
    document.cookie = 'quoted="a b"; path=/';
    document.cookie = 'bad=%E0%A4%A; path=/';
    document.cookie = 'eq=a=b; path=/';
    for (const name of ['_td', 'quoted', 'bad', 'eq', 'missing', 'other']) expect(readCookie(name), name).toBe(Cookies.get(name));
    expect(readCookie('_td')).toBe('abc def');
  });

  it('reads whatever js-cookie wrote as js-cookie reads it', () => {
    fc.assert(
      fc.property(NAME, VALUE, (name, value) => {
        // js-cookie answers Object.prototype's own members for such names (`toString`): its bug, not a reading to match
        fc.pre(!(name in {}));
        clearCookies();
        Cookies.set(name, value);
        expect(readCookie(name)).toBe(Cookies.get(name));
      }),
    );
  });
});

describe('writeCookie', () => {
  it('writes a value js-cookie, td-js-sdk and the tag all read back as written', () => {
    fc.assert(
      fc.property(VALUE, (value) => {
        clearCookies();
        writeCookie('_td', value);
        expect(readCookie('_td')).toBe(value);
        expect(Cookies.get('_td')).toBe(value);
        // td-js-sdk reads an empty value as none
        expect(tdCookies.getItem('_td')).toBe(value || null);
      }),
    );
  });

  it('writes under the very name js-cookie writes, so a cookie an earlier version wrote is replaced, not doubled', () => {
    fc.assert(
      fc.property(NAME, (name) => {
        clearCookies();
        const theirs = Cookies.set(name, 'old')!;
        const writes = recordCookieWrites();
        writeCookie(name, 'new');
        realCookies();
        expect(writes[0].split('=')[0]).toBe(theirs.split('=')[0]);
        expect(readCookie(name)).toBe('new');
        expect(Object.keys(cookies())).toHaveLength(1);
      }),
    );
  });

  it('writes path /, SameSite=Lax, an expiry in days and a domain, Secure only on https', () => {
    const writes = recordCookieWrites();
    writeCookie('_td', 'id-1', 'shop.test', 730);
    writeCookie('_td', 'id-2');
    happyDOM.setURL('https://www.shop.test/checkout');
    writeCookie('_td', 'id-3');
    const [http, session, https] = writes;
    expect(http).toMatch(/^_td=id-1; path=\/; SameSite=Lax; expires=([^;]+); domain=shop\.test$/);
    const expires = Date.parse(/expires=([^;]+)/.exec(http)![1]);
    expect(Math.abs(expires - (Date.now() + 730 * 864e5))).toBeLessThan(2000);
    expect(session).toBe('_td=id-2; path=/; SameSite=Lax');
    expect(https).toBe('_td=id-3; path=/; SameSite=Lax; Secure');
  });

  it('adds no attribute a polluted Object.prototype holds', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.domain = 'evil.test';
    proto.expires = -1;
    proto['max-age'] = 0;
    try {
      const writes = recordCookieWrites();
      writeCookie('_td', 'id-1');
      expect(writes).toEqual(['_td=id-1; path=/; SameSite=Lax']);
    } finally {
      delete proto.domain;
      delete proto.expires;
      delete proto['max-age'];
    }
  });
});

describe('removeCookie', () => {
  it('removes the cookie host-only and on every parent domain, and writes none', () => {
    document.cookie = '_td=host; path=/';
    document.cookie = '_td=site; path=/; domain=shop.test';
    document.cookie = 'other=1; path=/';
    removeCookie('_td');
    expect(cookies()).toEqual({ other: '1' });
  });
});
