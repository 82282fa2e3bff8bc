/**
 * Property-based tests (fast-check): the promises of README "Config", "The request" and "Results and errors"
 * checked against generated input, hostile input included. fast-check picks a new seed on every run and prints
 * the seed, the path and the shrunk counterexample of a failure; replay one with `{ seed, path }` in fc.assert.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import create from '../modules/cache';
import { createClient } from './client';
import { readConfig, type Settings } from './config';
import createDelivery, { BUDGET } from '../modules/delivery';
import { createOutbox, type Entry } from '../modules/delivery/outbox';
import { merge, toJSON } from './payload';

const createCache = (key: string, ttl: number) => create({ url: key.replace(/^p13n:cache:/, ''), cache: { ttl } }, { toJSON });
import { failure, keepalive, post, readReply, retryAfter } from './transport';
import type { Attributes, P13nError } from '../types';

/** The core's functions the delivery module is given (see src/seam.ts). */
const KIT = { keepalive, failure };

// ---------------------------------------------------------------------------------------------------------------
// Shared arbitraries
// ---------------------------------------------------------------------------------------------------------------

const hasOwn = (object: unknown, key: PropertyKey) => Object.prototype.hasOwnProperty.call(object, key);
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value == 'object' && !Array.isArray(value);

/** fc.anything with every option on. */
const ANYTHING = {
  withBigInt: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  withDate: true,
  stringUnit: 'binary',
  maxDepth: 3,
} as const;
const anything = fc.anything(ANYTHING);

/** Strings of any UTF-16 code unit, lone surrogates included. */
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 });
/** Keys a page may really use, the ones with a meaning to JS, and the tag's own field names. */
const key = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  utf16,
  fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'length', '0', '', 'uuid', 'time', 'td_client_id'),
);
/** Big enough to pass the 60 KiB event bound, in 2- and 4-byte UTF-8 characters. */
const huge = fc.integer({ min: 1, max: 3 }).map((n) => 'é😀\ud800x'.repeat(n * 8_000));
const special = fc.constantFrom<unknown>(
  -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, BigInt('1180591620717411303424'), BigInt(-1), Symbol('s'), Symbol.iterator, undefined, null,
  () => 1, '\u2028\u2029', '\ud800', '\udfff\ud800', '\0', '</script>',
);
const dates = fc.oneof(
  fc.date(),
  fc.constantFrom(0, NaN, 8.64e15, -8.64e15, 1e20).map((t) => new Date(t)),
);
const leaf = fc.oneof(anything, special, utf16, dates, fc.double(), fc.bigInt());

/**
 * A value built only when the property runs. fast-check looks into every value it generates (`cloneMethod in
 * value`, and to print it), which a revoked Proxy or a throwing `has` trap would make throw inside fast-check
 * itself: so hostile values are recipes, built fresh by `make` on every run, and printed by their description.
 */
class Recipe {
  constructor(
    readonly build: () => unknown,
    readonly text: string,
  ) {}
  [fc.toStringMethod]() {
    return this.text;
  }
}
const make = (value: unknown): unknown => (value instanceof Recipe ? value.build() : value);
const show = (value: unknown) => fc.stringify(value);
/** `object`'s own keys with their values built, "__proto__" included as an own key. */
function build(object: Record<string, unknown>, target: object = {}) {
  for (const name of Object.keys(object)) {
    Object.defineProperty(target, name, { value: make(object[name]), enumerable: true, writable: true, configurable: true });
  }
  return target;
}

/** What a throwing getter or trap throws: an Error, a Symbol, an object that cannot become text, anything. */
const thrown = fc.oneof(
  fc.constant(new Recipe(() => new Error('boom'), 'new Error("boom")')),
  fc.constant(new Recipe(() => Symbol('boom'), 'Symbol("boom")')),
  fc.constant(new Recipe(() => Object.create(null), 'Object.create(null)')),
  fc.constant(new Recipe(() => ({ toString: () => { throw new Error('no text'); } }), '{ toString() { throw } }')),
  anything,
);
const TRAPS = ['get', 'ownKeys', 'getOwnPropertyDescriptor', 'has', 'getPrototypeOf'] as const;
const revoked = fc.constant(
  new Recipe(() => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }, 'revoked Proxy'),
);
const throwingTraps = (traps: readonly string[], error: unknown) =>
  Object.fromEntries(traps.map((trap) => [trap, () => { throw make(error); }]));

/** Wrappers that make a value hostile: throwing getters, throwing Proxies, cycles, prototypes holding keys, depth. */
function hostile(inner: fc.Arbitrary<unknown>): fc.Arbitrary<Recipe>[] {
  const dict = fc.dictionary(key, inner, { maxKeys: 3 });
  return [
    fc.tuple(dict, key, thrown).map(
      ([object, name, error]) =>
        new Recipe(
          () => Object.defineProperty(build(object), name, { enumerable: true, configurable: true, get: () => { throw make(error); } }),
          `${show(object)} with a getter ${show(name)} throwing ${show(error)}`,
        ),
    ),
    fc.tuple(fc.oneof(dict, fc.array(inner, { maxLength: 3 })), fc.subarray([...TRAPS], { minLength: 1 }), thrown).map(
      ([target, traps, error]) =>
        new Recipe(
          () => new Proxy(Array.isArray(target) ? target.map(make) : build(target), throwingTraps(traps, error)),
          `new Proxy(${show(target)}, { ${traps.join(', ')} throw ${show(error)} })`,
        ),
    ),
    revoked,
    fc.tuple(inner, key, fc.nat(3)).map(
      ([value, name, shape]) =>
        new Recipe(() => {
          const root: Record<string, unknown> = { value: make(value) };
          if (shape == 0) build({ [name]: new Recipe(() => root, 'itself') }, root); // an object that holds itself
          else if (shape == 1) root.list = [root.value, [root]]; // through arrays
          else if (shape == 2) root.a = { b: { c: [{ d: root }] } }; // deeper
          else return ((list: unknown[]) => (list.push(list), list))([root.value]); // an array that holds itself
          return root;
        }, `cycle #${shape} through ${show(name)} around ${show(value)}`),
    ),
    fc.tuple(fc.dictionary(key, inner, { maxKeys: 3 }), dict).map(
      ([inherited, own]) => new Recipe(() => build(own, Object.create(build(inherited))), `${show(own)} inheriting ${show(inherited)}`),
    ),
    fc.tuple(inner, fc.integer({ min: 1, max: 50 }), fc.boolean()).map(
      ([value, depth, arrays]) =>
        new Recipe(() => {
          let nested = make(value);
          for (let i = 0; i < depth; i++) nested = arrays ? [nested] : { d: nested };
          return nested;
        }, `${show(value)} nested ${depth} deep in ${arrays ? 'arrays' : 'objects'}`),
    ),
    fc.sparseArray(inner, { maxLength: 6 }).map(
      (items) =>
        new Recipe(() => {
          const out = new Array(items.length);
          items.forEach((item, i) => (out[i] = make(item)));
          return out;
        }, show(items)),
    ),
    dict.map((object) => new Recipe(() => build(object, Object.create(null)), `null-prototype ${show(object)}`)),
  ];
}

