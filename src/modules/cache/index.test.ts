import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toJSON } from '../../core/payload';
import create, { MAX_PATHS } from './index';

const createCache = (key: string, ttl: number) => create({ url: key.replace(/^p13n:cache:/, ''), cache: { ttl } }, { toJSON });

const KEY = 'p13n:cache:https://us01.p13n.in.treasuredata.com/public/shop_db/offers';
const TTL = 60; // seconds
const NOW = 1_800_000_000_000;
const answer = (headline = 'Spring sale', uuid = 'u-1') => ({
  offers: { hero: { attributes: { headline } } },
  status: 200,
  uuid,
});
/** What localStorage holds under KEY, parsed; null when nothing. */
const stored = (): Record<string, unknown> | null => JSON.parse(localStorage.getItem(KEY) || 'null');
const refuse = () => {
  throw new DOMException('p13n test: storage refused', 'SecurityError');
};
/**
 * Replaces localStorage with a Map-backed one whose named methods throw. happy-dom's Storage is a Proxy that binds
 * each method to the instance the first time it is read, so a spy on Storage.prototype is bypassed once any test
 * has used the method, and a spy on the instance cannot be restored (the Proxy refuses the delete).
 */
function stubStorage(fail: ('getItem' | 'setItem' | 'removeItem')[], error: () => never = refuse) {
  const data = new Map<string, string>();
  const storage = {
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, '' + value),
    removeItem: (key: string) => void data.delete(key),
  };
  fail.forEach((method) => (storage[method] = error));
  vi.stubGlobal('localStorage', storage);
  return data;
}

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createCache: get and put', () => {
  it('gives back the offers, status and uuid put for a path, with the time they came', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer());
    expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
  });

  it('gives nothing for a path never put', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer());
    expect(cache.get('/cart')).toBeUndefined();
    expect(cache.get('toString')).toBeUndefined();
    expect(cache.get('__proto__')).toBeUndefined();
  });

  it('keeps paths apart, and a later put for a path replaces the earlier', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer('Home'));
    cache.put('/cart', answer('Cart'));
    vi.advanceTimersByTime(1000);
    cache.put('/home', answer('Home again', 'u-2'));
    expect(cache.get('/home')).toEqual({ ...answer('Home again', 'u-2'), t: NOW + 1000 });
    expect(cache.get('/cart')!.offers).toEqual(answer('Cart').offers);
  });

  it('is fresh until ttl seconds have passed', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer());
    vi.setSystemTime(NOW + TTL * 1000 - 1);
    expect(cache.get('/home')).toBeDefined();
    vi.setSystemTime(NOW + TTL * 1000);
    expect(cache.get('/home')).toBeUndefined();
  });

  it('does not trust an entry from the future (the clock was moved back)', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer());
    vi.setSystemTime(NOW - 1);
    expect(cache.get('/home')).toBeUndefined();
  });
});

