import { defineComponent, provide, computed, toValue, hasInjectionContext, inject, shallowRef, onMounted, onUnmounted, h, Fragment, cloneVNode } from 'vue';

/** Before any answer: what the server renders, and the first client render must match. */
const LOADING = Object.freeze({ status: 'loading', offers: Object.freeze({}) });
/** The page's `p13n`: the live tag, the snippet's stub, or a stub of the snippet's kind that the tag will replay. */
function pageTag() {
    if (typeof window == 'undefined')
        return undefined;
    const page = window;
    // the short snippet's stub, so that calls made before the tag loads are replayed by it
    const stub = function () {
        (stub.q = stub.q || []).push(arguments);
    };
    page.p13n = page.p13n || stub;
    // through the global at each call, as the snippet's stub does: the tag replaces the stub when it loads, and an
    // off() made after that must reach the tag, not the stub's dead queue
    const tag = (command, type, handler) => page.p13n(command, type, handler);
    return {
        on: (type, handler) => tag('on', type, handler),
        off: (type, handler) => tag('off', type, handler),
    };
}
const sources = new WeakMap();
let pageSource;
/**
 * The store of `client`'s offers, or of the page tag's without one: one per client, shared by every component.
 * Listens from the first subscriber to the last; never throws (a tag that throws leaves the state as it is).
 */
function offersSource(client) {
    const existing = client ? sources.get(client) : pageSource;
    if (existing)
        return existing;
    let state = LOADING;
    const listeners = new Set();
    const set = (next) => {
        state = next;
        listeners.forEach((listener) => listener());
    };
    const onOffers = (detail) => set({ status: 'ready', offers: detail.offers, cached: !!detail.cached });
    // an error before any offers is the error state; later errors (a track's, a later personalize's) keep the offers
    const onError = (detail) => state.status == 'loading' && set({ status: 'error', offers: {}, error: detail.error });
    let tag;
    const source = {
        subscribe(listener) {
            listeners.add(listener);
            if (!tag) {
                try {
                    tag = client || pageTag();
                    if (tag) {
                        tag.on('offers', onOffers);
                        tag.on('error', onError);
                    }
                }
                catch { }
            }
            return () => {
                listeners.delete(listener);
                if (listeners.size || !tag)
                    return;
                try {
                    tag.off('offers', onOffers);
                    tag.off('error', onError);
                }
                catch { }
                tag = undefined;
            };
        },
        get: () => state,
    };
    if (client)
        sources.set(client, source);
    else
        pageSource = source;
    return source;
}
/**
 * The offer named `name` in `state`, with the answer's status: the answer's own offers only (a name such as
 * `__proto__` or `toString` finds none), and an offer only where there is an object.
 */
function offerIn(state, name) {
    const { status, offers, error } = state;
    const offer = Object.prototype.hasOwnProperty.call(offers, name) ? offers[name] : undefined;
    return { status, offer: offer && typeof offer == 'object' ? offer : undefined, error };
}

/**
 * p13n-tag/vue (Vue 3.3+): the tag's latest offers as a composable and a component.
 *
 *   const state = useOffers();          // Ref<OffersState>: { status, offers, error }
 *   const hero = useOffer('hero');      // Ref<{ status, offer, error }>
 *   h(Offer, { name: 'hero' }, { default: ({ offer }) => ..., fallback: () => ... })
 *
 * Hydration-safe by construction: the state is `loading` on the server and until the component is mounted (the
 * composable subscribes in `onMounted`), so the server's HTML and the hydration render are the same; the offers
 * come in the render after. The tag is the page's `window.p13n` (the snippet's queue included), or the client from
 * `createClient` given as an argument, the `client` prop, `provideP13n(client)` or `app.use(p13n, { client })`.
 * Nothing here throws into the app: a failure is the `error` state.
 */
/** The injection key `provideP13n` and the plugin provide the client under. */
const KEY = 'p13n:client';
/** The client for the components below: `useOffers`, `useOffer` and `<Offer>` use it when given none. */
function provideP13n(client) {
    provide(KEY, client);
}
/** `app.use(p13n, { client })`: the client for the whole app (without it, the page's `window.p13n`). */
const p13n = {
    install(app, options) {
        app.provide(KEY, options && options.client);
    },
};
/**
 * The latest offers: `loading` on the server, during hydration and until the first answer; `ready` with the
 * offers; `error` when the first answer failed (later failures keep the offers). Call it in `setup`.
 */
function useOffers(client) {
    const tag = client || (hasInjectionContext() ? inject(KEY, undefined) : undefined);
    const state = shallowRef(LOADING);
    let stop;
    // never on the server, and after hydration: the first render is the server's
    onMounted(() => {
        const source = offersSource(tag);
        const update = () => (state.value = source.get());
        stop = source.subscribe(update);
        update();
    });
    onUnmounted(() => stop && stop());
    return computed(() => state.value);
}
/** The offer named `name` (a string, a ref or a getter), and the state of the answer. */
function useOffer(name, client) {
    const offers = useOffers(client);
    return computed(() => offerIn(offers.value, toValue(name)));
}
/**
 * Renders its default slot with `{ offer }` once the offer named `name` came back; otherwise the `loading` slot
 * while no answer is in (on the server and during hydration too), the `error` slot when the answer failed, each
 * the `fallback` slot when not given, which also shows when the answer had no offer of that name.
 */
const Offer = /*#__PURE__*/ defineComponent({
    name: 'P13nOffer',
    props: {
        name: { type: String, required: true },
        /** A client from `createClient`; read once, when the component is set up. */
        client: Object,
    },
    slots: Object,
    setup(props, { slots }) {
        const state = useOffer(() => props.name, props.client);
        return () => {
            const { status, offer, error } = state.value;
            const name = offer ? 'default' : status != 'ready' && slots[status] ? status : 'fallback';
            const slot = slots[name];
            return slot && slotFragment(name, offer ? measured(props.name, slot({ offer })) : slot({ status, error }));
        };
    },
});
/**
 * The offer's nodes, their first element marked `data-p13n-measure` with the offer's name: the place whose viewable
 * impressions and clicks the tag records with `measure: true` (README, "Measurement"). A component at the root
 * passes the attribute to its own root, as Vue passes attributes.
 */
function measured(name, nodes) {
    // a slot function makes its array afresh on each render: it is the render's own to change
    const at = nodes.findIndex((node) => typeof node.type != 'symbol');
    if (at >= 0)
        nodes[at] = cloneVNode(nodes[at], { 'data-p13n-measure': name });
    return nodes;
}
/**
 * A slot's nodes in a fragment keyed by the slot, as Vue's own `renderSlot` keys them (`_` + name, or the branch
 * key: https://github.com/vuejs/core/blob/main/packages/runtime-core/src/helpers/renderSlot.ts). A compiled slot's
 * elements carry patch flags that name only what may change within that slot: patched into another slot's root of
 * the same tag, Vue would update the new slot's bindings and keep the old one's static attributes (the loading
 * slot's `class="skeleton"` on the offer, the fallback's `hidden`). Another key replaces the elements; the same
 * slot again is patched in place. A fragment adds no element, and the server renders it as it rendered the array.
 */
const slotFragment = (name, content) => h(Fragment, { key: name + (content.key || '') }, content);

export { Offer, p13n, provideP13n, useOffer, useOffers };
