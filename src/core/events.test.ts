import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEvents, isolate } from './events';
import type { ErrorDetail, EventName, OffersDetail, ReadyDetail } from '../types';

const offers = (name = 'hero'): OffersDetail => ({ offers: { [name]: { attributes: { headline: 'Hi' } } }, names: [name], uuid: 'u-' + name, status: 200 });
const failure: ErrorDetail = { error: { code: 9999, message: 'unknown', status: 500, retryable: true }, uuid: 'u-err' };
const ready: ReadyDetail = { clientId: '42a508e2-d9b1-4baa-9eb2-6c3fb8bd5e16' };
/** Lets queued microtasks (and anything chained on them) run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

const listeners: [string, EventListener][] = [];
/** The `detail` of every `p13n:{type}` event dispatched on document during the test. */
function listen(type: EventName): unknown[] {
  const seen: unknown[] = [];
  const listener = (event: Event) => {
    expect(event.type).toBe('p13n:' + type);
    seen.push((event as CustomEvent).detail);
  };
  document.addEventListener('p13n:' + type, listener);
  listeners.push(['p13n:' + type, listener]);
  return seen;
}

let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  for (const [type, listener] of listeners.splice(0)) document.removeEventListener(type, listener);
});

describe('emit', () => {
  it('gives p13n:offers, the on() handlers and onOffers the same detail', () => {
    const onOffers = vi.fn();
    const onError = vi.fn();
    const events = createEvents({ onOffers, onError });
    const dom = listen('offers');
    const handler = vi.fn();
    events._on('offers', handler);
    const detail = offers();
    events._emit('offers', detail);
    expect(dom).toHaveLength(1);
    expect(dom[0]).toBe(detail);
    expect(handler).toHaveBeenCalledExactlyOnceWith(detail);
    expect(onOffers).toHaveBeenCalledExactlyOnceWith(detail);
    expect(onError).not.toHaveBeenCalled();
  });

  it('gives p13n:error, the on() handlers and onError the same detail', () => {
    const onOffers = vi.fn();
    const onError = vi.fn();
    const events = createEvents({ onOffers, onError });
    const dom = listen('error');
    const handler = vi.fn();
    events._on('error', handler);
    events._emit('error', failure);
    expect(dom).toEqual([failure]);
    expect(dom[0]).toBe(failure);
    expect(handler).toHaveBeenCalledExactlyOnceWith(failure);
    expect(onError).toHaveBeenCalledExactlyOnceWith(failure);
    expect(onOffers).not.toHaveBeenCalled();
  });

  it('gives p13n:ready and the on() handlers the same detail', () => {
    const events = createEvents({});
    const dom = listen('ready');
    const handler = vi.fn();
    events._on('ready', handler);
    events._emit('ready', ready);
    expect(dom[0]).toBe(ready);
    expect(handler).toHaveBeenCalledExactlyOnceWith(ready);
  });

  it('reaches only the handlers of its own event', () => {
    const events = createEvents({});
    const handlers = { ready: vi.fn(), offers: vi.fn(), error: vi.fn() };
    for (const type of ['ready', 'offers', 'error'] as const) events._on(type, handlers[type]);
    events._emit('error', failure);
    expect(handlers.error).toHaveBeenCalledTimes(1);
    expect(handlers.offers).not.toHaveBeenCalled();
    expect(handlers.ready).not.toHaveBeenCalled();
  });

  it('isolates a throwing handler: the others and the callback still run, console.error reports it', () => {
    const onOffers = vi.fn();
    const events = createEvents({ onOffers });
    const boom = new Error('page bug');
    const first = vi.fn(() => { throw boom; });
    const second = vi.fn();
    events._on('offers', first);
    events._on('offers', second);
    expect(() => events._emit('offers', offers())).not.toThrow();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
    expect(onOffers).toHaveBeenCalledTimes(1);
    expect(consoleError).toHaveBeenCalled();
    expect(consoleError.mock.calls.flat()).toContain(boom);
  });

  it('isolates a throwing callback', () => {
    const boom = new Error('callback bug');
    const events = createEvents({ onError: () => { throw boom; } });
    expect(() => events._emit('error', failure)).not.toThrow();
    expect(consoleError.mock.calls.flat()).toContain(boom);
  });

  it('still runs the handlers when a document listener throws', () => {
    const events = createEvents({});
    const throwing = () => { throw new Error('listener bug'); };
    document.addEventListener('p13n:offers', throwing);
    listeners.push(['p13n:offers', throwing]);
    const handler = vi.fn();
    events._on('offers', handler);
    expect(() => events._emit('offers', offers())).not.toThrow();
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('on / off', () => {
  it('off() removes a handler', () => {
    const events = createEvents({});
    const handler = vi.fn();
    const other = vi.fn();
    expect(events._on('offers', handler)).toBe(true);
    events._on('offers', other);
    events._off('offers', handler);
    events._emit('offers', offers());
    expect(handler).not.toHaveBeenCalled();
    expect(other).toHaveBeenCalledTimes(1);
  });

  it.each<[string, unknown]>([
    ['click', () => {}],
    ['p13n:offers', () => {}],
    ['toString', () => {}],
    ['__proto__', () => {}],
    ['offers', 'render'],
    ['offers', null],
    ['offers', {}],
  ])('on(%j, %o) returns false and registers nothing', async (type, handler) => {
    const events = createEvents({});
    expect(events._on(type as EventName, handler as () => void)).toBe(false);
    if (typeof handler == 'function') {
      const spy = vi.fn(handler as () => void);
      events._on(type as EventName, spy);
      for (const name of ['offers', 'error', 'ready'] as const) events._emit(name, offers() as never);
      await flush();
      expect(spy).not.toHaveBeenCalled();
    }
  });
});

describe('late subscribers', () => {
  it.each<[EventName, unknown]>([
    ['offers', offers()],
    ['ready', ready],
  ])('a handler added after %s is called once, asynchronously, with the detail', async (type, detail) => {
    const events = createEvents({});
    events._emit(type, detail as never);
    const handler = vi.fn();
    events._on(type, handler);
    expect(handler).not.toHaveBeenCalled();
    await flush();
    expect(handler).toHaveBeenCalledExactlyOnceWith(detail);
    await flush();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('replays the latest offers only', async () => {
    const events = createEvents({});
    const older = offers('old');
    const latest = offers('new');
    events._emit('offers', older);
    events._emit('offers', latest);
    const handler = vi.fn();
    events._on('offers', handler);
    await flush();
    expect(handler).toHaveBeenCalledExactlyOnceWith(latest);
  });

  it('does not replay errors', async () => {
    const events = createEvents({});
    events._emit('error', failure);
    const handler = vi.fn();
    events._on('error', handler);
    await flush();
    expect(handler).not.toHaveBeenCalled();
  });

  it('does not replay to a handler removed right after on()', async () => {
    const events = createEvents({});
    events._emit('offers', offers());
    const handler = vi.fn();
    events._on('offers', handler);
    events._off('offers', handler);
    await flush();
    expect(handler).not.toHaveBeenCalled();
  });

  it('does not call a handler twice for one event it saw live', async () => {
    const events = createEvents({});
    const handler = vi.fn();
    events._on('offers', handler);
    events._emit('offers', offers());
    await flush();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  // a newer emit between on() and its replay already reached the handler: the replay must not repeat it
  it('does not deliver one detail twice when an emit comes between on() and the replay', async () => {
    const events = createEvents({});
    events._emit('offers', offers('old'));
    const handler = vi.fn();
    events._on('offers', handler);
    const latest = offers('new');
    events._emit('offers', latest);
    await flush();
    expect(handler.mock.calls.filter(([detail]) => detail === latest)).toHaveLength(1);
  });
});

describe('isolate', () => {
  it('calls the function with the detail', () => {
    const fn = vi.fn();
    isolate(fn, ready);
    expect(fn).toHaveBeenCalledExactlyOnceWith(ready);
  });

  it('reports what the function throws to console.error instead of throwing', () => {
    const boom = new Error('handler bug');
    expect(() => isolate(() => { throw boom; }, ready)).not.toThrow();
    expect(consoleError.mock.calls.flat()).toContain(boom);
  });
});