describe('createCache: what it keeps', () => {
  it(`keeps at most MAX_PATHS (${MAX_PATHS}) paths: the newest, dropping the oldest`, () => {
    const cache = createCache(KEY, TTL);
    for (let i = 0; i < MAX_PATHS + 2; i++) {
      cache.put('/p' + i, answer('p' + i));
      vi.advanceTimersByTime(1);
    }
    expect(Object.keys(stored()!)).toHaveLength(MAX_PATHS);
    expect([cache.get('/p0'), cache.get('/p1')]).toEqual([undefined, undefined]);
    for (let i = 2; i < MAX_PATHS + 2; i++) expect(cache.get('/p' + i), '/p' + i).toBeDefined();
  });

  it('counts a path put again as new', () => {
    const cache = createCache(KEY, TTL);
    for (let i = 0; i < MAX_PATHS; i++) {
      cache.put('/p' + i, answer());
      vi.advanceTimersByTime(1);
    }
    cache.put('/p0', answer());
    vi.advanceTimersByTime(1);
    cache.put('/new', answer());
    expect(cache.get('/p0')).toBeDefined();
    expect(cache.get('/p1')).toBeUndefined();
    expect(cache.get('/new')).toBeDefined();
  });

  it('drops expired entries from storage when it puts', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/old', answer());
    vi.advanceTimersByTime(TTL * 1000);
    cache.put('/new', answer());
    expect(Object.keys(stored()!)).toEqual(['/new']);
  });

  it('lasts in localStorage: a new cache with the same key (the next page) sees it', () => {
    createCache(KEY, TTL).put('/home', answer());
    expect(createCache(KEY, TTL).get('/home')).toEqual({ ...answer(), t: NOW });
  });

  it('sees what another cache of the same key (another tab) put since', () => {
    const tab = createCache(KEY, TTL);
    tab.put('/home', answer('Home'));
    createCache(KEY, TTL).put('/cart', answer('Cart'));
    expect(tab.get('/cart')!.offers).toEqual(answer('Cart').offers);
    tab.put('/shoes', answer('Shoes'));
    expect(Object.keys(stored()!).sort()).toEqual(['/cart', '/home', '/shoes']);
  });

  it('keeps caches of different keys apart', () => {
    createCache(KEY, TTL).put('/home', answer('One'));
    const other = createCache(KEY + ':other', TTL);
    expect(other.get('/home')).toBeUndefined();
    other.put('/home', answer('Two'));
    expect(createCache(KEY, TTL).get('/home')!.offers).toEqual(answer('One').offers);
  });

  it('clear() forgets every path, in storage too', () => {
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer());
    cache.put('/cart', answer());
    cache.clear();
    expect(cache.get('/home')).toBeUndefined();
    expect(localStorage.getItem(KEY)).toBeNull();
    expect(createCache(KEY, TTL).get('/cart')).toBeUndefined();
  });
});

describe('createCache: what it reads', () => {
  it.each(['{not json', 'null', '42', '"text"', 'true', '[]', '[{"t":0}]'])(
    'gives nothing and does not throw for %j in storage, and puts over it',
    (text) => {
      localStorage.setItem(KEY, text);
      const cache = createCache(KEY, TTL);
      expect(cache.get('/home')).toBeUndefined();
      expect(cache.get('0')).toBeUndefined();
      cache.put('/home', answer());
      expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
      expect(createCache(KEY, TTL).get('/home')).toEqual({ ...answer(), t: NOW });
    },
  );

  const good = { t: NOW, offers: { hero: {} }, status: 200, uuid: 'u-1' };
  it('reads a well-formed stored entry (the baseline for the cases below)', () => {
    localStorage.setItem(KEY, JSON.stringify({ '/home': good }));
    expect(createCache(KEY, TTL).get('/home')).toEqual(good);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'entry'],
    ['a number', 5],
    ['an array', [good]],
    ['an empty object', {}],
    ['no offers', { ...good, offers: undefined }],
    ['null offers', { ...good, offers: null }],
    ['offers as an array', { ...good, offers: [{}] }],
    ['offers as a string', { ...good, offers: 'hero' }],
    ['no t', { ...good, t: undefined }],
    ['t null', { ...good, t: null }],
    ['t as a numeric string', { ...good, t: String(NOW) }],
    ['t as an array', { ...good, t: [NOW] }],
    ['no status', { ...good, status: undefined }],
    ['status as a string', { ...good, status: '200' }],
    ['no uuid', { ...good, uuid: undefined }],
    ['uuid as a number', { ...good, uuid: 7 }],
  ])('gives nothing for a stored entry that is %s', (_, entry) => {
    localStorage.setItem(KEY, JSON.stringify({ '/home': entry }));
    const cache = createCache(KEY, TTL);
    expect(() => cache.get('/home')).not.toThrow();
    expect(cache.get('/home')).toBeUndefined();
  });

  it('takes nothing from a "__proto__" key in stored JSON, and pollutes nothing', () => {
    localStorage.setItem(KEY, `{"__proto__":{"/home":${JSON.stringify(good)}}}`);
    const cache = createCache(KEY, TTL);
    expect(cache.get('/home')).toBeUndefined();
    expect(cache.get('__proto__')).toBeUndefined();
    cache.put('/cart', answer());
    expect(cache.get('/home')).toBeUndefined();
    expect(cache.get('/cart')).toEqual({ ...answer(), t: NOW });
    expect(({} as Record<string, unknown>)['/home']).toBeUndefined();
    expect(Object.keys(stored()!)).toEqual(['/cart']);
  });

  it('takes no entry from a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    const cache = createCache(KEY, TTL);
    let got: unknown = 'not read';
    proto['/home'] = good;
    try {
      got = cache.get('/home');
    } finally {
      delete proto['/home'];
    }
    expect(got).toBeUndefined();
  });

  it('takes no offers or time from a polluted Object.prototype to complete a stored entry', () => {
    localStorage.setItem(KEY, JSON.stringify({ '/home': { status: 200, uuid: 'u-1' } }));
    const proto = Object.prototype as Record<string, unknown>;
    const cache = createCache(KEY, TTL);
    let got: unknown = 'not read';
    proto.offers = { hero: { attributes: { headline: 'polluted' } } };
    proto.t = NOW;
    try {
      got = cache.get('/home');
    } finally {
      delete proto.offers;
      delete proto.t;
    }
    expect(got).toBeUndefined();
  });

  it('stores no polluted name when Object.prototype is polluted during put', () => {
    const proto = Object.prototype as Record<string, unknown>;
    const cache = createCache(KEY, TTL);
    proto.polluted = good;
    try {
      cache.put('/home', answer());
    } finally {
      delete proto.polluted;
    }
    expect(Object.keys(stored()!)).toEqual(['/home']);
    expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
  });
});

