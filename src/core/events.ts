import { isString, resolved } from './config';
import type { EventDetails, EventName, Handler } from '../types';

type AnyHandler = (detail: unknown) => void;

/** Runs page code so that its exceptions reach the console, never the tag or the page. */
export function isolate(fn: AnyHandler, detail: unknown) {
  try {
    fn(detail);
  } catch (error) {
    console.error('p13n: a handler threw', error);
  }
}

/**
 * Each event goes to a `p13n:*` CustomEvent on `document`, to the `on()` handlers, then to the config callback,
 * all with one `detail`. `ready` and `offers` are remembered: a handler added after they happened is called
 * with the latest one, so a page that subscribes late still renders the offers already in.
 */
export function createEvents(callbacks: { onOffers?: Handler<'offers'>; onError?: Handler<'error'> }) {
  const handlers: Record<string, AnyHandler[]> = { ready: [], offers: [], error: [] };
  // no prototype: a polluted Object.prototype.offers is no detail to replay
  const latest: Record<string, unknown> = Object.create(null);
  /** The handlers of `type`, when it is an event name (a string: anything else could throw as a key). */
  const listOf = (type: unknown) => (isString(type) && handlers.hasOwnProperty(type) ? handlers[type] : undefined);
  return {
    _emit<E extends EventName>(type: E, detail: EventDetails[E]) {
      if (type != 'error') latest[type] = detail;
      try {
        document.dispatchEvent(new CustomEvent('p13n:' + type, { detail }));
      } catch {}
      handlers[type].slice().forEach((fn) => isolate(fn, detail));
      const callback = type == 'offers' ? callbacks.onOffers : type == 'error' ? callbacks.onError : 0;
      if (callback) isolate(callback as AnyHandler, detail);
    },
    /** False when `type` is not an event name or `fn` not a function. */
    _on<E extends EventName>(type: E, fn: Handler<E>): boolean {
      const list = listOf(type);
      if (!list || typeof fn != 'function') return false;
      list.push(fn as AnyHandler);
      const seen = latest[type];
      if (type in latest) {
        // later, so the page's own code after on() runs first; skipped if off() or a newer emit came in between
        resolved(0).then(() => list.indexOf(fn as AnyHandler) >= 0 && latest[type] === seen && isolate(fn as AnyHandler, seen));
      }
      return true;
    },
    _off<E extends EventName>(type: E, fn: Handler<E>): boolean {
      const list = listOf(type);
      if (!list) return false;
      const at = list.indexOf(fn as AnyHandler);
      if (at >= 0) list.splice(at, 1);
      return true;
    },
  };
}

export type Events = ReturnType<typeof createEvents>;
