import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Vue from 'vue';
import { createApp, createSSRApp, defineComponent, h, nextTick, ref } from 'vue';
import { renderToString } from '@vue/server-renderer';
import { compileTemplate, type BindingMetadata } from 'vue/compiler-sfc';
import { Offer, p13n, provideP13n, useOffer, useOffers, type P13nClient } from './vue';
import type { ErrorDetail, OffersDetail, OffersState } from '../types';

type Handlers = { offers: ((detail: OffersDetail) => void)[]; error: ((detail: ErrorDetail) => void)[] };

/** A client of `createClient`'s shape that the test makes emit. */
function fakeClient() {
  const handlers: Handlers = { offers: [], error: [] };
  const client = {
    handlers,
    on: vi.fn((type: keyof Handlers, handler: never) => {
      handlers[type].push(handler);
      return Promise.resolve({ ok: true });
    }),
    off: vi.fn((type: keyof Handlers, handler: never) => {
      handlers[type] = handlers[type].filter((h) => h !== handler) as never;
      return Promise.resolve({ ok: true });
    }),
    offers(offers: OffersDetail['offers']) {
      handlers.offers.forEach((handler) => handler({ offers, names: Object.keys(offers), uuid: 'u', status: 200 }));
    },
    error(code: ErrorDetail['error']['code'] = 'timeout') {
      handlers.error.forEach((handler) => handler({ error: { code, message: 'no answer' } }));
    },
  };
  return client as typeof client & P13nClient;
}

const last = <T>(list: T[]) => list[list.length - 1];
const HERO = { attributes: { headline: 'Spring sale' } };

const mounted: { unmount(): void }[] = [];
function mount(component: Parameters<typeof createApp>[0], ssr = false) {
  const root = document.createElement('div');
  document.body.appendChild(root);
  const app = (ssr ? createSSRApp : createApp)(component);
  app.mount(root);
  mounted.push(app);
  return { app, root };
}
afterEach(() => {
  mounted.splice(0).forEach((app) => app.unmount());
  document.body.innerHTML = '';
  delete (window as { p13n?: unknown }).p13n;
});

/** A component that shows what `useOffers` gives, and keeps each state it saw. */
function probe(client?: P13nClient) {
  const seen: OffersState[] = [];
  const component = defineComponent({
    setup() {
      const state = useOffers(client);
      return () => {
        seen.push(state.value);
        return h('p', state.value.status);
      };
    },
  });
  return { seen, component };
}

/** The markup of an `<Offer name="hero">` with every slot. */
const heroOffer = (client?: P13nClient) =>
  h(Offer, { name: 'hero', client }, {
    default: ({ offer }: { offer: typeof HERO }) => h('b', offer.attributes.headline),
    fallback: () => h('i', 'Default'),
    loading: () => h('i', 'Loading'),
    error: ({ error }: { error?: { code: unknown } }) => h('i', 'Error ' + (error && error.code)),
  });