/** Any value, hostile parts at any depth (build it with `make`). */
const { value: hostileValue } = fc.letrec<{ value: unknown; node: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, tie('node')),
  node: fc.oneof(
    fc.array(tie('value'), { maxLength: 4 }).map((items) => new Recipe(() => items.map(make), show(items))),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }).map((object) => new Recipe(() => build(object), show(object))),
    huge,
    ...hostile(tie('value')),
  ),
}));

/** Runs `fn` with `target[name]` set to an enumerable `value`, and always restores what was there. */
function polluted<T>(target: object, name: PropertyKey, value: unknown, fn: () => T): T {
  const before = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { value, enumerable: true, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    if (before) Object.defineProperty(target, name, before);
    else Reflect.deleteProperty(target, name);
  }
}

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

// ---------------------------------------------------------------------------------------------------------------
// 1. readConfig
// ---------------------------------------------------------------------------------------------------------------

const NAME = fc.stringMatching(/^[0-9a-z_]{3,128}$/);
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${n}}$`));
const digits = fc.stringMatching(/^[0-9]{1,12}$/);
const credentials = fc
  .record({ account: digits, instance: digits, key: hex(40), secret: hex(32) })
  .map(({ account, instance, key, secret }) => ({ apiKey: `${account}/${key}`, token: `${account}/${instance}/${secret}` }));
const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
const positive = (min: number) => fc.double({ min, max: 1e9, noNaN: true });
/** Every optional key, each with a value README says is valid. */
const optional = fc.record(
  {
    region: fc.constantFrom('us01', 'eu01', 'ap01', 'co.jp', 'ap03'),
    endpoint: fc.oneof(
      fc.webUrl({ withQueryParameters: false, withFragments: false }),
      fc.stringMatching(/^\/[a-z0-9_-]{1,20}(\/[a-z0-9_-]{1,20})?\/?$/), // a first-party proxy path
    ),
    cookie: fc.oneof(
      fc.constant(false as const),
      fc.record(
        { name: fc.stringMatching(/^[\w!#$%&'*+\-.^`|~]{1,20}$/), expires: positive(1e-9), domain: fc.domain() },
        { requiredKeys: [] },
      ),
    ),
    clientId: printable,
    attributes: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    pageview: fc.boolean(),
    spa: fc.boolean(),
    timeout: positive(1),
    consent: fc.constantFrom('granted', 'denied', 'pending'),
    respectGPC: fc.boolean(),
    prehide: fc.constantFrom('.hero', '#banner', '[data-p13n-offer]', 'div > p', '.hero, [data-p13n-offer="x"]'),
    prehideTimeout: positive(0),
    nonce: printable,
    cache: fc.oneof(fc.constant(false as const), fc.record({ ttl: positive(1) })),
    onOffers: fc.constant(() => {}),
    onError: fc.constant(() => {}),
    debug: fc.boolean(),
  },
  { requiredKeys: [] },
);
const validConfig = fc
  .tuple(NAME, NAME, credentials, optional)
  .map(([database, table, creds, rest]) => ({ database, table, ...creds, ...rest }) as Record<string, unknown>);

/** The contract's rule for each required key, written from README, not from the source. */
const REQUIRED: Record<string, RegExp> = {
  database: /^[0-9a-z_]{3,128}$/,
  table: /^[0-9a-z_]{3,128}$/,
  apiKey: /^\d+\/[0-9a-f]{40}$/i,
  token: /^\d+\/\d+\/[0-9a-f]{32}$/i,
};
/** Values that break `key`'s rule: anything at all, and near misses of a valid value. */
const invalidFor = (name: string) =>
  fc
    .oneof(
      anything,
      fc.constant(undefined),
      fc.string(),
      fc.tuple(credentials, NAME, fc.nat(5), fc.constantFrom('A', '-', ' ', 'g', '/', '\n', 'é', '')).map(([creds, valid, at, char]) => {
        const base = name == 'apiKey' ? creds.apiKey : name == 'token' ? creds.token : valid;
        const cut = Math.min(at, base.length);
        return [base.slice(0, cut) + char + base.slice(cut + 1), base + char, base.slice(1), base.slice(0, -1), 'a'.repeat(129)][at % 5];
      }),
    )
    .filter((value) => !(typeof value == 'string' && REQUIRED[name].test(value)));

