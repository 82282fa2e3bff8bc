import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import watchRoutes, { ROUTE_SETTLE_MS, TITLE_WAIT_MS } from './index';

const START = 'http://www.shop.test/home?q=1#top';
const HOME = 'http://www.shop.test/home?q=1';
type Method = 'pushState' | 'replaceState';
const METHODS: Method[] = ['pushState', 'replaceState'];
let original: Record<Method, History['pushState']>;
/** Changes the URL as the browser does, without going through any wrapper. */
const go = (url: string) => original.pushState.call(history, null, '', url);
const switches: ((on: boolean) => void)[] = [];
/** watchRoutes with a mock onRoute; switched off after the test (its popstate listener stays on window). */
function watch() {
  const onRoute = vi.fn<(referrer: string) => void>();
  const onMove = vi.fn<(moving: boolean) => void>();
  /** Each route's page view as it would be sent: its URL, the title it carries, and when, once it has its title. */
  const sent: { url: string; title: string; at: number }[] = [];
  const toggle = watchRoutes((referrer, titled) => {
    onRoute(referrer);
    const url = location.pathname;
    titled.then(() => sent.push({ url, title: document.title, at: Date.now() }));
  }, onMove);
  switches.push(toggle);
  return { onRoute, onMove, toggle, sent };
}
const settle = () => vi.advanceTimersByTime(ROUTE_SETTLE_MS);

beforeAll(() => {
  original = { pushState: history.pushState, replaceState: history.replaceState };
});
beforeEach(() => {
  vi.useFakeTimers();
  original.replaceState.call(history, null, '', START);
});
afterEach(() => {
  switches.splice(0).forEach((toggle) => toggle(false));
  METHODS.forEach((name) => {
    delete (history as unknown as Record<string, unknown>)[name]; // drops the own wrapper, the prototype's shows again
    if (history[name] !== original[name]) Object.defineProperty(history, name, { value: original[name], writable: true, configurable: true });
  });
  vi.useRealTimers();
});

describe('watchRoutes: what is a route', () => {
  it('reports a pushState to a new URL once, ROUTE_SETTLE_MS later, with the URL left (no hash)', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.pushState({ id: 7 }, '', '/products?id=7');
    vi.advanceTimersByTime(ROUTE_SETTLE_MS - 1);
    expect(onRoute).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onRoute).toHaveBeenCalledOnce();
    expect(onRoute).toHaveBeenCalledWith(HOME);
    vi.advanceTimersByTime(10 * ROUTE_SETTLE_MS);
    expect(onRoute).toHaveBeenCalledOnce();
  });

  it('reports a replaceState to a new URL', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.replaceState(null, '', '/cart');
    settle();
    expect(onRoute.mock.calls).toEqual([[HOME]]);
  });

  it('reports each route settled apart, each with the URL left', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a#one');
    settle();
    history.pushState(null, '', '/b');
    settle();
    expect(onRoute.mock.calls).toEqual([[HOME], ['http://www.shop.test/a']]);
  });

  it('reports a push then a replace (a redirect) within the settle time as one route to the final URL', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/old');
    vi.advanceTimersByTime(ROUTE_SETTLE_MS - 10);
    history.replaceState(null, '', '/new');
    vi.advanceTimersByTime(ROUTE_SETTLE_MS - 1);
    expect(onRoute).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onRoute.mock.calls).toEqual([[HOME]]);
    history.pushState(null, '', '/next');
    settle();
    expect(onRoute.mock.calls[1]).toEqual(['http://www.shop.test/new']); // the URL left is the final one
  });

  it('reports nothing for a replaceState to the same URL', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.replaceState({ scroll: 100 }, '', location.href);
    history.replaceState({ scroll: 200 }, '');
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it('reports nothing for a hash-only change', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '#x');
    history.replaceState(null, '', '/home?q=1#y');
    location.hash = 'z';
    expect(location.href).toBe(HOME + '#z');
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it('reports nothing when the URL comes back to where it was before the route settled', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a');
    history.pushState(null, '', START);
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it('reports back and forward (popstate)', () => {
    go('/a');
    const { onRoute, toggle } = watch();
    toggle(true);
    history.back();
    expect(location.href).toBe(START);
    settle();
    expect(onRoute.mock.calls).toEqual([['http://www.shop.test/a']]);
  });

  it('reports a popstate after a URL change made without the wrappers', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    go('/b');
    settle();
    expect(onRoute).not.toHaveBeenCalled(); // nothing told it yet
    dispatchEvent(new PopStateEvent('popstate', { state: null }));
    settle();
    expect(onRoute.mock.calls).toEqual([[HOME]]);
  });

  it('reports nothing for a popstate that leaves the URL as it was', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    dispatchEvent(new PopStateEvent('popstate', { state: null }));
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });
});

