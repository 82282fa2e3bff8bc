import { isString, reason } from './config';
import { problem } from './errors';
import type { Attributes, P13nError } from '../types';

/** Later layers win; only own enumerable keys are read, so inherited or polluted properties never leak in. */
export function merge(layers: (Attributes | null | undefined)[]): Attributes {
  // no prototype: a "__proto__" key from JSON input stays data instead of becoming one
  const out: Attributes = Object.create(null);
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const keys = layer ? Object.keys(layer) : [];
    for (let k = 0; k < keys.length; k++) out[keys[k]] = layer![keys[k]];
  }
  return out;
}

/**
 * JSON text of `value`, written by hand rather than by `JSON.stringify(object)`: pages that replace
 * `Array.prototype.toJSON` (Prototype.js) would turn arrays into strings, and a polluted `toJSON` could inject
 * anything. Values JSON cannot carry are dropped (or `null` inside arrays, as JSON does); a cycle, or a getter
 * or Proxy that throws, is an `invalid_event` error.
 */
export function toJSON(value: Attributes): string | P13nError {
  const open: unknown[] = [];
  const write = (v: unknown): string | undefined => {
    // JSON.stringify of a primitive never looks up toJSON, so it is safe for strings
    if (isString(v)) return JSON.stringify(v);
    if (typeof v == 'number') return isFinite(v) ? '' + v : 'null';
    if (typeof v == 'boolean' || v === null) return '' + v;
    if (typeof v != 'object') return; // undefined, functions, symbols, bigints
    if (v instanceof Date) return write(isNaN(+v) ? null : v.toISOString());
    // new String('a'), new Number(1), new Boolean(false): their value, as JSON.stringify writes them
    if (v instanceof String || v instanceof Number || v instanceof Boolean) return write(v.valueOf());
    if (open.indexOf(v) >= 0) throw 'is circular';
    open.push(v);
    const parts: string[] = [];
    if (Array.isArray(v)) {
      // a hole is null, never a value a polluted Array.prototype holds at that index
      for (let i = 0; i < v.length; i++) parts.push((Object.prototype.hasOwnProperty.call(v, i) && write(v[i])) || 'null');
    } else {
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        const text = write((v as Attributes)[keys[i]]);
        if (text) parts.push(JSON.stringify(keys[i]) + ':' + text);
      }
    }
    open.pop();
    return Array.isArray(v) ? '[' + parts.join() + ']' : '{' + parts.join() + '}';
  };
  try {
    return write(value)!;
  } catch (thrown) {
    return problem('invalid_event', 'the event ' + (isString(thrown) ? thrown : 'could not be read: ' + reason(thrown)));
  }
}
