import { createElement, type ReactNode } from 'react';
import { act } from 'react';
import { createRoot, hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Offer, P13nProvider, useOffer, useOffers, type P13nClient } from './react';
import type { ErrorDetail, OffersDetail, OffersState } from '../types';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
const win = window as unknown as { p13n?: unknown };

type Listener = (detail: unknown) => void;
/** A client from `createClient` as the bindings see it: on and off, and a way to emit as the tag does. */
function fakeClient() {
  const handlers: Record<string, Listener[]> = { offers: [], error: [] };
  const client = {
    on: vi.fn((type: string, handler: Listener) => (handlers[type].push(handler), Promise.resolve({ ok: true }))),
    off: vi.fn((type: string, handler: Listener) => {
      handlers[type] = handlers[type].filter((fn) => fn !== handler);
      return Promise.resolve({ ok: true });
    }),
    emit: (type: 'offers' | 'error', detail: OffersDetail | ErrorDetail) => act(() => handlers[type].forEach((fn) => fn(detail))),
    count: () => handlers.offers.length + handlers.error.length,
  };
  return client as typeof client & P13nClient;
}
const offersDetail = (offers: OffersDetail['offers']): OffersDetail => ({ offers, names: Object.keys(offers), uuid: 'u', status: 200 });
const WELCOME = { attributes: { headline: 'Welcome back' } };

let container: HTMLElement;
let root: Root | undefined;
const render = async (node: ReactNode) => {
  root = createRoot(container);
  await act(async () => root!.render(node));
  return container;
};
/** Renders the state a hook returns, as JSON, in a <pre>. */
const Show = ({ use }: { use: () => unknown }) => createElement('pre', null, JSON.stringify(use()));
const shown = () => JSON.parse(container.querySelector('pre')!.textContent!);

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  delete win.p13n;
});
afterEach(async () => {
  if (root) await act(async () => root!.unmount());
  root = undefined;
  container.remove();
  delete win.p13n;
});

describe('useOffers and useOffer with a client', () => {
  it('are loading until the tag emits offers, then ready with them', async () => {
    const client = fakeClient();
    await render(createElement(Show, { use: () => useOffers(client) }));
    expect(shown()).toEqual({ status: 'loading', offers: {} });
    expect(client.on).toHaveBeenCalledWith('offers', expect.any(Function));
    client.emit('offers', offersDetail({ welcome: WELCOME }));
    expect(shown()).toEqual({ status: 'ready', offers: { welcome: WELCOME }, cached: false });
    // a later answer (a route change) replaces it
    client.emit('offers', offersDetail({ other: WELCOME }));
    expect(shown()).toMatchObject({ status: 'ready', offers: { other: WELCOME } });
  });

  it('useOffer gives one offer, undefined when the answer lacks it', async () => {
    const client = fakeClient();
    await render(
      createElement(
        'div',
        null,
        createElement(Show, { use: () => useOffer('welcome', client) }),
        createElement('p', null, createElement(Missing, { client })),
      ),
    );
    expect(shown()).toEqual({ status: 'loading' });
    expect(container.querySelector('p')!.textContent).toBe('loading undefined');
    client.emit('offers', offersDetail({ welcome: WELCOME }));
    expect(shown()).toEqual({ status: 'ready', offer: WELCOME });
    expect(container.querySelector('p')!.textContent).toBe('ready undefined');
  });

  it('are the error state when the first answer failed; a later error keeps the offers', async () => {
    const client = fakeClient();
    await render(createElement(Show, { use: () => useOffer('welcome', client) }));
    const error = { code: 'timeout' as const, message: 'p13n: timed out', retryable: true };
    client.emit('error', { error });
    expect(shown()).toEqual({ status: 'error', error });
    client.emit('offers', offersDetail({ welcome: WELCOME }));
    client.emit('error', { error });
    expect(shown()).toEqual({ status: 'ready', offer: WELCOME });
  });

  it('take the client of P13nProvider', async () => {
    const client = fakeClient();
    await render(createElement(P13nProvider, { client }, createElement(Show, { use: () => useOffer('welcome') })));
    client.emit('offers', offersDetail({ welcome: WELCOME }));
    expect(shown()).toEqual({ status: 'ready', offer: WELCOME });
  });

  it('unsubscribe from the client when the last component unmounts', async () => {
    const client = fakeClient();
    await render(createElement('div', null, createElement(Show, { use: () => useOffers(client) }), createElement(Show, { use: () => useOffers(client) })));
    expect(client.on).toHaveBeenCalledTimes(2); // offers and error, once for both components
    expect(client.count()).toBe(2);
    await act(async () => root!.unmount());
    root = undefined;
    expect(client.off).toHaveBeenCalledTimes(2);
    expect(client.count()).toBe(0);
  });

  it('never throw into the app when the client throws', async () => {
    const client = { on: () => { throw new Error('broken'); }, off: () => { throw new Error('broken'); } } as unknown as P13nClient;
    await render(createElement(Offer, { name: 'welcome', client, fallback: 'Default', children: () => 'Offer' }));
    expect(container.textContent).toBe('Default');
  });
});

function Missing({ client }: { client: P13nClient }) {
  const { status, offer } = useOffer('missing', client);
  return `${status} ${offer}`;
}