describe('watchRoutes: a good citizen of history', () => {
  /** A page's own wrapper, installed before the tag: records what it was called with. */
  function pageWrapper(name: Method, result: unknown = 'page result') {
    const calls: { self: unknown; args: unknown[] }[] = [];
    const wrapper = function (this: History, ...args: unknown[]) {
      calls.push({ self: this, args });
      return result as void;
    };
    history[name] = wrapper;
    return { calls, wrapper };
  }

  it.each(METHODS)('leaves history.%s alone until switched on', (name) => {
    const { toggle } = watch();
    expect(history[name]).toBe(original[name]);
    toggle(false);
    expect(history[name]).toBe(original[name]);
  });

  it.each(METHODS)('passes this and the arguments of %s through, and returns the result', (name) => {
    const { calls, wrapper } = pageWrapper(name);
    const { toggle } = watch();
    toggle(true);
    expect(history[name]).not.toBe(wrapper); // the tag's wrapper is in front
    const state = { id: 7 };
    expect(history[name](state, 'Title', '/products?id=7')).toBe('page result');
    const other = {};
    history[name].call(other as History, 'x', '');
    expect(calls).toEqual([
      { self: history, args: [state, 'Title', '/products?id=7'] },
      { self: other, args: ['x', ''] },
    ]);
    expect(calls[0].self).toBe(history);
    expect(calls[0].args[0]).toBe(state);
    expect(calls[1].self).toBe(other);
  });

  it.each(METHODS)('lets the exception of an earlier wrapper of %s through, and reports nothing', (name) => {
    const refused = new Error('page refused the route');
    history[name] = () => {
      throw refused;
    };
    const { onRoute, toggle } = watch();
    toggle(true);
    expect(() => history[name](null, '', '/a')).toThrow(refused);
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it("lets the browser's own exception through (a URL of another origin)", () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    expect(() => history.pushState(null, '', 'https://evil.test/')).toThrow(/pushState/);
    expect(location.href).toBe(START);
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it('calls the wrapper of a library that wraps history after the tag, and still sees routes', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    const tags = history.pushState;
    const library = vi.fn(function (this: History, ...args: Parameters<History['pushState']>) {
      return tags.apply(this, args);
    });
    history.pushState = library;
    history.pushState(null, '', '/lib');
    expect(library).toHaveBeenCalledOnce();
    expect(location.href).toBe('http://www.shop.test/lib');
    settle();
    expect(onRoute.mock.calls).toEqual([[HOME]]);
  });

  it('keeps the wrappers when switched off, so a library wrapping after it is not dropped', () => {
    const { toggle } = watch();
    toggle(true);
    const library = function (this: History, ...args: Parameters<History['pushState']>) {
      return original.pushState.apply(this, args);
    };
    history.pushState = library;
    toggle(false);
    expect(history.pushState).toBe(library);
  });

  it('wraps history once however often it is switched on, and listens to popstate once', () => {
    const listen = vi.spyOn(globalThis, 'addEventListener');
    const { onRoute, toggle } = watch();
    toggle(true);
    const wrapped = { pushState: history.pushState, replaceState: history.replaceState };
    expect(wrapped.pushState).not.toBe(original.pushState);
    expect(wrapped.replaceState).not.toBe(original.replaceState);
    toggle(false);
    toggle(true);
    toggle(true);
    expect(history.pushState).toBe(wrapped.pushState);
    expect(history.replaceState).toBe(wrapped.replaceState);
    expect(listen.mock.calls.filter(([type]) => type == 'popstate')).toHaveLength(1);
    history.pushState(null, '', '/a');
    settle();
    expect(onRoute).toHaveBeenCalledOnce();
  });

  it('does not throw on a history whose methods cannot be replaced, and still reports popstate', () => {
    METHODS.forEach((name) => Object.defineProperty(history, name, { value: original[name], writable: false, configurable: true }));
    const { onRoute, toggle } = watch();
    expect(() => toggle(true)).not.toThrow();
    expect(history.pushState).toBe(original.pushState);
    go('/a');
    dispatchEvent(new PopStateEvent('popstate', { state: null }));
    settle();
    expect(onRoute.mock.calls).toEqual([[HOME]]);
  });
});

describe('watchRoutes: switched off', () => {
  it('reports nothing', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    toggle(false);
    history.pushState(null, '', '/a');
    dispatchEvent(new PopStateEvent('popstate', { state: null }));
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it('reports nothing for a route that settles after it was switched off', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a');
    toggle(false);
    settle();
    expect(onRoute).not.toHaveBeenCalled();
  });

  it('does not report the URL it is on when switched on again, and reports from there', () => {
    const { onRoute, toggle } = watch();
    toggle(true);
    toggle(false);
    history.pushState(null, '', '/a');
    settle();
    toggle(true);
    settle();
    expect(onRoute).not.toHaveBeenCalled();
    history.pushState(null, '', '/b');
    settle();
    expect(onRoute.mock.calls).toEqual([['http://www.shop.test/a']]);
  });

  it('starts from the URL it is on when first switched on, not when created', () => {
    const { onRoute, toggle } = watch();
    go('/a');
    toggle(true);
    history.pushState(null, '', '/b');
    settle();
    expect(onRoute.mock.calls).toEqual([['http://www.shop.test/a']]);
  });
});

describe('watchRoutes: moving', () => {
  it('tells of a move at once, before the route settles, and only once for a chain of changes', () => {
    const { onRoute, onMove, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a');
    expect(onMove.mock.calls).toEqual([[true]]);
    history.replaceState(null, '', '/a?final');
    expect(onMove.mock.calls).toEqual([[true]]);
    settle();
    expect(onRoute).toHaveBeenCalledOnce();
    expect(onMove.mock.calls).toEqual([[true]]); // the new route's view takes over from here
  });

  it('a URL left and come back to within the settle time is no route, and the move ends', () => {
    const { onRoute, onMove, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a');
    history.pushState(null, '', '/home?q=1');
    settle();
    expect(onRoute).not.toHaveBeenCalled();
    expect(onMove.mock.calls).toEqual([[true], [false]]);
  });

  it('a change that keeps the URL is no move', () => {
    const { onMove, toggle } = watch();
    toggle(true);
    history.replaceState({ scroll: 1 }, '', '/home?q=1');
    history.pushState(null, '', '/home?q=1#reviews');
    settle();
    expect(onMove).not.toHaveBeenCalled();
  });
});

describe('watchRoutes: a route carries the title the app gives it', () => {
  const START_TITLE = 'Home';
  beforeEach(() => {
    document.title = START_TITLE;
  });
  /** Sets the title as React Router does, `ms` after the URL changed. */
  const titleLater = (title: string, ms: number) => setTimeout(() => (document.title = title), ms);

  it('waits for a title set 245 ms after pushState, and sends it the moment it is set', async () => {
    const { sent, toggle } = watch();
    toggle(true);
    const start = Date.now();
    history.pushState(null, '', '/shoes');
    titleLater('Shoes', 245);
    await vi.advanceTimersByTimeAsync(244);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([{ url: '/shoes', title: 'Shoes', at: start + 245 }]);
  });

  it('sends after the settle alone when the title was set before pushState', async () => {
    const { sent, toggle } = watch();
    toggle(true);
    const start = Date.now();
    document.title = 'Bags';
    history.pushState(null, '', '/bags');
    await vi.advanceTimersByTimeAsync(ROUTE_SETTLE_MS);
    expect(sent).toEqual([{ url: '/bags', title: 'Bags', at: start + ROUTE_SETTLE_MS }]);
  });

  it('sends after the settle alone when the title was set during it', async () => {
    const { sent, toggle } = watch();
    toggle(true);
    const start = Date.now();
    history.pushState(null, '', '/bags');
    titleLater('Bags', 10);
    await vi.advanceTimersByTimeAsync(ROUTE_SETTLE_MS);
    expect(sent).toEqual([{ url: '/bags', title: 'Bags', at: start + ROUTE_SETTLE_MS }]);
  });

  it('a title that never changes: sent TITLE_WAIT_MS after the URL the first time, after the settle from then on', async () => {
    const { sent, toggle } = watch();
    toggle(true);
    let start = Date.now();
    history.pushState(null, '', '/a');
    await vi.advanceTimersByTimeAsync(TITLE_WAIT_MS - 1);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([{ url: '/a', title: START_TITLE, at: start + TITLE_WAIT_MS }]);
    start = Date.now();
    history.pushState(null, '', '/b');
    await vi.advanceTimersByTimeAsync(ROUTE_SETTLE_MS);
    expect(sent[1]).toEqual({ url: '/b', title: START_TITLE, at: start + ROUTE_SETTLE_MS });
  });

  it('waits again once a route change has come with a new title', async () => {
    const { sent, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a');
    await vi.advanceTimersByTimeAsync(TITLE_WAIT_MS); // ran out: not waited for again
    document.title = 'B';
    history.pushState(null, '', '/b');
    await vi.advanceTimersByTimeAsync(ROUTE_SETTLE_MS); // a new title, seen at the settle
    const start = Date.now();
    history.pushState(null, '', '/c');
    titleLater('C', 200);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent.map(({ url, title }) => url + ' ' + title)).toEqual(['/a Home', '/b B', '/c C']);
    expect(sent[2].at).toBe(start + 200);
  });

  it('a redirect (push, then replace at once) waiting for its title is one view of the final URL', async () => {
    const { sent, onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/old');
    history.replaceState(null, '', '/new');
    titleLater('New', 120);
    await vi.advanceTimersByTimeAsync(TITLE_WAIT_MS);
    expect(onRoute.mock.calls).toEqual([[HOME]]);
    expect(sent.map(({ url, title }) => url + ' ' + title)).toEqual(['/new New']);
  });

  it('a history change while a route waits for its title sends that route as it is, then settles the next', async () => {
    const { sent, onRoute, toggle } = watch();
    toggle(true);
    history.pushState(null, '', '/a');
    await vi.advanceTimersByTimeAsync(100);
    history.pushState(null, '', '/b');
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map(({ url, title }) => url + ' ' + title)).toEqual(['/a Home']);
    titleLater('B', 100);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent.map(({ url, title }) => url + ' ' + title)).toEqual(['/a Home', '/b B']);
    expect(onRoute.mock.calls).toEqual([[HOME], ['http://www.shop.test/a']]);
  });

  it('watches the head only while a route waits', async () => {
    const observe = vi.spyOn(MutationObserver.prototype, 'observe');
    const disconnect = vi.spyOn(MutationObserver.prototype, 'disconnect');
    const { toggle } = watch();
    toggle(true);
    expect(observe).not.toHaveBeenCalled();
    history.pushState(null, '', '/a');
    await vi.advanceTimersByTimeAsync(ROUTE_SETTLE_MS);
    expect(observe).toHaveBeenCalledWith(document.head, { childList: true, characterData: true, subtree: true });
    document.title = 'A';
    await vi.advanceTimersByTimeAsync(0);
    expect(disconnect).toHaveBeenCalledOnce();
  });
});