describe('useOffers', () => {
  it('is loading at the first render, then ready once the client emits offers', async () => {
    const client = fakeClient();
    const { seen, component } = probe(client);
    const { root } = mount(component);
    expect(seen[0].status).toBe('loading');
    expect(client.on).toHaveBeenCalledWith('offers', expect.any(Function));
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.textContent).toBe('ready');
    expect(last(seen)).toMatchObject({ status: 'ready', offers: { hero: HERO } });
  });

  it('is loading, then error when the first answer failed; later errors keep the offers', async () => {
    const client = fakeClient();
    const { seen, component } = probe(client);
    const { root } = mount(component);
    client.error('timeout');
    await nextTick();
    expect(root.textContent).toBe('error');
    expect(last(seen)).toMatchObject({ status: 'error', error: { code: 'timeout' } });
    client.offers({ hero: HERO });
    client.error('network');
    await nextTick();
    expect(last(seen)).toMatchObject({ status: 'ready', offers: { hero: HERO } });
  });

  it("listens to the page's window.p13n: the snippet's queue, which the tag replays", async () => {
    // the snippet's stub, as the page pasted it
    const stub = function (...args: unknown[]) {
      (stub.q = stub.q || []).push(args);
    } as ((...args: unknown[]) => void) & { q?: unknown[][] };
    (window as { p13n?: unknown }).p13n = stub;
    const { component } = probe();
    const { root } = mount(component);
    expect(root.textContent).toBe('loading');
    const queued = stub.q!.filter((args) => args[0] == 'on');
    expect(queued.map((args) => args[1])).toEqual(['offers', 'error']);
    // the tag replays the queue: the handlers it was given are the binding's
    (queued[0][2] as (detail: OffersDetail) => void)({ offers: { hero: HERO }, names: ['hero'], uuid: 'u', status: 200 });
    await nextTick();
    expect(root.textContent).toBe('ready');
  });

  it('installs a stub queue when the page has no window.p13n yet', () => {
    const { component } = probe();
    mount(component);
    const tag = (window as { p13n?: { q?: unknown[] } }).p13n;
    expect(typeof tag).toBe('function');
    expect(Array.from(tag!.q![0] as ArrayLike<unknown>).slice(0, 2)).toEqual(['on', 'offers']);
  });

  it('unsubscribes when the last component using the client unmounts', async () => {
    const client = fakeClient();
    const show = ref(true);
    const { component } = probe(client);
    mount({ render: () => (show.value ? h(component) : null) });
    expect(client.handlers.offers).toHaveLength(1);
    show.value = false;
    await nextTick();
    expect(client.off).toHaveBeenCalledWith('offers', expect.any(Function));
    expect(client.off).toHaveBeenCalledWith('error', expect.any(Function));
    expect(client.handlers.offers).toHaveLength(0);
  });

  it('never throws into the app when the tag throws', () => {
    const client = { on: () => { throw new Error('broken'); }, off: () => { throw new Error('broken'); } } as never;
    const { component } = probe(client);
    const { root, app } = mount(component);
    expect(root.textContent).toBe('loading');
    expect(() => app.unmount()).not.toThrow();
    mounted.pop();
  });

  it('takes the client of provideP13n and of the plugin', async () => {
    const provided = fakeClient();
    const { seen, component } = probe();
    mount({ setup: () => (provideP13n(provided), () => h(component)) });
    provided.offers({ hero: HERO });
    await nextTick();
    expect(last(seen)!.status).toBe('ready');

    const plugged = fakeClient();
    const other = probe();
    const root = document.createElement('div');
    const app = createApp(other.component).use(p13n, { client: plugged });
    app.mount(root);
    mounted.push(app);
    plugged.offers({ hero: HERO });
    await nextTick();
    expect(last(other.seen)!.status).toBe('ready');
  });
});

describe('useOffer', () => {
  it('gives { status, offer, error } of one offer, and follows a reactive name', async () => {
    const client = fakeClient();
    const name = ref('hero');
    let state: ReturnType<typeof useOffer> | undefined;
    mount({ setup: () => ((state = useOffer(name, client)), () => null) });
    expect(state!.value).toEqual({ status: 'loading', offer: undefined, error: undefined });
    client.offers({ hero: HERO, side: { attributes: { note: 'Side' } } });
    await nextTick();
    expect(state!.value).toEqual({ status: 'ready', offer: HERO, error: undefined });
    name.value = 'side';
    expect(state!.value.offer).toEqual({ attributes: { note: 'Side' } });
    name.value = 'toString';
    expect(state!.value.offer).toBeUndefined();
  });
});

