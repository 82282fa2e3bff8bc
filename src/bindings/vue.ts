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
import {
  cloneVNode,
  computed,
  defineComponent,
  Fragment,
  h,
  hasInjectionContext,
  inject,
  onMounted,
  onUnmounted,
  provide,
  shallowRef,
  toValue,
  type App,
  type ComputedRef,
  type MaybeRefOrGetter,
  type PropType,
  type SlotsType,
  type VNode,
} from 'vue';
import { LOADING, offerIn, offersSource } from './source';
import type { Offer as OfferData, OfferState, OffersState, P13nClient, P13nError } from '../types';

export type { OfferState, OffersState, P13nClient };

/** The injection key `provideP13n` and the plugin provide the client under. */
const KEY = 'p13n:client';

/** The client for the components below: `useOffers`, `useOffer` and `<Offer>` use it when given none. */
export function provideP13n(client: P13nClient): void {
  provide(KEY, client);
}

/** `app.use(p13n, { client })`: the client for the whole app (without it, the page's `window.p13n`). */
export const p13n = {
  install(app: App, options?: { client?: P13nClient }): void {
    app.provide(KEY, options && options.client);
  },
};

/**
 * The latest offers: `loading` on the server, during hydration and until the first answer; `ready` with the
 * offers; `error` when the first answer failed (later failures keep the offers). Call it in `setup`.
 */
export function useOffers(client?: P13nClient): ComputedRef<OffersState> {
  const tag = client || (hasInjectionContext() ? inject<P13nClient | undefined>(KEY, undefined) : undefined);
  const state = shallowRef(LOADING);
  let stop: (() => void) | undefined;
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
export function useOffer(name: MaybeRefOrGetter<string>, client?: P13nClient): ComputedRef<OfferState> {
  const offers = useOffers(client);
  return computed(() => offerIn(offers.value, toValue(name)));
}

/**
 * Renders its default slot with `{ offer }` once the offer named `name` came back; otherwise the `loading` slot
 * while no answer is in (on the server and during hydration too), the `error` slot when the answer failed, each
 * the `fallback` slot when not given, which also shows when the answer had no offer of that name.
 */
export const Offer = /*#__PURE__*/ defineComponent({
  name: 'P13nOffer',
  props: {
    name: { type: String, required: true },
    /** A client from `createClient`; read once, when the component is set up. */
    client: Object as PropType<P13nClient>,
  },
  slots: Object as SlotsType<{
    default: { offer: OfferData };
    fallback: { status: OffersState['status']; error?: P13nError };
    loading: { status: 'loading' };
    error: { status: 'error'; error?: P13nError };
  }>,
  setup(props, { slots }) {
    const state = useOffer(() => props.name, props.client);
    return () => {
      const { status, offer, error } = state.value;
      const name = offer ? 'default' : status != 'ready' && slots[status] ? status : 'fallback';
      const slot = slots[name] as ((props: object) => SlotContent) | undefined;
      return slot && slotFragment(name, offer ? measured(props.name, slot({ offer })) : slot({ status, error }));
    };
  },
});

/**
 * The offer's nodes, their first element marked `data-p13n-measure` with the offer's name: the place whose viewable
 * impressions and clicks the tag records with `measure: true` (README, "Measurement"). A component at the root
 * passes the attribute to its own root, as Vue passes attributes.
 */
function measured(name: string, nodes: SlotContent): SlotContent {
  // a slot function makes its array afresh on each render: it is the render's own to change
  const at = nodes.findIndex((node) => typeof node.type != 'symbol');
  if (at >= 0) nodes[at] = cloneVNode(nodes[at], { 'data-p13n-measure': name });
  return nodes;
}

/** What a slot gives: its nodes, with the branch key of a conditional slot (`v-if` on a `<template #name>`). */
type SlotContent = VNode[] & { key?: string };

/**
 * A slot's nodes in a fragment keyed by the slot, as Vue's own `renderSlot` keys them (`_` + name, or the branch
 * key: https://github.com/vuejs/core/blob/main/packages/runtime-core/src/helpers/renderSlot.ts). A compiled slot's
 * elements carry patch flags that name only what may change within that slot: patched into another slot's root of
 * the same tag, Vue would update the new slot's bindings and keep the old one's static attributes (the loading
 * slot's `class="skeleton"` on the offer, the fallback's `hidden`). Another key replaces the elements; the same
 * slot again is patched in place. A fragment adds no element, and the server renders it as it rendered the array.
 */
const slotFragment = (name: string, content: SlotContent) => h(Fragment, { key: name + (content.key || '') }, content);
