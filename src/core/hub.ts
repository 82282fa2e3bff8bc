import { isObject } from './config';
import { createEvents } from './events';
import { merge } from './payload';
import { usage } from './errors';
import type { Attributes, EventName, Handler, Outcome, P13nError } from '../types';

/**
 * What a page's commands share whichever `init` succeeds: the event handlers and the attributes `set` adds. `on`,
 * `off` and `set` need no client, so the handlers and attributes a page gave before a refused `init` serve the
 * corrected one as they are. The `callbacks` (the config's `onOffers` and `onError`, the debug module's `explain`) are
 * the client's to set.
 */
export function createHub() {
  const callbacks: Parameters<typeof createEvents>[0] & { explain?: (error: P13nError) => void } = {};
  const events = createEvents(callbacks);
  let attributes: Attributes = {};
  /** Tells the page of an error: the `error` event, and with `debug: true` the explanation too. */
  const report = (error: P13nError, uuid?: string) => {
    events._emit('error', uuid ? { error, uuid } : { error });
    if (callbacks.explain) callbacks.explain(error);
  };
  const refuse = (error: P13nError): Outcome => {
    report(error);
    return { ok: false, error };
  };
  const subscribe = (add: boolean) => <E extends EventName>(type: E, handler: Handler<E>): Outcome =>
    (add ? events._on : events._off)(type, handler) ? { ok: true } : refuse(usage(add ? 'on' : 'off'));
  // `on`, `off` and `set` are the page's commands (the global p13n calls them by name); the rest is the core's own
  const hub = {
    _events: events,
    _report: report,
    _callbacks: callbacks,
    _refuse: refuse,
    _attributes: () => attributes,
    on: subscribe(true),
    off: subscribe(false),
    set(update: unknown): Outcome {
      if (!isObject(update)) return refuse(usage('set'));
      const next = merge([attributes, update]);
      for (const key in next) if (next[key] === null) delete next[key];
      attributes = next;
      return { ok: true };
    },
    _clear: () => void (attributes = {}),
  };
  return hub;
}

export type Hub = ReturnType<typeof createHub>;