describe('<Offer>', () => {
  const offer = (client: P13nClient, extra: Record<string, ReactNode> = {}) =>
    createElement(Offer, { name: 'welcome', client, fallback: 'Default', ...extra, children: (offer) => `Offer: ${offer.attributes!.headline}` });

  it('renders the loading, then the offer', async () => {
    const client = fakeClient();
    await render(offer(client, { loading: 'Loading' }));
    expect(container.textContent).toBe('Loading');
    client.emit('offers', offersDetail({ welcome: WELCOME }));
    expect(container.textContent).toBe('Offer: Welcome back');
  });

  it("marks the offer's element as its place (data-p13n-measure), and leaves other content as it is", async () => {
    const client = fakeClient();
    await render(createElement(Offer, { name: 'welcome', client, children: (offer) => createElement('p', { className: 'hero' }, offer.attributes!.headline as string) }));
    client.emit('offers', offersDetail({ welcome: WELCOME }));
    expect(container.innerHTML).toBe('<p class="hero" data-p13n-measure="welcome">Welcome back</p>');
    await render(offer(client));
    expect(container.innerHTML).toBe('Offer: Welcome back');
  });

  it('renders the fallback while loading unless told, and when the answer lacks the offer', async () => {
    const client = fakeClient();
    await render(offer(client));
    expect(container.textContent).toBe('Default');
    client.emit('offers', offersDetail({ other: WELCOME }));
    expect(container.textContent).toBe('Default');
  });

  it('renders the error, or the fallback without one, when the answer failed', async () => {
    const error = { error: { code: 'network' as const, message: 'p13n: offline' } };
    const client = fakeClient();
    await render(offer(client, { loading: 'Loading', error: 'Failed' }));
    client.emit('error', error);
    expect(container.textContent).toBe('Failed');

    const other = fakeClient();
    await act(async () => root!.render(offer(other, { loading: 'Loading' })));
    other.emit('error', error);
    expect(container.textContent).toBe('Default');
  });

  it('renders nothing without a fallback, and an explicit null loading as nothing', async () => {
    const client = fakeClient();
    await render(createElement(Offer, { name: 'welcome', client, children: () => 'Offer' }));
    expect(container.innerHTML).toBe('');
    await act(async () => root!.render(offer(client, { loading: null })));
    expect(container.innerHTML).toBe('');
  });
});

describe('the page tag (window.p13n)', () => {
  // the page's source lives as long as the module: a fresh one per test
  const fresh = async () => {
    vi.resetModules();
    return import('./react');
  };
  it('queues on the snippet stub, and the tag replays it when it loads: loading, then the offers', async () => {
    // the documented snippet's stub, through the global name
    win.p13n = function () {
      const global = win.p13n as { q?: IArguments[] };
      (global.q = global.q || []).push(arguments);
    };
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ offers: { welcome: WELCOME } }), { status: 200 })));
    const { Offer } = await fresh();
    await render(createElement(Offer, { name: 'welcome', fallback: 'Default', loading: 'Loading', children: (offer) => `Offer: ${offer.attributes!.headline}` }));
    expect(container.textContent).toBe('Loading');
    expect(((win.p13n as { q: IArguments[] }).q).map((args) => args[0])).toEqual(['on', 'on']);

    // the tag loads, replays the queue, and answers the page view
    vi.resetModules();
    await act(async () => {
      await import('../core/queue');
      (win.p13n as (...args: unknown[]) => void)('init', { database: 'shop_db', table: 'pageviews', apiKey: '1/' + 'a'.repeat(40), token: '1/2/' + 'b'.repeat(32) });
    });
    await vi.waitFor(() => expect(container.textContent).toBe('Offer: Welcome back'));
  });

  it('installs a stub when the page has none yet', async () => {
    const { useOffers } = await fresh();
    await render(createElement(Show, { use: () => useOffers() }));
    expect(typeof win.p13n).toBe('function');
    expect(((win.p13n as { q: IArguments[] }).q).map((args) => [args[0], args[1]])).toEqual([['on', 'offers'], ['on', 'error']]);
    expect(shown()).toEqual({ status: 'loading', offers: {} });
  });
});

describe('server rendering and hydration', () => {
  const app = (client?: P13nClient) => createElement('main', null, createElement(Offer, { name: 'welcome', client, fallback: 'Default', children: () => 'Offer' }));

  it('renderToString renders the fallback, and touches no tag', () => {
    const client = fakeClient();
    expect(renderToString(app(client))).toBe('<main>Default</main>');
    expect(client.on).not.toHaveBeenCalled();
  });

  it('hydrates the server HTML with no mismatch when the offers are already in, then renders the offer', async () => {
    const client = fakeClient();
    // the tag answered before hydration: the first subscriber gets the offers at once (the tag replays the latest)
    client.on.mockImplementation((type: string, handler: Listener) => {
      if (type == 'offers') queueMicrotask(() => handler(offersDetail({ welcome: WELCOME })));
      return Promise.resolve({ ok: true });
    });
    container.innerHTML = renderToString(app(client));
    const errors: unknown[] = [];
    const consoleError = vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args));
    await act(async () => {
      root = hydrateRoot(container, app(client), { onRecoverableError: (error) => void errors.push(error) });
    });
    await vi.waitFor(() => expect(container.innerHTML).toBe('<main>Offer</main>'));
    expect(errors).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe('state objects', () => {
  it('useOffers gives the same object until the offers change', async () => {
    const client = fakeClient();
    const seen: OffersState[] = [];
    const Probe = () => (seen.push(useOffers(client)), null);
    await render(createElement(Probe));
    await act(async () => root!.render(createElement(Probe)));
    expect(seen.length).toBe(2);
    expect(seen[0]).toBe(seen[1]);
  });
});
