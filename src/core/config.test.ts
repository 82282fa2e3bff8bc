import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readConfig, type Settings } from './config';
import type { P13nError } from '../types';

const KEY = '12345/' + '0123456789abcdef0123456789abcdef01234567';
const TOKEN = '12345/678/' + '6b6ea5f8df5845fa8e7962f9e1ba84a3';
const BASE = { database: 'shop_db', table: 'pageviews', apiKey: KEY, token: TOKEN };
const MEDIA = 'application/vnd.treasuredata.v1+json';
/** A page served over https, for the rules that depend on the page's scheme. */
const HTTPS_PAGE = new URL('https://shop.example/x') as unknown as Location;

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});

/** Reads a config that must pass, and returns its settings. */
function accepted(input: unknown, page?: Location): Settings {
  const settings = readConfig(input, page);
  expect(settings, JSON.stringify(settings)).not.toHaveProperty('code', 'config');
  return settings as Settings;
}
/** Reads a config that must be refused with a `config` error whose message names `key`. */
function refused(input: unknown, key: string, page?: Location): P13nError {
  const error = readConfig(input, page) as P13nError;
  expect(error).toMatchObject({ code: 'config', message: expect.any(String) });
  expect(error.message).toContain(key);
  return error;
}
/** Runs `fn` while `Object.prototype[key]` is polluted, and always cleans up. */
function polluted<T>(key: string, value: unknown, fn: () => T): T {
  Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: true });
  try {
    return fn();
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
}

describe('readConfig: defaults', () => {
  it('fills in every default of the contract table', () => {
    const settings = accepted(BASE);
    expect(settings).toMatchObject({
      database: 'shop_db',
      table: 'pageviews',
      timeout: 3000,
      consent: 'granted',
      prehideTimeout: 1500,
      pageview: true,
      attributes: {},
      cookie: { name: '_td', expires: 730 },
      url: 'https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews',
    });
    // off by default
    for (const key of ['spa', 'respectGPC', 'debug', 'cache', 'prehide', 'clientId', 'nonce'] as const) {
      expect(settings[key], key).toBeFalsy();
    }
  });

  it('sends exactly the contract headers', () => {
    expect(accepted(BASE).headers).toEqual({
      'Content-Type': MEDIA,
      Accept: MEDIA,
      Authorization: 'TD1 ' + KEY,
      'WP13n-Token': TOKEN,
    });
  });
});

describe('readConfig: every key is accepted and kept', () => {
  const onOffers = () => {};
  it.each<[string, unknown]>([
    ['clientId', 'crm-42'],
    ['attributes', { plan: 'gold', tags: ['a'] }],
    ['pageview', false],
    ['spa', true],
    ['timeout', 5000],
    ['consent', 'pending'],
    ['consent', 'denied'],
    ['respectGPC', true],
    ['prehide', '.hero, #banner'],
    ['prehideTimeout', 0],
    ['nonce', 'r4nd0m'],
    ['cache', { ttl: 60 }],
    ['cache', false],
    ['onOffers', onOffers],
    ['onError', onOffers],
    ['debug', true],
    ['cookie', false],
  ])('%s = %o', (key, value) => {
    expect(accepted({ ...BASE, [key]: value })[key as keyof Settings]).toEqual(value);
    expect(warn).not.toHaveBeenCalled();
  });

  it('merges a partial cookie with the defaults', () => {
    expect(accepted({ ...BASE, cookie: { name: 'my_id' } }).cookie).toEqual({ name: 'my_id', expires: 730 });
    expect(accepted({ ...BASE, cookie: { expires: 30, domain: 'shop.test' } }).cookie).toEqual({
      name: '_td',
      expires: 30,
      domain: 'shop.test',
    });
  });
});

