import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blockCookies, clearCookies, cookies, realCookies, recordCookieWrites } from './cookies.testing';
import { uuid } from './event';
import { createIdentity } from './identity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A td-js-sdk client id, as it would already sit in the `_td` cookie. */
const SDK_ID = '42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16';
const TD = { name: '_td', expires: 730 };

beforeEach(() => {
  clearCookies();
  localStorage.removeItem('p13n:domain');
});
afterEach(() => {
  realCookies();
  clearCookies();
});

describe('uuid', () => {
  it('is a v4 UUID, unique over many', () => {
    const ids = Array.from({ length: 1000 }, uuid);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws from crypto.getRandomValues and needs no crypto.randomUUID', () => {
    const real = globalThis.crypto;
    const getRandomValues = vi.fn((array: Uint8Array<ArrayBuffer>) => real.getRandomValues(array));
    vi.stubGlobal('crypto', { getRandomValues });
    const id = uuid();
    expect(id).toMatch(UUID);
    expect(getRandomValues).toHaveBeenCalled();
  });

  it('takes all of its randomness from crypto.getRandomValues, and keeps the v4 bits whatever the bytes', () => {
    for (const byte of [0x00, 0xff, 0x5a]) {
      vi.stubGlobal('crypto', { getRandomValues: <T extends Uint8Array>(array: T) => array.fill(byte) });
      const id = uuid();
      expect(id).toMatch(UUID);
      expect(uuid()).toBe(id); // same bytes, same id: Math.random plays no part
    }
  });
});