/** Checks the one shape readConfig may answer with; returns whether it accepted. */
function expectConfigOutcome(result: unknown): result is Settings {
  expect(isPlainObject(result) || (result && typeof result == 'object')).toBeTruthy();
  if (hasOwn(result, 'code')) {
    const error = result as P13nError;
    expect(Object.keys(error).sort()).toEqual(['code', 'message']);
    expect(error.code).toBe('config');
    expect(typeof error.message).toBe('string');
    expect(error.message.startsWith('p13n: ')).toBe(true);
    return false;
  }
  const settings = result as Settings;
  expect(typeof settings.url).toBe('string');
  expect(settings.url).toMatch(/^https?:\/\//);
  expect(isPlainObject(settings.headers)).toBe(true);
  for (const value of Object.values(settings.headers)) expect(typeof value).toBe('string');
  return true;
}

describe('readConfig (properties)', () => {
  it('never throws, and answers settings or a p13n config error, for any input', () => {
    const input = fc.oneof(
      anything,
      hostileValue,
      // a valid config with one value, or the config itself, made hostile
      fc.tuple(validConfig, fc.constantFrom('database', 'table', 'apiKey', 'token', 'cookie', 'attributes', 'cache', 'prehide', 'xyz'), hostileValue).map(
        ([config, name, value]) => new Recipe(() => ({ ...config, [name]: make(value) }), `${show(config)} with ${name}: ${show(value)}`),
      ),
      fc.tuple(validConfig, fc.constantFrom('database', 'apiKey', 'cookie', 'attributes'), thrown).map(
        ([config, name, error]) =>
          new Recipe(
            () => Object.defineProperty({ ...config }, name, { enumerable: true, get: () => { throw make(error); } }),
            `${show(config)} with a getter ${name} throwing ${show(error)}`,
          ),
      ),
      fc.tuple(validConfig, fc.subarray([...TRAPS], { minLength: 1 }), thrown).map(
        ([config, traps, error]) =>
          new Recipe(() => new Proxy({ ...config }, throwingTraps(traps, error)), `new Proxy(${show(config)}, { ${traps.join(', ')} throw ${show(error)} })`),
      ),
      fc.tuple(validConfig, fc.string(), huge).map(([config, name, text]) => ({ ...config, [name]: text, endpoint: 'https://' + text.slice(0, 5000) })),
      fc.tuple(validConfig, fc.constantFrom<symbol>(Symbol('k'), Symbol.toPrimitive, Symbol.iterator), anything).map(([config, symbol, value]) => ({ ...config, [symbol]: value })),
      fc.tuple(validConfig, fc.constantFrom('database', 'apiKey', 'region', 'endpoint', 'consent')).map(([config, name]) => ({ ...config, [name]: Symbol(name) })),
      validConfig.map(
        (config) =>
          new Recipe(() => {
            const cyclic: Record<string, unknown> = { ...config };
            cyclic.attributes = { self: cyclic };
            cyclic.cookie = Object.assign({}, cyclic.cookie || {}, { loop: cyclic });
            return cyclic;
          }, `${show(config)} with cycles through attributes and cookie`),
      ),
    );
    fc.assert(
      fc.property(input, (value) => {
        let result: unknown;
        const config = make(value);
        expect(() => (result = readConfig(config))).not.toThrow();
        expectConfigOutcome(result);
      }),
      { numRuns: 400 },
    );
  });

  it('accepts every valid config, keeping each value and building the URL and headers from it', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        const settings = readConfig(config);
        expect(expectConfigOutcome(settings), JSON.stringify(settings)).toBe(true);
        const accepted = settings as Settings;
        expect(accepted.url.endsWith(`/${config.database}/${config.table}`)).toBe(true);
        expect(accepted.headers.Authorization).toBe('TD1 ' + config.apiKey);
        expect(accepted.headers['WP13n-Token']).toBe(config.token);
        for (const name of Object.keys(config)) {
          if (name == 'cookie') continue;
          expect(accepted[name as keyof Settings], name).toBe(config[name]);
        }
        if (config.cookie === false) expect(accepted.cookie).toBe(false);
        else expect(accepted.cookie).toEqual({ name: '_td', expires: 730, ...(config.cookie as object) });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a config with one required key broken, naming that key', () => {
    const broken = fc.constantFrom('database', 'table', 'apiKey', 'token').chain((name) =>
      fc.tuple(fc.constant(name), validConfig, invalidFor(name), fc.boolean()),
    );
    fc.assert(
      fc.property(broken, ([name, config, value, remove]) => {
        const input = { ...config, [name]: value };
        if (remove) delete input[name];
        const result = readConfig(input);
        expect(expectConfigOutcome(result)).toBe(false);
        expect((result as P13nError).message).toContain(`config.${name}`);
      }),
      { numRuns: 400 },
    );
  });

  // README's error message for clientId, nonce, endpoint and cookie.domain says "a non-empty string"
  it('accepts any non-empty string where the rule is "a non-empty string"', () => {
    const text = fc.string({ unit: fc.constantFrom('\n', '\r', '\u2028', '\u2029', 'a', ' ', '\t'), minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(validConfig, fc.constantFrom('clientId', 'nonce'), text, (config, name, value) => {
        const result = readConfig({ ...config, [name]: value });
        expect(hasOwn(result, 'code') ? (result as P13nError).message : 'accepted', JSON.stringify(value)).toBe('accepted');
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same settings whatever a polluted Object.prototype holds', () => {
    // what the tag reads of the settings: own values of the null-prototype object, and of the objects it holds,
    // the way the client reads them (cookie.domain, cache.ttl ...): read while the pollution is in place
    const observe = (result: unknown) => {
      if (hasOwn(result, 'code')) return { error: (result as P13nError).message };
      const settings = result as Settings;
      const seen: Record<string, unknown> = { url: settings.url, headers: { ...settings.headers } };
      for (const name of Object.keys(CONFIG_KEYS)) seen[name] = settings[name as keyof Settings];
      seen.attributes = { ...settings.attributes };
      const { cookie, cache } = settings;
      seen.cookie = cookie && { name: cookie.name, expires: cookie.expires, domain: cookie.domain };
      seen.cache = cache && { ttl: cache.ttl };
      return seen;
    };
    const config = fc.oneof(
      validConfig,
      // a partial cookie or cache object: the rest comes from the defaults, never from Object.prototype
      validConfig.map((c) => ({ ...c, cookie: {} })),
      validConfig.map((c) => ({ ...c, cookie: { name: 'my_id' } })),
      validConfig.map((c) => ({ ...c, cache: { ttl: 30 } })),
    );
    const name = fc.constantFrom(...Object.keys(CONFIG_KEYS), 'name', 'expires', 'domain', 'ttl', 'url', 'headers', 'Authorization', 'WP13n-Token', 'code', 'message');
    const value = fc.oneof(
      fc.constantFrom<unknown>('https://evil.example', '/evil', 'evil.example', 'eu01', 'denied', 'pending', 0, -1, 60, true, false, null, { ttl: 60 }, { name: 'evil' }, '1/' + 'e'.repeat(40), '1/2/' + 'e'.repeat(32), 'a b'),
      anything,
    );
    fc.assert(
      fc.property(config, name, value, (input, name, value) => {
        const clean = observe(readConfig(input));
        const dirty = polluted(Object.prototype, name, value, () => observe(readConfig(input)));
        expect(dirty, `with Object.prototype.${name} = ${show(value)}`).toEqual(clean);
      }),
      { numRuns: 400 },
    );
  });
});

/** Every config key of README's table. */
const CONFIG_KEYS = {
  database: 1, table: 1, apiKey: 1, token: 1, region: 1, endpoint: 1, cookie: 1, clientId: 1, attributes: 1, pageview: 1, spa: 1,
  timeout: 1, consent: 1, respectGPC: 1, prehide: 1, prehideTimeout: 1, nonce: 1, cache: 1, onOffers: 1, onError: 1, debug: 1,
};

// ---------------------------------------------------------------------------------------------------------------
// 2. The body: merge + toJSON, and the public path
// ---------------------------------------------------------------------------------------------------------------

/** A toJSON answer must be JSON text of an object, or an invalid_event error; returns the parsed object or undefined. */
function expectBody(result: unknown): Record<string, unknown> | undefined {
  if (typeof result == 'string') {
    let parsed: unknown;
    expect(() => (parsed = JSON.parse(result)), result.slice(0, 200)).not.toThrow();
    expect(isPlainObject(parsed)).toBe(true);
    return parsed as Record<string, unknown>;
  }
  expect(result).toMatchObject({ code: 'invalid_event', message: expect.stringMatching(/^p13n: /) });
  return undefined;
}

/** JSON-safe objects, from fc.json (so "__proto__" keys are own data, as JSON.parse makes them). */
const jsonObject = fc.oneof(
  fc.json({ maxDepth: 4 }).map((text) => JSON.parse(text)).filter(isPlainObject),
  fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 }),
);

/** A copy of JSON data whose every object inherits `inherited`'s keys: only the own ones may be written. */
function withPrototypes(value: unknown, inherited: object): unknown {
  if (Array.isArray(value)) return value.map((item) => withPrototypes(item, inherited));
  if (!isPlainObject(value)) return value;
  const copy = Object.create(inherited);
  for (const name of Object.keys(value)) {
    Object.defineProperty(copy, name, { value: withPrototypes(value[name], inherited), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

describe('merge + toJSON (properties)', () => {
  it('never throws, and gives JSON text of an object or an invalid_event error, for any layers', () => {
    // a layer that is itself hostile may make merge throw (the client catches that); nothing else may
    const layer = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(key, hostileValue, { maxKeys: 5 }).map((object) => ({ hostile: false, object: new Recipe(() => build(object), show(object)) })) },
      fc.constantFrom(null, undefined).map((object) => ({ hostile: false, object })),
      fc.oneof(...hostile(hostileValue)).map((object) => ({ hostile: true, object })),
    );
    fc.assert(
      fc.property(fc.array(layer, { minLength: 1, maxLength: 4 }), (layers) => {
        let merged: Attributes | undefined;
        try {
          merged = merge(layers.map((l) => make(l.object) as Attributes));
        } catch (error) {
          expect(layers.some((l) => l.hostile), 'merge threw on plain layers: ' + show(error)).toBe(true);
          return;
        }
        expect(Object.getPrototypeOf(merged)).toBe(null);
        let result: unknown;
        expect(() => (result = toJSON(merged!))).not.toThrow();
        expectBody(result);
      }),
      { numRuns: 250 },
    );
  });

  it('writes every value fc.anything makes (no cycle, nothing throws) as JSON text, never an error', () => {
    fc.assert(
      fc.property(fc.dictionary(key, anything, { maxKeys: 5 }), (object) => {
        expect(expectBody(toJSON(merge([object])))).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it('writes exactly what JSON.stringify writes for JSON data, one layer or several', () => {
    fc.assert(
      fc.property(fc.array(jsonObject, { minLength: 1, maxLength: 3 }), (layers) => {
        // what the later-wins merge of README means, built without merge
        const expected = Object.create(null);
        for (const layer of layers) {
          for (const name of Object.keys(layer)) {
            Object.defineProperty(expected, name, { value: layer[name], enumerable: true, writable: true, configurable: true });
          }
        }
        const text = toJSON(merge(layers));
        expect(text).toBe(JSON.stringify(expected));
        if (layers.length == 1) expect(toJSON(layers[0])).toBe(JSON.stringify(layers[0]));
        expect(JSON.parse(text as string)).toEqual(JSON.parse(JSON.stringify(expected)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps what JSON.stringify keeps for any fc.anything data (boxed values, dates, typed arrays, sparse arrays ...)', () => {
    // BigInt is left out: JSON.stringify throws on it, where README says the tag drops it
    const data = fc.dictionary(key, fc.anything({ ...ANYTHING, withBigInt: false }), { maxKeys: 5 });
    fc.assert(
      fc.property(data, (object) => {
        expect(toJSON(object)).toBe(JSON.stringify(object));
      }),
      { numRuns: 300 },
    );
  });

  it('never writes an inherited or polluted key, nor a replaced toJSON, into the body', () => {
    const PROTOTYPES = { 'Object.prototype': Object.prototype, 'Array.prototype': Array.prototype };
    const pollution = fc.oneof(
      fc.tuple(fc.constant('Object.prototype' as const), fc.oneof(key, fc.string({ minLength: 1 })), anything),
      fc.tuple(fc.constant('Array.prototype' as const), fc.constantFrom('toJSON', '0', '1', 'length2'), fc.oneof(anything, fc.constant(() => 'pwned'))),
      fc.tuple(fc.constant('Object.prototype' as const), fc.constant('toJSON'), fc.constant(() => 'pwned')),
    ).filter(([target, name]) => !(name in PROTOTYPES[target]) || (target == 'Array.prototype' && name == 'toJSON'));
    // sparse arrays too: a hole is no own property, so nothing inherited may fill it
    const data = fc.oneof(jsonObject, fc.dictionary(key, fc.sparseArray(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }), { maxKeys: 3 }));
    fc.assert(
      fc.property(data, pollution, fc.dictionary(key, fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }), (object, [target, name, value], inherited) => {
        const expected = JSON.stringify(object);
        // built before the pollution: Array#map would copy an inherited index into a hole
        const inheriting = withPrototypes(object, inherited) as Attributes;
        const sent = polluted(PROTOTYPES[target], name, value, () => ({ plain: toJSON(merge([object])), inheriting: toJSON(inheriting) }));
        const how = `with ${target}[${JSON.stringify(name)}] = ${show(value)}`;
        expect(sent.plain, how).toBe(expected);
        expect(sent.inheriting, how + ', objects inheriting ' + show(inherited)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a "__proto__" key from JSON.parse as data: the merged object gets no prototype', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), jsonObject, (proto, rest) => {
        const input = JSON.parse(`{"__proto__": ${JSON.stringify(proto)}, "rest": ${JSON.stringify(rest)}}`);
        const merged = merge([{ before: 1 }, input]);
        expect(Object.getPrototypeOf(merged)).toBe(null);
        expect(hasOwn(merged, '__proto__')).toBe(true);
        expect(Object.keys(merged)).toEqual(['before', '__proto__', 'rest']);
        const text = toJSON(merged) as string;
        expect(text).toBe(`{"before":1,"__proto__":${JSON.stringify(proto)},"rest":${JSON.stringify(rest)}}`);
        const sent = JSON.parse(text);
        expect(Object.keys(sent)).toEqual(['before', '__proto__', 'rest']);
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('createClient().personalize (property)', () => {
  const KEY = '12345/0123456789abcdef0123456789abcdef01234567';
  const TOKEN = '12345/678/6b6ea5f8df5845fa8e7962f9e1ba84a3';
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('never rejects or throws: either one fetch with a body object carrying td_client_id, uuid and time, or invalid_event/too_large and no fetch', async () => {
    const attributes = fc.oneof(
      hostileValue,
      fc.dictionary(key, hostileValue, { maxKeys: 5 }).map((object) => new Recipe(() => build(object), show(object))),
      fc.oneof(...hostile(hostileValue)),
      revoked,
      fc.constantFrom(undefined, null),
      fc.dictionary(key, huge, { minKeys: 1, maxKeys: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(attributes, async (generated) => {
        const fetch = vi.fn(async (..._: unknown[]) => new Response('{"offers": {"hero": {"attributes": {"x": 1}}}}', { status: 200 }));
        vi.stubGlobal('fetch', fetch);
        const client = createClient({ database: 'shop_db', table: 'pageviews', apiKey: KEY, token: TOKEN, pageview: false });
        const extra = make(generated);
        let outcome: { result?: unknown; error?: unknown; threw?: unknown } = {};
        try {
          outcome = await client.personalize(extra as Attributes).then((result) => ({ result }), (error) => ({ error }));
        } catch (threw) {
          outcome = { threw };
        }
        expect(outcome, 'personalize threw or its promise rejected').not.toHaveProperty('threw');
        expect(hasOwn(outcome, 'error') ? 'rejected: ' + String(outcome.error) : 'resolved').toBe('resolved');
        const result = outcome.result as { ok: boolean; error?: P13nError; uuid?: string; offers: unknown };
        if (fetch.mock.calls.length) {
          expect(fetch).toHaveBeenCalledTimes(1);
          const body = JSON.parse((fetch.mock.calls[0][1] as RequestInit).body as string);
          expect(isPlainObject(body)).toBe(true);
          const own = (name: string) => {
            try {
              return isPlainObject(extra) && hasOwn(extra, name);
            } catch {
              return true; // a Proxy that will not say: no claim on that field
            }
          };
          if (!own('td_client_id')) expect(typeof body.td_client_id).toBe('string');
          if (!own('uuid')) expect(body.uuid).toMatch(UUID);
          if (!own('time')) expect(Number.isInteger(body.time)).toBe(true);
          expect(result).toMatchObject({ ok: true, status: 200, offers: { hero: { attributes: { x: 1 } } } });
          // the Result's uuid is the event's: the one the service received
          if (hasOwn(body, 'uuid')) expect(result.uuid).toBe(body.uuid);
        } else {
          expect(result.ok).toBe(false);
          expect(['invalid_event', 'too_large']).toContain(result.error!.code);
          expect(result.error!.message).toMatch(/^p13n: /);
          expect(result.offers).toEqual({});
        }
      }),
      { numRuns: 100 },
    );
  }, 20_000);

  it("the Result's uuid is the one the body carried, whatever the call passes as uuid", async () => {
    const uuid = fc.oneof(anything, fc.string(), fc.constantFrom<unknown>(undefined, null, 42, 'order-42', ''));
    await fc.assert(
      fc.asyncProperty(uuid, async (value) => {
        const fetch = vi.fn(async (..._: unknown[]) => new Response('{}', { status: 200 }));
        vi.stubGlobal('fetch', fetch);
        const client = createClient({ database: 'shop_db', table: 'pageviews', apiKey: KEY, token: TOKEN, pageview: false });
        const result = await client.personalize({ uuid: value });
        if (!fetch.mock.calls.length) return; // refused (too large): nothing was sent
        const body = JSON.parse((fetch.mock.calls[0][1] as RequestInit).body as string);
        // README: uuid is the event's id, the service's idempotency key; the Result reports that same id
        expect(hasOwn(body, 'uuid') ? body.uuid : '(no uuid in the body)', `personalize({ uuid: ${show(value)} })`).toBe(result.uuid);
      }),
      { numRuns: 60 },
    );
  });

  it('no command throws and no promise rejects, whatever its arguments', async () => {
    const COMMANDS = ['init', 'personalize', 'track', 'set', 'consent', 'spa', 'on', 'off', 'clientId', 'reset'] as const;
    const argument = fc.oneof(
      hostileValue,
      revoked,
      fc.constant(new Recipe(() => Object.create(null), 'Object.create(null)')),
      fc.constantFrom<unknown>('offers', 'error', 'ready', 'granted', 'denied', true, () => {}),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), fc.array(argument, { maxLength: 2 }), async (command, generated) => {
        vi.stubGlobal('fetch', vi.fn(async (..._: unknown[]) => new Response('{}', { status: 200 })));
        const client = createClient({ database: 'shop_db', table: 'pageviews', apiKey: KEY, token: TOKEN, pageview: false });
        const args = generated.map(make);
        let outcome: string;
        try {
          const call = (client[command] as (...args: unknown[]) => Promise<unknown>)(...args);
          outcome = await Promise.race([
            call.then(() => 'resolved', (error) => 'rejected: ' + show(error)),
            new Promise<string>((resolve) => setTimeout(resolve, 2000, 'still pending after 2 s')),
          ]);
        } catch (error) {
          outcome = 'threw: ' + show(error);
        }
        expect(outcome, `${command}(${generated.map(show).join(', ')})`).toBe('resolved');
      }),
      { numRuns: 150 },
    );
  }, 20_000);
});

// ---------------------------------------------------------------------------------------------------------------
// 3. Responses: readReply, post, retryAfter
// ---------------------------------------------------------------------------------------------------------------

const TAG_CODES = ['parse', 'http', 'network', 'timeout'];
/** Retry-After as servers (mis)write it: seconds, huge numbers, HTTP dates, garbage. */
const retryAfterHeader = fc.option(
  fc.oneof(
    fc.nat(100_000).map(String),
    fc.double().map(String),
    fc.bigInt().map(String),
    fc.date().map((d) => d.toUTCString()),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('Infinity', '-1', '1e400', '0x10', ' 5 ', '5s', 'soon', ''),
    fc.string({ unit: 'grapheme-ascii' }),
  ),
  { nil: null },
);
/** Codes of any type: numbers, numeric strings (3xxx included), anything JSON. */
const code = fc.oneof(
  fc.integer({ min: 0, max: 9999 }),
  fc.integer({ min: 0, max: 9999 }).map(String),
  fc.double(),
  fc.constantFrom(2003, 2013, 3000, 3001, 3010, 3013, 3999, 4000, 9999, 415),
  fc.constantFrom('2003', '3000', '3010', '3999', '9999'),
  fc.jsonValue({ maxDepth: 1 }),
);
/** Response bodies: random text, JSON, JSON with `offers` of any type, `{code, message}` of any types. */
const responseText = fc.oneof(
  fc.string({ unit: 'binary' }),
  utf16,
  fc.uint8Array({ maxLength: 64 }).map((bytes) => new TextDecoder().decode(bytes)),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((offers) => JSON.stringify({ offers, request_id: 'r1' })),
  fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))).map((offers) => JSON.stringify({ offers })),
  { weight: 3, arbitrary: fc.record({ code, message: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ['code'] }).map((body) => JSON.stringify(body)) },
  fc.record({ code, message: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((body) => JSON.stringify(body)),
  fc.constantFrom('', ' \n\t', '\ufeff', '\u00a0', 'null', '[]', '{}', '{"offers": null}', '{"code": 1e400}', '{"code": -0}', '{"__proto__": {"offers": {"x": {}}}}', '{"offers": {"__proto__": {"x": 1}}}'),
);
const status = fc.oneof(fc.integer({ min: 200, max: 299 }), fc.integer({ min: 400, max: 599 }), fc.constantFrom(200, 204, 429, 500, 503));

/** What README's table says the text means: undefined for "not JSON". */
function parse(text: string): { json: boolean; data?: unknown } {
  if (/^[ \t\n\r]*$/.test(text)) return { json: true, data: {} }; // no body
  try {
    return { json: true, data: JSON.parse(text) };
  } catch {
    return { json: false };
  }
}
const is3xxx = (value: unknown) => typeof value == 'number' && value >= 3000 && value < 4000;

/**
 * Checks one Reply against README's "Results and errors" table. `retryRule: false` leaves out the retryable rule
 * for bodies whose code is not a number (that rule has its own failing property; post's checks the rest).
 */
function expectReply(reply: unknown, status: number, text: string, retryRule = true) {
  const { json, data } = parse(text);
  const r = reply as { ok: boolean; status?: number; offers?: unknown; error?: P13nError; wait?: number };
  expect(typeof r.ok).toBe('boolean');
  if (status >= 200 && status < 300) {
    const offers = isPlainObject(data) && hasOwn(data, 'offers') ? data.offers : undefined;
    const good = json && isPlainObject(data) && (offers == null || isPlainObject(offers));
    // whitespace JSON does not know (NBSP, BOM) may be read as no body: either answer is fair
    const blank = !/\S/.test(text);
    if (!blank) expect(r.ok, 'ok for ' + JSON.stringify(text)).toBe(good);
    if (r.ok) {
      expect(Object.keys(r).sort()).toEqual(['offers', 'ok', 'status']);
      expect(r.status).toBe(status);
      expect(isPlainObject(r.offers)).toBe(true);
      expect(r.offers).toEqual(offers == null ? {} : offers);
    } else {
      expect(r.error).toMatchObject({ code: 'parse', status });
    }
  } else {
    expect(r.ok).toBe(false);
    const body = isPlainObject(data) ? data : {};
    const numeric = hasOwn(body, 'code') && typeof body.code == 'number';
    expect(r.error!.code).toBe(numeric ? body.code : 'http');
    expect(r.error!.status).toBe(status);
    if (numeric) expect(r.error!.message).toBe(typeof body.message == 'string' ? body.message : '');
  }
  if (!r.ok) {
    const error = r.error!;
    expect(typeof error.message).toBe('string');
    expect(typeof error.code == 'number' || TAG_CODES.includes(error.code as string), String(error.code)).toBe(true);
    // README: retryable for 429 and 5xx, never for a 3xxx code, false for the rest (an absent flag counts as
    // false here: that it is absent is the separate property below)
    const integer = typeof error.code != 'number' || Number.isInteger(error.code);
    const expected = (status == 429 || status >= 500) && !is3xxx(error.code);
    const body = isPlainObject(data) ? data : {};
    const odd = hasOwn(body, 'code') && typeof body.code != 'number';
    if (integer && (retryRule || !odd)) expect(error.retryable ?? false, `retryable for ${status} ${JSON.stringify(error.code)}`).toBe(expected);
    if (r.wait !== undefined) expect(r.wait).toBeGreaterThanOrEqual(0);
  }
}

describe('responses (properties)', () => {
  it('readReply gives exactly the contract shape for any status, body and Retry-After', () => {
    fc.assert(
      fc.property(status, responseText, retryAfterHeader, (status, text, header) => {
        let reply: unknown;
        expect(() => (reply = readReply(status, text, header))).not.toThrow();
        expectReply(reply, status, text);
      }),
      { numRuns: 600 },
    );
  });

  it('readReply says of every failure whether it is retryable: true or false, never absent', () => {
    fc.assert(
      fc.property(status, responseText, (status, text) => {
        const reply = readReply(status, text);
        if (!reply.ok) expect(typeof reply.error.retryable, `error ${JSON.stringify(reply.error)}`).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('readReply never lets a polluted Object.prototype supply offers, code or message', () => {
    fc.assert(
      fc.property(status, responseText, fc.constantFrom('offers', 'code', 'message'), fc.jsonValue(), (status, text, name, value) => {
        const reply = polluted(Object.prototype, name, value, () => JSON.stringify(readReply(status, text)));
        expect(reply).toBe(JSON.stringify(readReply(status, text)));
      }),
      { numRuns: 200 },
    );
  });

  it('a 3xx answer (redirect: follow leaves only odd ones) is a failure that is never retried', () => {
    fc.assert(
      fc.property(fc.integer({ min: 300, max: 399 }), responseText, (status, text) => {
        const reply = readReply(status, text) as { ok: boolean; error: P13nError };
        expect(reply.ok).toBe(false);
        expect(reply.error.retryable).toBe(false);
        expect(typeof reply.error.code == 'number' || reply.error.code == 'http').toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('retryAfter gives a finite number of ms, 0 or more, for any header', () => {
    fc.assert(
      fc.property(retryAfterHeader, (header) => {
        const ms = retryAfter(header);
        expect(typeof ms).toBe('number');
        expect(Number.isFinite(ms), `retryAfter(${JSON.stringify(header)}) = ${ms}`).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('post never rejects, and answers the contract shape, whatever fetch does', async () => {
    const NULL_BODY = [204, 205, 304];
    const header = retryAfterHeader.filter((h) => h == null || /^[\x20-\x7e]*$/.test(h));
    const behaviour = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), status, text: responseText, header }) },
      fc.record({ kind: fc.constant('reject' as const), error: thrown }),
      fc.record({ kind: fc.constant('throw' as const), error: thrown }),
      fc.record({ kind: fc.constant('unreadable' as const), status, error: thrown }),
    );
    await fc.assert(
      fc.asyncProperty(behaviour, async (b) => {
        vi.stubGlobal(
          'fetch',
          vi.fn((..._: unknown[]) => {
            if (b.kind == 'throw') throw make(b.error);
            if (b.kind == 'reject') return Promise.reject(make(b.error));
            if (b.kind == 'unreadable') {
              // the body fails while it is read (a connection reset mid-body)
              return Promise.resolve({ status: b.status, headers: new Headers(), text: () => Promise.reject(make(b.error)) });
            }
            const body = NULL_BODY.includes(b.status) ? null : b.text;
            return Promise.resolve(new Response(body, { status: b.status, headers: b.header == null ? {} : { 'Retry-After': b.header } }));
          }),
        );
        let outcome: { reply?: unknown; error?: unknown } = {};
        try {
          outcome = await post({ url: 'https://api.example/db/tbl', headers: {}, body: '{}', timeout: 10_000, retries: 0 }).then(
            (reply) => ({ reply }),
            (error) => ({ error }),
          );
        } catch (error) {
          outcome = { error };
        }
        expect(hasOwn(outcome, 'error') ? 'rejected or threw' : 'resolved').toBe('resolved');
        const reply = outcome.reply as { ok: boolean; error?: P13nError };
        if (b.kind == 'answer') {
          expectReply(reply, b.status, NULL_BODY.includes(b.status) ? '' : await new Response(b.text).text(), false);
        } else {
          expect(reply).toMatchObject({ ok: false, error: { code: 'network', retryable: true, message: expect.stringMatching(/^p13n: /) } });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('post reports timeout, retryable, when fetch never answers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), async (timeout) => {
        vi.stubGlobal(
          'fetch',
          vi.fn(
            (_: string, init: RequestInit) =>
              new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
          ),
        );
        const reply = await post({ url: 'https://api.example/db/tbl', headers: {}, body: '{}', timeout });
        expect(reply).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true, message: expect.stringMatching(/^p13n: /) } });
      }),
      { numRuns: 10 },
    );
  });
});

describe('track delivery under any Retry-After (properties)', () => {
  const NOW = 1_800_000_000_000;
  const settings = readConfig({ database: 'shop_db', table: 'events', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32) }) as Settings;
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Sends one event into a service answering 503 with `retry` as Retry-After, on fake timers; counts fetches and outbox reads. */
  function deliverInto503(retry: string) {
    vi.useFakeTimers({ now: NOW });
    const data = new Map<string, string>();
    const seen = { calls: 0, reads: 0 };
    vi.stubGlobal('localStorage', {
      getItem: (name: string) => (seen.reads++, data.get(name) ?? null),
      setItem: (name: string, value: string) => void data.set(name, '' + value),
      removeItem: (name: string) => void data.delete(name),
      get length() {
        return data.size;
      },
      key: (index: number) => [...data.keys()][index] ?? null,
    });
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        // from the fourth call on, hang: a resend loop must not spin the test forever
        ++seen.calls > 3
          ? new Promise<Response>(() => {})
          : Promise.resolve(new Response('{"code": 9999, "message": "busy"}', { status: 503, headers: { 'Retry-After': retry } })),
      ),
    );
    void createDelivery(KIT, settings, () => {}).send('e1', '{"uuid":"e1"}');
    const stored = () => JSON.parse(data.get('p13n:' + settings.url + '#e1') || 'null') as Entry;
    return { seen, stored };
  }

  it('a 503 is not sent again before its backoff, whatever its Retry-After says', async () => {
    const header = retryAfterHeader.filter((h) => h != null && /^[\x20-\x7e]*$/.test(h)) as fc.Arbitrary<string>;
    await fc.assert(
      fc.asyncProperty(header, async (retry) => {
        const { seen, stored } = deliverInto503(retry);
        await vi.advanceTimersByTimeAsync(400);
        // the first backoff is 500-1000 ms, or the Retry-After when longer
        expect(seen.calls, `fetches within 400 ms after a 503 with Retry-After: ${JSON.stringify(retry)}`).toBe(1);
        const next = stored().next;
        expect(typeof next == 'number' && next >= Date.now() + 100, `stored next ${JSON.stringify(next)} for Retry-After: ${JSON.stringify(retry)}`).toBe(true);
        vi.useRealTimers();
      }),
      { numRuns: 60 },
    );
  }, 20_000);

  it('waiting out a long Retry-After (seconds or a date, however far ahead) does not poll the outbox in a loop', async () => {
    const header = fc.oneof(
      fc.integer({ min: 0, max: 1e9 }).map(String),
      fc.integer({ min: 0, max: 3e12 }).map((ms) => new Date(NOW + ms).toUTCString()),
    );
    await fc.assert(
      fc.asyncProperty(header, async (retry) => {
        const { seen } = deliverInto503(retry);
        await vi.advanceTimersByTimeAsync(400);
        seen.reads = 0;
        await vi.advanceTimersByTimeAsync(200);
        // at most the resend after the backoff and a flush: a handful of reads, not one every millisecond
        expect(seen.reads, `outbox reads in 200 ms while waiting out Retry-After: ${JSON.stringify(retry)}`).toBeLessThan(20);
        vi.useRealTimers();
      }),
      { numRuns: 40 },
    );
  }, 20_000);
});

// ---------------------------------------------------------------------------------------------------------------
// 4. What other pages (or page code) left in localStorage: the offer cache and the outbox
// ---------------------------------------------------------------------------------------------------------------

describe('storage left by others (properties)', () => {
  const NOW = 1_800_000_000_000;
  const TTL = 60;
  afterEach(() => {
    vi.useRealTimers();
  });
  /** A value of any JSON type, or of the right type, for one field of a stored record. */
  const field = (right: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 4, arbitrary: right },
      fc.jsonValue({ maxDepth: 1 }),
      fc.integer().map(String),
      fc.double().map((n) => (Number.isFinite(n) ? n : 0)),
    );

  it('createCache.get never throws and gives only whole, fresh entries, whatever the storage holds', () => {
    const fields = {
      t: field(fc.integer({ min: NOW - 2 * TTL * 1000, max: NOW + 1000 })),
      offers: field(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))),
      status: field(fc.integer({ min: 200, max: 299 })),
      uuid: field(fc.uuid()),
    };
    const cached = fc.oneof(fc.record(fields), fc.record(fields, { requiredKeys: [] }));
    const paths = fc.array(fc.oneof(fc.constantFrom('/', '/home', '__proto__', 'toString', 'constructor', ''), fc.string()), { minLength: 1, maxLength: 4 });
    const stored = fc.tuple(paths, fc.array(cached, { minLength: 4, maxLength: 4 })).chain(([names, entries]) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(JSON.stringify(Object.fromEntries(names.map((name, i) => [name, entries[i]])))) },
        fc.json({ maxDepth: 3 }),
        fc.string(),
        fc.constant(JSON.stringify(names.map((_, i) => entries[i]))),
      ).map((text) => ({ names, text })),
    );
    vi.useFakeTimers({ now: NOW });
    fc.assert(
      fc.property(stored, fc.string(), ({ names, text }, other) => {
        const KEY = 'p13n:cache:prop';
        localStorage.setItem(KEY, text);
        const cache = createCache(KEY, TTL);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {}
        for (const path of [...names, other]) {
          let got: unknown;
          expect(() => (got = cache.get(path))).not.toThrow();
          if (got === undefined) continue;
          const entry = got as { t: number; offers: unknown; status: number; uuid: string };
          expect(Object.keys(entry).sort()).toEqual(['offers', 'status', 't', 'uuid']);
          expect(typeof entry.t).toBe('number');
          expect(NOW >= entry.t && NOW - entry.t < TTL * 1000).toBe(true);
          expect(isPlainObject(entry.offers)).toBe(true);
          expect(typeof entry.status).toBe('number');
          expect(typeof entry.uuid).toBe('string');
          // exactly what was stored for that path, as the path's own property
          expect(isPlainObject(parsed) && hasOwn(parsed, path)).toBe(true);
          expect(entry).toEqual((parsed as Record<string, unknown>)[path]);
        }
        // a put over whatever was there works, and is read back
        const answer = { offers: { hero: { attributes: { a: 1 } } }, status: 200, uuid: 'u-1' };
        expect(() => cache.put(other, answer)).not.toThrow();
        expect(cache.get(other)).toEqual({ ...answer, t: NOW });
        localStorage.removeItem(KEY);
      }),
      { numRuns: 250 },
    );
  });

  it('the outbox lists only well-formed entries from any stored JSON, and stays usable: add, list and claim never reject', async () => {
    const KEY = 'p13n:outbox:prop';
    const stored = fc.record(
      {
        id: field(fc.uuid()),
        body: field(fc.json({ maxDepth: 1 })),
        tries: field(fc.nat(10)),
        next: field(fc.nat()),
        lease: field(fc.nat()),
        // the UTF-8 size the outbox itself writes, or anything else: a number as text, a huge number ...
        bytes: fc.oneof(fc.nat(70_000), fc.nat(70_000).map(String), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.jsonValue({ maxDepth: 1 })),
      },
      { requiredKeys: [] },
    );
    const text = fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.oneof(stored, fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }).map((list) => JSON.stringify(list)) },
      { weight: 2, arbitrary: stored.map((entry) => JSON.stringify(entry)) },
      fc.json({ maxDepth: 3 }),
      fc.string(),
    );
    // where: the list an earlier version kept, or one of the records this one keeps
    const where = fc.constantFrom(KEY, KEY + '#left', KEY + '#mine');
    await fc.assert(
      fc.asyncProperty(text, where, async (saved, name) => {
        localStorage.clear();
        localStorage.setItem(name, saved);
        const outbox = createOutbox(KEY);
        const mine: Entry = { id: 'mine', body: '{"uuid":"mine"}', tries: 0, next: 0, lease: 0 };
        const steps: Record<string, unknown> = {};
        try {
          steps.listed = await outbox.list();
          steps.dropped = await outbox.add(mine);
          steps.after = await outbox.list();
          steps.claimed = await outbox.claim(Date.now(), BUDGET);
          steps.all = await outbox.claim(Date.now(), Infinity);
        } catch (error) {
          steps.rejected = String(error);
        }
        localStorage.clear();
        expect(steps.rejected, 'an outbox call rejected for stored ' + saved).toBeUndefined();
        for (const entry of steps.listed as Entry[]) {
          expect(typeof entry.id).toBe('string');
          expect(typeof entry.body).toBe('string');
        }
        expect((steps.after as Entry[]).map((entry) => entry.id)).toContain('mine');
        // with room for all, what is due is claimed: ours among them, unless the first claim already had it
        const claimed = [...(steps.claimed as Entry[]), ...(steps.all as Entry[])].map((entry) => entry.id);
        expect(claimed).toContain('mine');
      }),
      { numRuns: 300 },
    );
  });
});