describe('readConfig: where requests go', () => {
  it.each([
    ['us01', 'us01'],
    ['eu01', 'eu01'],
    ['ap01', 'ap01'],
    ['co.jp', 'ap01'],
    ['ap03', 'ap03'],
  ])('region %s posts to %s, on the browser path /public', (region, host) => {
    expect(accepted({ ...BASE, region }).url).toBe(`https://${host}.p13n.in.treasuredata.com/public/shop_db/pageviews`);
  });

  it.each([
    ['https://api.example/public', 'https://api.example/public/shop_db/pageviews'],
    ['https://api.example/public/', 'https://api.example/public/shop_db/pageviews'],
    ['https://api.example', 'https://api.example/shop_db/pageviews'],
    ['https://api.example/', 'https://api.example/shop_db/pageviews'],
  ])('endpoint %s posts to %s', (endpoint, url) => {
    expect(accepted({ ...BASE, region: 'eu01', endpoint }).url).toBe(url);
  });

  it('sends the page\'s credentials to an endpoint on its own origin only', () => {
    const proxy = { database: 'shop_db', table: 'pageviews' };
    expect(accepted({ ...proxy, endpoint: '/p13n' }).credentials).toBe('same-origin');
    expect(accepted({ ...proxy, endpoint: 'http://www.shop.test/proxy' }).credentials).toBe('same-origin');
    expect(accepted({ ...proxy, endpoint: '/p13n/' }, HTTPS_PAGE).credentials).toBe('same-origin');
    // a key and token do not change it: the origin decides
    expect(accepted({ ...BASE, endpoint: '/p13n' }).credentials).toBe('same-origin');
    expect(accepted(BASE).credentials).toBe('omit');
    expect(accepted({ ...BASE, endpoint: 'https://api.example/public' }).credentials).toBe('omit');
    // another port or scheme is another origin
    expect(accepted({ ...BASE, endpoint: 'http://www.shop.test:8080/p13n' }).credentials).toBe('omit');
    expect(accepted({ ...BASE, endpoint: 'https://shop.example/p13n' }, HTTPS_PAGE).credentials).toBe('same-origin');
    expect(accepted({ ...BASE, endpoint: 'https://api.shop.example/p13n' }, HTTPS_PAGE).credentials).toBe('omit');
  });

  it('allows an http endpoint on an http page (plain-http custom host)', () => {
    expect(accepted({ ...BASE, endpoint: 'http://p13n.shop.test/public' }).url).toBe('http://p13n.shop.test/public/shop_db/pageviews');
  });

  it('resolves a relative first-party endpoint against the page and sends no credentials', () => {
    const settings = accepted({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n' });
    expect(settings.url).toBe('http://www.shop.test/p13n/shop_db/pageviews');
    expect(settings.headers).toEqual({ 'Content-Type': MEDIA, Accept: MEDIA });
    expect(accepted({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n/' }, HTTPS_PAGE).url).toBe(
      'https://shop.example/p13n/shop_db/pageviews',
    );
  });

  it('accepts a same-origin absolute proxy endpoint without credentials', () => {
    const settings = accepted({ database: 'shop_db', table: 'pageviews', endpoint: 'http://www.shop.test/proxy' });
    expect(settings.headers).not.toHaveProperty('Authorization');
    expect(settings.headers).not.toHaveProperty('WP13n-Token');
  });

  it('refuses a cross-origin endpoint, or the default region, without credentials, naming apiKey', () => {
    refused({ database: 'shop_db', table: 'pageviews', endpoint: 'https://api.example/public' }, 'apiKey');
    refused({ database: 'shop_db', table: 'pageviews' }, 'apiKey');
  });

  it('refuses only one of apiKey and token, even behind a proxy', () => {
    refused({ database: 'shop_db', table: 'pageviews', apiKey: KEY }, 'token');
    refused({ database: 'shop_db', table: 'pageviews', token: TOKEN }, 'apiKey');
    refused({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n', apiKey: KEY }, 'token');
  });

  it('refuses an http endpoint on an https page, naming endpoint', () => {
    refused({ ...BASE, endpoint: 'http://api.example/public' }, 'endpoint', HTTPS_PAGE);
    expect(accepted({ ...BASE, endpoint: 'https://api.example/public' }, HTTPS_PAGE).url).toBe(
      'https://api.example/public/shop_db/pageviews',
    );
  });
});

describe('readConfig: refusals name the key', () => {
  const { database: _d, ...noDatabase } = BASE;
  const { table: _t, ...noTable } = BASE;
  it.each<[string, Record<string, unknown>, string]>([
    ['missing database', noDatabase, 'database'],
    ['missing table', noTable, 'table'],
    ['uppercase database', { ...BASE, database: 'Shop_db' }, 'database'],
    ['too short database', { ...BASE, database: 'ab' }, 'database'],
    ['129-character database', { ...BASE, database: 'a'.repeat(129) }, 'database'],
    ['database with a dash', { ...BASE, database: 'shop-db' }, 'database'],
    ['non-string database', { ...BASE, database: 123 }, 'database'],
    ['array database', { ...BASE, database: ['shop_db'] }, 'database'],
    ['uppercase table', { ...BASE, table: 'PageViews' }, 'table'],
    ['too short table', { ...BASE, table: 'pv' }, 'table'],
    ['129-character table', { ...BASE, table: 'b'.repeat(129) }, 'table'],
    ['non-string table', { ...BASE, table: 42 }, 'table'],
    ['array table', { ...BASE, table: ['pageviews'] }, 'table'],
    ['apiKey without account', { ...BASE, apiKey: '0123456789abcdef0123456789abcdef01234567' }, 'apiKey'],
    ['apiKey too short', { ...BASE, apiKey: '12345/' + 'a'.repeat(39) }, 'apiKey'],
    ['apiKey not hex', { ...BASE, apiKey: '12345/' + 'z'.repeat(40) }, 'apiKey'],
    ['apiKey not a string', { ...BASE, apiKey: 12345 }, 'apiKey'],
    ['token without instance', { ...BASE, token: '12345/' + 'a'.repeat(32) }, 'token'],
    ['token too short', { ...BASE, token: '12345/678/abc' }, 'token'],
    ['unknown region', { ...BASE, region: 'us02' }, 'region'],
    ['uppercase region', { ...BASE, region: 'US01' }, 'region'],
    ['endpoint with a query', { ...BASE, endpoint: 'https://api.example/public?x=1' }, 'endpoint'],
    ['endpoint with a fragment', { ...BASE, endpoint: 'https://api.example/public#x' }, 'endpoint'],
    ['non-http endpoint', { ...BASE, endpoint: 'ftp://api.example/' }, 'endpoint'],
    ['javascript: endpoint', { ...BASE, endpoint: 'javascript:alert(1)' }, 'endpoint'],
    ['empty endpoint', { ...BASE, endpoint: '' }, 'endpoint'],
    ['string pageview', { ...BASE, pageview: 'yes' }, 'pageview'],
    ['numeric spa', { ...BASE, spa: 1 }, 'spa'],
    ['string respectGPC', { ...BASE, respectGPC: 'true' }, 'respectGPC'],
    ['null debug', { ...BASE, debug: null }, 'debug'],
    ['zero timeout', { ...BASE, timeout: 0 }, 'timeout'],
    ['negative timeout', { ...BASE, timeout: -1 }, 'timeout'],
    ['string timeout', { ...BASE, timeout: '3000' }, 'timeout'],
    ['NaN timeout', { ...BASE, timeout: NaN }, 'timeout'],
    ['infinite timeout', { ...BASE, timeout: Infinity }, 'timeout'],
    ['negative prehideTimeout', { ...BASE, prehideTimeout: -5 }, 'prehideTimeout'],
    ['unknown consent', { ...BASE, consent: 'yes' }, 'consent'],
    ['cookie name with a space', { ...BASE, cookie: { name: 'my id' } }, 'cookie'],
    ['cookie expiring at once', { ...BASE, cookie: { expires: 0 } }, 'cookie'],
    ['cookie as a string', { ...BASE, cookie: '_td' }, 'cookie'],
    ['cookie true', { ...BASE, cookie: true }, 'cookie'],
    ['cache ttl 0', { ...BASE, cache: { ttl: 0 } }, 'cache'],
    ['cache without ttl', { ...BASE, cache: {} }, 'cache'],
    ['cache as a number', { ...BASE, cache: 60 }, 'cache'],
    ['invalid prehide selector', { ...BASE, prehide: '[[nope' }, 'prehide'],
    ['non-string prehide', { ...BASE, prehide: 42 }, 'prehide'],
    ['non-function onOffers', { ...BASE, onOffers: 'render' }, 'onOffers'],
    ['non-function onError', { ...BASE, onError: {} }, 'onError'],
    ['non-string clientId', { ...BASE, clientId: 42 }, 'clientId'],
    ['array attributes', { ...BASE, attributes: ['a'] }, 'attributes'],
    ['non-string nonce', { ...BASE, nonce: 5 }, 'nonce'],
  ])('%s', (_, input, key) => {
    refused(input, key);
  });

  it.each([null, undefined, 'shop_db', 42, ['shop_db', 'pageviews'], () => BASE])('a non-object config (%o)', (input) => {
    expect(readConfig(input)).toMatchObject({ code: 'config', message: expect.stringMatching(/\S/) });
  });
});

describe('readConfig: warnings', () => {
  it('accepts a config with an unknown key but warns about it by name', () => {
    accepted({ ...BASE, colour: 'blue' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0])).toContain('colour');
  });

  it('warns when apiKey and token are of different accounts, and still accepts', () => {
    accepted({ ...BASE, token: '999/678/' + 'a'.repeat(32) });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0])).toMatch(/apiKey|token|account/);
  });

  it('does not warn for a clean config', () => {
    accepted(BASE);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('readConfig: hostile input', () => {
  afterEach(() => {
    expect(Object.prototype).not.toHaveProperty('endpoint');
  });

  it('ignores a polluted Object.prototype', () => {
    const settings = polluted('endpoint', 'https://evil.example', () =>
      polluted('region', 'eu01', () => accepted({ ...BASE })),
    );
    expect(settings.url).toBe('https://us01.p13n.in.treasuredata.com/public/shop_db/pageviews');
  });

  it('keeps a proxy config without credentials when Object.prototype carries some', () => {
    const settings = polluted('apiKey', 'x', () => accepted({ database: 'shop_db', table: 'pageviews', endpoint: '/p13n' }));
    expect(settings.headers).not.toHaveProperty('Authorization');
  });

  it('returns a config error for a throwing getter, never throws', () => {
    const input = { ...BASE };
    Object.defineProperty(input, 'table', { enumerable: true, get: () => { throw new Error('nope'); } });
    expect(readConfig(input)).toMatchObject({ code: 'config', message: expect.any(String) });
  });

  it('returns a config error for a Proxy whose traps throw, never throws', () => {
    const input = new Proxy({ ...BASE }, { ownKeys: () => { throw new Error('nope'); } });
    expect(readConfig(input)).toMatchObject({ code: 'config' });
    const { proxy, revoke } = Proxy.revocable({ ...BASE }, {});
    revoke();
    expect(readConfig(proxy)).toMatchObject({ code: 'config' });
  });

  // turning such a thrown value into text throws too: the message must still be built without throwing
  it.each([Symbol('nope'), Object.create(null)])('returns a config error when a getter throws %s', (thrown) => {
    const input = { ...BASE };
    Object.defineProperty(input, 'table', { enumerable: true, get: () => { throw thrown; } });
    expect(readConfig(input)).toMatchObject({ code: 'config' });
  });
});