describe('createIdentity', () => {
  it('reads the id td-js-sdk left in the _td cookie', () => {
    document.cookie = `_td=${SDK_ID}; path=/`;
    expect(createIdentity({ cookie: TD }).get()).toBe(SDK_ID);
  });

  it('creates a v4 id when there is no cookie, writes nothing until save(), then writes it', () => {
    const identity = createIdentity({ cookie: TD });
    const id = identity.get();
    expect(id).toMatch(UUID);
    expect(cookies()).not.toHaveProperty('_td');
    identity._save();
    expect(cookies()._td).toBe(id);
    expect(identity.get()).toBe(id);
    // the next page view reads it back
    expect(createIdentity({ cookie: TD }).get()).toBe(id);
  });

  it('leaves no probe cookie behind after save()', () => {
    createIdentity({ cookie: TD })._save();
    expect(Object.keys(cookies())).toEqual(['_td']);
    expect(document.cookie).not.toContain('_p13n_probe');
  });

  it('writes the cookie for 2 years on path /, SameSite=Lax, not Secure on an http page, on every save()', () => {
    document.cookie = `_td=${SDK_ID}; path=/`;
    const writes = recordCookieWrites();
    const identity = createIdentity({ cookie: TD });
    identity._save();
    const write = writes.filter((text) => text.startsWith('_td=')).pop()!;
    expect(write).toMatch(new RegExp(`^_td=${SDK_ID};`));
    expect(write).toMatch(/;\s*path=\/(;|$)/i);
    expect(write).toMatch(/;\s*samesite=lax/i);
    expect(write).not.toMatch(/;\s*secure/i);
    const expires = Date.parse(/expires=([^;]+)/i.exec(write)![1]);
    expect(Math.abs(expires - (Date.now() + 730 * 864e5))).toBeLessThan(864e5);
    // the expiry is refreshed on the next page view too
    const before = writes.length;
    createIdentity({ cookie: TD })._save();
    expect(writes.slice(before).some((text) => text.startsWith(`_td=${SDK_ID};`))).toBe(true);
  });

  it('writes the cookie Secure on an https page', () => {
    const happyDOM = (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
    const page = location.href;
    happyDOM.setURL('https://www.shop.test/checkout');
    try {
      const writes = recordCookieWrites();
      createIdentity({ cookie: TD })._save();
      const write = writes.filter((text) => text.startsWith('_td=')).pop()!;
      expect(write).toMatch(/;\s*secure/i);
      expect(write).toMatch(/;\s*samesite=lax/i);
    } finally {
      happyDOM.setURL(page);
    }
  });

  it.each([
    ['the literal "undefined"', 'undefined'],
    ['a value with a NUL character', '%00' + SDK_ID],
    ['an empty value', ''],
  ])('ignores %s in the cookie', (_, value) => {
    document.cookie = `_td=${value}; path=/`;
    const id = createIdentity({ cookie: TD }).get();
    expect(id).toMatch(UUID);
  });

  it('lets an explicit clientId win over the cookie', () => {
    document.cookie = `_td=${SDK_ID}; path=/`;
    expect(createIdentity({ cookie: TD, clientId: 'crm-42' }).get()).toBe('crm-42');
    expect(createIdentity({ cookie: false, clientId: 'crm-42' }).get()).toBe('crm-42');
  });

  it('reset() makes a new id and writes it', () => {
    document.cookie = `_td=${SDK_ID}; path=/`;
    const identity = createIdentity({ cookie: TD });
    identity._reset(true);
    const id = identity.get();
    expect(id).toMatch(UUID);
    expect(id).not.toBe(SDK_ID);
    expect(cookies()._td).toBe(id);
  });

  describe('follows the cookie td-js-sdk writes', () => {
    it('takes the id another script wrote after it looked, and writes that one, not its own', () => {
      const identity = createIdentity({ cookie: TD });
      const own = identity.get();
      document.cookie = `_td=${SDK_ID}; path=/; domain=shop.test`;
      expect(identity.get()).toBe(SDK_ID);
      identity._save();
      expect(identity.get()).toBe(SDK_ID);
      expect(cookies()).toEqual({ _td: SDK_ID });
      expect(own).not.toBe(SDK_ID);
    });

    it("starts from the early snippet's id, and takes td-js-sdk's should it have written the cookie since", () => {
      document.cookie = 'other=1; path=/';
      expect(createIdentity({ cookie: TD }, 'a5f0e7e2-0000-4000-8000-000000000001').get()).toBe('a5f0e7e2-0000-4000-8000-000000000001');
      document.cookie = `_td=${SDK_ID}; path=/; domain=shop.test`;
      expect(createIdentity({ cookie: TD }, 'a5f0e7e2-0000-4000-8000-000000000001').get()).toBe(SDK_ID);
    });

    it('keeps its own id beside an older host-only cookie that reads first: no flip-flop', () => {
      document.cookie = `_td=${SDK_ID}; path=/`; // host-only, created first: document.cookie lists it first
      const identity = createIdentity({ cookie: TD });
      identity._reset(true); // a logout
      const next = identity.get();
      expect(next).not.toBe(SDK_ID);
      for (let i = 0; i < 3; i++) expect(identity.get()).toBe(next);
      identity._save();
      expect(identity.get()).toBe(next);
    });

    it('never follows the cookie with an explicit clientId, and ignores a cookie that holds no id', () => {
      const crm = createIdentity({ cookie: TD, clientId: 'crm-42' });
      const plain = createIdentity({ cookie: TD });
      const own = plain.get();
      document.cookie = `_td=undefined; path=/; domain=shop.test`;
      expect(plain.get()).toBe(own);
      document.cookie = `_td=${SDK_ID}; path=/; domain=shop.test`;
      expect(crm.get()).toBe('crm-42');
    });

    it('a reset without consent keeps the new id in memory, over the cookie it may not write', () => {
      document.cookie = `_td=${SDK_ID}; path=/; domain=shop.test`;
      const identity = createIdentity({ cookie: TD });
      identity._reset(false);
      const next = identity.get();
      expect(next).not.toBe(SDK_ID);
      expect(identity.get()).toBe(next);
      expect(cookies()).toEqual({ _td: SDK_ID });
    });
  });

  it('with cookie: false keeps the id in memory and never writes a cookie', () => {
    document.cookie = 'other=1; path=/';
    const writes = recordCookieWrites();
    const identity = createIdentity({ cookie: false });
    const id = identity.get();
    expect(id).toMatch(UUID);
    identity._save();
    expect(identity.get()).toBe(id);
    identity._reset(true);
    expect(identity.get()).toMatch(UUID);
    expect(identity.get()).not.toBe(id);
    identity._forget();
    expect(writes).toEqual([]);
    expect(document.cookie).toBe('other=1');
  });

  it('uses a custom cookie name', () => {
    document.cookie = `my_id=${SDK_ID}; path=/`;
    const mine = { name: 'my_id', expires: 30 };
    expect(createIdentity({ cookie: mine }).get()).toBe(SDK_ID);
    clearCookies();
    const identity = createIdentity({ cookie: mine });
    identity._save();
    expect(cookies()).toEqual({ my_id: identity.get() });
  });

  it('forget() removes the cookie it wrote', () => {
    const identity = createIdentity({ cookie: TD });
    identity._save();
    expect(cookies()).toHaveProperty('_td');
    identity._forget();
    expect(cookies()).not.toHaveProperty('_td');
  });

  // on a later page view forget() comes before any save(): it must find the registrable domain itself
  it('forget() on a later page view removes the cookie an earlier page view wrote', () => {
    createIdentity({ cookie: TD })._save();
    const nextPage = createIdentity({ cookie: TD });
    nextPage._forget();
    expect(cookies()).not.toHaveProperty('_td');
  });

  it('keeps one stable in-memory id where document.cookie throws, and never throws', () => {
    blockCookies();
    const identity = createIdentity({ cookie: TD });
    const id = identity.get();
    expect(id).toMatch(UUID);
    expect(() => identity._save()).not.toThrow();
    expect(identity.get()).toBe(id);
    expect(() => identity._reset(true)).not.toThrow();
    const next = identity.get();
    expect(next).toMatch(UUID);
    expect(next).not.toBe(id);
    expect(() => identity._forget()).not.toThrow();
    expect(identity.get()).toMatch(UUID);
    expect(identity.get()).not.toBe(next); // a refusal ends the id too
  });
});

describe('the registrable domain is probed once per browser', () => {
  const probes = (writes: string[]) => writes.filter((text) => text.startsWith('_p13n_probe='));

  it('remembers the domain found, so a returning visitor\'s page view writes one cookie and no probe', () => {
    const first = recordCookieWrites();
    createIdentity({ cookie: TD })._save();
    expect(probes(first).length).toBeGreaterThan(0);
    expect(localStorage.getItem('p13n:domain')).toBe('shop.test');
    realCookies();

    const writes = recordCookieWrites();
    const next = createIdentity({ cookie: TD });
    next._save();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(new RegExp(`^_td=${next.get()};.*domain=shop\\.test`, 'i'));
    expect(cookies()).toEqual({ _td: next.get() });
  });

  it.each(['other.example', 'hop.test', 'ww.shop.test'])('ignores a stored domain %s that is not this host or a parent of it', (stale) => {
    localStorage.setItem('p13n:domain', stale);
    const writes = recordCookieWrites();
    createIdentity({ cookie: TD })._save();
    expect(writes.some((text) => text.includes('domain=' + stale))).toBe(false);
    expect(probes(writes).length).toBeGreaterThan(0);
    expect(localStorage.getItem('p13n:domain')).toBe('shop.test');
  });

  it('probes again when the stored domain no longer takes the cookie, and remembers the new one', () => {
    localStorage.setItem('p13n:domain', 'shop.test');
    const writes = recordCookieWrites(/domain=shop\.test/i);
    const identity = createIdentity({ cookie: TD });
    identity._save();
    expect(writes[0]).toMatch(/^_td=.*domain=shop\.test/i);
    expect(probes(writes).length).toBeGreaterThan(0);
    expect(localStorage.getItem('p13n:domain')).toBe('www.shop.test');
    expect(cookies()).toEqual({ _td: identity.get() });
  });

  it('forgets the stored domain when no write sticks at all', () => {
    localStorage.setItem('p13n:domain', 'shop.test');
    recordCookieWrites(/domain=/i);
    createIdentity({ cookie: TD })._save();
    expect(localStorage.getItem('p13n:domain')).toBeNull();
  });

  it('probes as before where localStorage throws', () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const writes = recordCookieWrites();
    const identity = createIdentity({ cookie: TD });
    expect(() => identity._save()).not.toThrow();
    expect(probes(writes).length).toBeGreaterThan(0);
    expect(cookies()).toEqual({ _td: identity.get() });
  });

  it('forget() removes the stored domain with the cookie: no trace of a visitor who said no', () => {
    createIdentity({ cookie: TD })._save();
    expect(localStorage.getItem('p13n:domain')).toBe('shop.test');
    createIdentity({ cookie: TD })._forget();
    expect(localStorage.getItem('p13n:domain')).toBeNull();
    expect(cookies()).toEqual({});
  });
});