describe('Offer', () => {
  it('shows loading, then the offer', async () => {
    const client = fakeClient();
    const { root } = mount({ render: () => heroOffer(client) });
    expect(root.innerHTML).toBe('<i>Loading</i>');
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<b data-p13n-measure="hero">Spring sale</b>');
  });

  it('shows the fallback when the answer had no offer of that name, and the error slot when it failed', async () => {
    const client = fakeClient();
    const { root } = mount({ render: () => heroOffer(client) });
    client.offers({ other: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<i>Default</i>');

    const failing = fakeClient();
    const second = mount({ render: () => heroOffer(failing) });
    failing.error(3001);
    await nextTick();
    expect(second.root.innerHTML).toBe('<i>Error 3001</i>');
  });

  it('falls back to the fallback slot for loading and error, and renders nothing without slots', async () => {
    const client = fakeClient();
    const { root } = mount({ render: () => [h(Offer, { name: 'hero', client }, { fallback: () => h('i', 'Default') }), h(Offer, { name: 'hero', client })] });
    expect(root.innerHTML).toBe('<i>Default</i><!---->');
    client.error();
    await nextTick();
    expect(root.innerHTML).toBe('<i>Default</i><!---->');
  });

  it('renders the fallback on the server, and hydrates it without a mismatch before showing the offer', async () => {
    const client = fakeClient();
    client.offers({ hero: HERO }); // no subscriber yet: nothing
    const App = { render: () => h('main', [heroOffer(client)]) };
    const html = await renderToString(createSSRApp(App));
    expect(html).toBe('<main><!--[--><i>Loading</i><!--]--></main>'); // a slot's fragment
    expect(client.on).not.toHaveBeenCalled();

    const { root, problems } = hydrate(App, html);
    expect(root.innerHTML).toBe(html);
    client.offers({ hero: HERO });
    await nextTick();
    // the server's fragment went with the loading slot: the offer's is the client's, with no comments around it
    expect(root.innerHTML).toBe('<main><b data-p13n-measure="hero">Spring sale</b></main>');
    expect(problems()).toEqual([]);
  });

  it('renders the fallback on the server with the page tag, touching no window.p13n', async () => {
    const html = await renderToString(createSSRApp({ render: () => h(Offer, { name: 'hero' }, { fallback: () => h('i', 'Default') }) }));
    expect(html).toBe('<!--[--><i>Default</i><!--]-->');
    expect((window as { p13n?: unknown }).p13n).toBeUndefined();
  });
});

/**
 * A component of `template`, compiled as @vitejs/plugin-vue compiles a single-file component's template for the
 * browser (compiler-sfc's compileTemplate, given the `<script setup>` bindings `setup` returns): with the patch
 * flags, cached static nodes and stable slots an app's bundle has, and that `h()` never carries. Compiled to a
 * function rather than a module, so that the test can run it with this Vue.
 */
/** Hydrates `html`, as a server rendered it, with `App`; `problems()` are the hydration warnings and errors Vue logged. */
function hydrate(App: Parameters<typeof createSSRApp>[0], html: string) {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  const root = document.createElement('div');
  root.innerHTML = html;
  document.body.appendChild(root);
  const app = createSSRApp(App);
  app.mount(root);
  mounted.push(app);
  return { root, problems: () => [...warn.mock.calls, ...error.mock.calls].map(String).filter((text) => /hydration|mismatch/i.test(text)) };
}

function compiled(template: string, setup: () => Record<string, unknown>) {
  const bindings = Object.keys(setup());
  const { code, errors } = compileTemplate({
    source: template,
    filename: 'Banner.vue',
    id: 'banner',
    compilerOptions: {
      mode: 'function',
      bindingMetadata: Object.fromEntries(bindings.map((name) => [name, 'setup-maybe-ref'])) as BindingMetadata,
    },
  });
  if (errors.length) throw new Error(String(errors[0]));
  return defineComponent({ setup, render: new Function('Vue', code)(Vue) });
}

describe('Offer in compiled templates', () => {
  // the slots of the README's example, each root an <h2> that differs from the others in its static attributes
  const SLOTS = {
    loading: '<template #loading><h2 class="skeleton">Welcome, {{ user }}</h2></template>',
    fallback: '<template #fallback><h2 hidden>Welcome, {{ user }}</h2></template>',
    error: '<template #error="{ error }"><h2 class="error">No offer today ({{ error.code }})</h2></template>',
    default: '<template #default="{ offer }"><h2>{{ offer.attributes.headline }}</h2></template>',
  };
  type Slot = keyof typeof SLOTS;

  /** An SFC's `<Offer name="hero">` with `slots`, mounted: its root's markup is what a visitor sees. */
  function banner(slots: Slot[] | string, user = ref('Ada')) {
    const client = fakeClient();
    const inner = typeof slots == 'string' ? slots : slots.map((slot) => SLOTS[slot]).join('');
    const App = compiled(`<Offer name="hero" :client="client">${inner}</Offer>`, () => ({ Offer, client, user }));
    return { client, ...mount(App) };
  }

  it('replaces the loading slot by the offer: no skeleton class left on it', async () => {
    const { client, root } = banner(['loading', 'fallback', 'default']);
    expect(root.innerHTML).toBe('<h2 class="skeleton">Welcome, Ada</h2>');
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<h2 data-p13n-measure="hero">Spring sale</h2>');
  });

  it('replaces the fallback shown while loading by the offer: not left hidden', async () => {
    const { client, root } = banner(['fallback', 'default']);
    expect(root.innerHTML).toBe('<h2 hidden="">Welcome, Ada</h2>');
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<h2 data-p13n-measure="hero">Spring sale</h2>');
  });

  it('replaces the loading slot by the fallback when the answer has no such offer', async () => {
    const { client, root } = banner(['loading', 'fallback', 'default']);
    client.offers({ other: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<h2 hidden="">Welcome, Ada</h2>');
  });

  it('replaces the error slot, or the fallback in its place, by the offer of a later answer', async () => {
    for (const slots of [['error', 'fallback', 'default'], ['fallback', 'default']] as Slot[][]) {
      const { client, root } = banner(slots);
      client.error(3001);
      await nextTick();
      expect(root.innerHTML).toBe(slots.includes('error') ? '<h2 class="error">No offer today (3001)</h2>' : '<h2 hidden="">Welcome, Ada</h2>');
      client.offers({ hero: HERO });
      await nextTick();
      expect(root.innerHTML).toBe('<h2 data-p13n-measure="hero">Spring sale</h2>');
    }
  });

  it('replaces the offer by the fallback when a later answer withdraws it', async () => {
    const { client, root } = banner(['loading', 'fallback', 'default']);
    client.offers({ hero: HERO });
    await nextTick();
    client.offers({});
    await nextTick();
    expect(root.innerHTML).toBe('<h2 hidden="">Welcome, Ada</h2>');
  });

  it('replaces a static loading slot (cached by the compiler) by the offer', async () => {
    const { client, root } = banner('<template #loading><h2 class="skeleton">Welcome</h2></template>' + SLOTS.default);
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<h2 data-p13n-measure="hero">Spring sale</h2>');
  });

  it('replaces a slot whose root has dynamic bindings: only the offer\'s own attributes stay', async () => {
    const { client, root } = banner(
      '<template #loading><h2 class="skeleton" aria-busy="true" :title="user">Welcome</h2></template>' +
        '<template #default="{ offer }"><h2 :title="offer.attributes.headline" :data-offer="offer.id">{{ offer.attributes.headline }}</h2></template>',
    );
    expect(root.innerHTML).toBe('<h2 class="skeleton" aria-busy="true" title="Ada">Welcome</h2>');
    client.offers({ hero: { ...HERO, id: 'o1' } });
    await nextTick();
    expect(root.innerHTML).toBe('<h2 title="Spring sale" data-offer="o1" data-p13n-measure="hero">Spring sale</h2>');
  });

  it("replaces a conditional slot's branch by the other branch (v-if on the slot's template)", async () => {
    const short = ref(true);
    const client = fakeClient();
    const App = compiled(
      `<Offer name="hero" :client="client">
        <template v-if="short" #default="{ offer }"><h2 class="short">{{ offer.attributes.headline }}</h2></template>
        <template v-else #default="{ offer }"><h2>{{ offer.attributes.headline }}</h2></template>
      </Offer>`,
      () => ({ Offer, client, short }),
    );
    const { root } = mount(App);
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<h2 class="short" data-p13n-measure="hero">Spring sale</h2>');
    short.value = false;
    await nextTick();
    expect(root.innerHTML).toBe('<h2 data-p13n-measure="hero">Spring sale</h2>');
  });

  it('patches the same slot in place: a new offer, or a new binding, keeps the element', async () => {
    const user = ref('Ada');
    const { client, root } = banner(['loading', 'default'], user);
    const skeleton = root.firstElementChild;
    user.value = 'Bea';
    await nextTick();
    expect(root.firstElementChild).toBe(skeleton);
    expect(root.innerHTML).toBe('<h2 class="skeleton">Welcome, Bea</h2>');
    client.offers({ hero: HERO });
    await nextTick();
    const headline = root.firstElementChild;
    client.offers({ hero: { attributes: { headline: 'Summer sale' } } });
    await nextTick();
    expect(root.firstElementChild).toBe(headline);
    expect(root.innerHTML).toBe('<h2 data-p13n-measure="hero">Summer sale</h2>');
  });

  it('renders the loading slot on the server, hydrates it without a mismatch, then replaces it by the offer', async () => {
    const client = fakeClient();
    const App = compiled(`<main><Offer name="hero" :client="client">${SLOTS.loading}${SLOTS.default}</Offer></main>`, () => ({ Offer, client, user: 'Ada' }));
    const html = await renderToString(createSSRApp(App));
    expect(html).toBe('<main><!--[--><h2 class="skeleton">Welcome, Ada</h2><!--]--></main>');

    const { root, problems } = hydrate(App, html);
    expect(root.innerHTML).toBe(html);
    client.offers({ hero: HERO });
    await nextTick();
    expect(root.innerHTML).toBe('<main><h2 data-p13n-measure="hero">Spring sale</h2></main>');
    expect(problems()).toEqual([]);
  });
});