describe('createCache: storage that throws', () => {
  it('keeps entries in memory when every storage call throws, and never throws', () => {
    stubStorage(['getItem', 'setItem', 'removeItem']);
    const cache = createCache(KEY, TTL);
    expect(cache.get('/home')).toBeUndefined();
    cache.put('/home', answer());
    expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
    expect(createCache(KEY, TTL).get('/home')).toBeUndefined(); // memory is the cache's own
    expect(() => cache.clear()).not.toThrow();
    expect(cache.get('/home')).toBeUndefined();
  });

  it('keeps entries in memory when reading throws', () => {
    stubStorage(['getItem']);
    const cache = createCache(KEY, TTL);
    cache.put('/home', answer());
    expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
  });

  it('keeps entries in memory when writing throws (storage full)', () => {
    stubStorage(['setItem'], () => {
      throw new DOMException('p13n test: full', 'QuotaExceededError');
    });
    const cache = createCache(KEY, TTL);
    expect(() => cache.put('/home', answer())).not.toThrow();
    expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
  });

  it('keeps entries in memory when localStorage itself cannot be reached', () => {
    vi.spyOn(globalThis, 'localStorage', 'get').mockImplementation(refuse);
    const cache = createCache(KEY, TTL);
    expect(cache.get('/home')).toBeUndefined();
    cache.put('/home', answer());
    expect(cache.get('/home')).toEqual({ ...answer(), t: NOW });
    expect(() => cache.clear()).not.toThrow();
    expect(cache.get('/home')).toBeUndefined();
  });

  it('still expires and bounds entries kept in memory', () => {
    stubStorage(['getItem', 'setItem']);
    const cache = createCache(KEY, TTL);
    for (let i = 0; i <= MAX_PATHS; i++) {
      cache.put('/p' + i, answer());
      vi.advanceTimersByTime(1);
    }
    expect(cache.get('/p0')).toBeUndefined();
    expect(cache.get('/p' + MAX_PATHS)).toBeDefined();
    vi.advanceTimersByTime(TTL * 1000);
    expect(cache.get('/p' + MAX_PATHS)).toBeUndefined();
  });
});
