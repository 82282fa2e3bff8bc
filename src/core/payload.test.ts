import { describe, expect, it } from 'vitest';
import { merge, toJSON } from './payload';
import type { Attributes, P13nError } from '../types';

/** toJSON's text for `value`, which must be valid JSON, parsed back. */
function roundTrip(value: Attributes): any {
  const text = toJSON(value);
  expect(typeof text, JSON.stringify(text)).toBe('string');
  return JSON.parse(text as string);
}
/** Asserts toJSON refuses `value` as an invalid event (and does not throw). */
function refused(value: unknown) {
  let result: string | P13nError | undefined;
  expect(() => (result = toJSON(value as Attributes))).not.toThrow();
  expect(result).toMatchObject({ code: 'invalid_event', message: expect.stringMatching(/\S/) });
}
/** Runs `fn` with `proto[key]` replaced, restoring it afterwards whatever happens. */
function patched<T>(proto: object, key: string, value: unknown, fn: () => T): T {
  const own = Object.getOwnPropertyDescriptor(proto, key);
  Object.defineProperty(proto, key, { value, configurable: true, writable: true, enumerable: false });
  try {
    return fn();
  } finally {
    if (own) Object.defineProperty(proto, key, own);
    else Reflect.deleteProperty(proto, key);
  }
}
const getterThrowing = (thrown: unknown) =>
  Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get: () => { throw thrown; } });

describe('merge', () => {
  it('lets a later layer win and keeps every key', () => {
    const merged = merge([{ a: 1, b: 1 }, null, { b: 2, c: 2 }, undefined, { c: 3 }]);
    expect({ ...merged }).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('does not change its layers', () => {
    const first = { a: 1 };
    merge([first, { a: 2, b: 2 }]);
    expect(first).toEqual({ a: 1 });
  });

  it('reads own keys only: inherited and polluted keys never appear', () => {
    const layer = Object.assign(Object.create({ inherited: 'x' }), { own: 1 });
    const merged = patched(Object.prototype, 'polluted', 'evil', () => {
      const out = merge([layer, { b: 2 }]);
      expect(Object.keys(out).sort()).toEqual(['b', 'own']);
      expect(roundTrip(out)).toEqual({ own: 1, b: 2 });
      return out;
    });
    expect(Object.keys(merged)).not.toContain('inherited');
  });

  it('keeps a "__proto__" key from JSON.parse as data, not as a prototype', () => {
    const input = JSON.parse('{"__proto__": {"admin": true}, "a": 1}');
    const merged = merge([input]);
    expect(Object.keys(merged)).toContain('__proto__');
    expect((merged as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
    const sent = roundTrip(merged);
    expect(Object.prototype.hasOwnProperty.call(sent, '__proto__')).toBe(true);
    expect(sent.a).toBe(1);
  });
});

describe('toJSON', () => {
  it('writes what JSON.stringify writes for plain data', () => {
    const data = {
      td_url: 'https://example.com/retail?x="1"&y=\\',
      text: 'line\nbreak\ttab \u2028 \u0000 日本語 😀',
      numbers: [0, -0, 1.5, -2, 1e21, 1e-7, Number.MAX_SAFE_INTEGER],
      flags: [true, false, null],
      nested: { deep: { list: [[1, 2], [], {}], empty: {} } },
      'key "with" quotes\n': 'v',
      product_list: ["women's-running-shoes", "kids'-hoodie"],
    };
    expect(roundTrip(data)).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('keeps arrays as arrays when Array.prototype.toJSON is replaced (Prototype.js)', () => {
    const data = { product_list: ['a', 'b'], matrix: [[1], [2, 3]] };
    const sent = patched(Array.prototype, 'toJSON', function (this: unknown[]) { return 'array:' + this.length; }, () =>
      roundTrip(data));
    expect(sent).toEqual({ product_list: ['a', 'b'], matrix: [[1], [2, 3]] });
  });

  it('ignores a polluted Object.prototype.toJSON', () => {
    const data = { a: { b: [1, { c: 'd' }] } };
    const sent = patched(Object.prototype, 'toJSON', () => 'pwned', () => roundTrip(data));
    expect(sent).toEqual({ a: { b: [1, { c: 'd' }] } });
  });

  it('drops functions, undefined, symbols and bigints from objects', () => {
    const sent = roundTrip({ keep: 1, f() {}, u: undefined, s: Symbol('s'), b: BigInt(10), [Symbol('k')]: 1 });
    expect(sent).toEqual({ keep: 1 });
  });

  it('writes null for them inside arrays, as JSON does', () => {
    expect(roundTrip({ list: [() => 1, undefined, Symbol('s'), BigInt(10), 'x'] })).toEqual({ list: [null, null, null, null, 'x'] });
  });

  it('writes null for NaN and the infinities', () => {
    expect(roundTrip({ a: NaN, b: Infinity, c: -Infinity, list: [NaN, 1] })).toEqual({ a: null, b: null, c: null, list: [null, 1] });
  });

  it('writes a Date as its ISO string, and an invalid Date as null', () => {
    const when = new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 10));
    expect(roundTrip({ when, bad: new Date(NaN) })).toEqual({ when: '2024-05-06T07:08:09.010Z', bad: null });
  });

  it('refuses a circular structure as invalid_event', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    refused(a);
    const b: Record<string, unknown> = { list: [] };
    (b.list as unknown[]).push({ back: b });
    refused({ wrapper: b });
  });

  it('allows the same object in several places when there is no cycle', () => {
    const shared = { id: 7 };
    expect(roundTrip({ a: shared, b: shared, list: [shared, shared] })).toEqual({
      a: { id: 7 },
      b: { id: 7 },
      list: [{ id: 7 }, { id: 7 }],
    });
  });

  it('refuses an object whose getter throws', () => {
    refused({ nested: getterThrowing(new Error('nope')) });
  });

  it('refuses a Proxy whose traps throw', () => {
    const trap = () => { throw new Error('trap'); };
    refused({ p: new Proxy({}, { ownKeys: trap }) });
    refused({ p: new Proxy({ a: 1 }, { get: trap }) });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    refused({ p: proxy });
  });

  // turning such a thrown value into text throws too: the message must still be built without throwing
  it.each([Symbol('nope'), Object.create(null)])('refuses, without throwing, a getter that throws %s', (thrown) => {
    refused({ nested: getterThrowing(thrown) });
  });

  it('handles 100 000 levels of nesting without throwing', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    let result: string | P13nError | undefined;
    expect(() => (result = toJSON(deep))).not.toThrow();
    if (typeof result == 'string') expect(() => JSON.parse(result as string)).not.toThrow();
    else expect(result).toMatchObject({ code: 'invalid_event' });
  });
});
