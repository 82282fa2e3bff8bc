/**
 * What the framework bindings (`p13n-tag/react`, `p13n-tag/vue`) read: the latest offers of the tag, as a small
 * external store. It listens to the IIFE tag on the page (`window.p13n`, the snippet's queue included: a stub is
 * installed if the page has none yet, which the tag replays when it loads) or to a client from `createClient`.
 * Nothing here touches the DOM or runs on the server: on the server, and during hydration, a binding shows
 * `LOADING`, the state the server rendered.
 */
import type { ErrorDetail, OfferState, OffersDetail, OffersState, P13nClient } from '../types';

/** Before any answer: what the server renders, and the first client render must match. */
export const LOADING: OffersState = Object.freeze({ status: 'loading', offers: Object.freeze({}) }) as OffersState;


export interface OffersSource {
  /** Calls `listener` after each change; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** The state now: the same object until it changes. */
  get(): OffersState;
}

type Global = ((command: string, ...args: unknown[]) => Promise<unknown>) & { q?: unknown[] };

/** The page's `p13n`: the live tag, the snippet's stub, or a stub of the snippet's kind that the tag will replay. */
function pageTag(): P13nClient | undefined {
  if (typeof window == 'undefined') return undefined;
  const page = window as unknown as { p13n?: Global };
  // the short snippet's stub, so that calls made before the tag loads are replayed by it
  const stub = function (this: unknown) {
    (stub.q = stub.q || []).push(arguments);
  } as unknown as Global;
  page.p13n = page.p13n || stub;
  // through the global at each call, as the snippet's stub does: the tag replaces the stub when it loads, and an
  // off() made after that must reach the tag, not the stub's dead queue
  const tag = (command: string, type: unknown, handler: unknown) => page.p13n!(command, type, handler);
  return {
    on: (type, handler) => tag('on', type, handler) as never,
    off: (type, handler) => tag('off', type, handler) as never,
  };
}

const sources = new WeakMap<object, OffersSource>();
let pageSource: OffersSource | undefined;

/**
 * The store of `client`'s offers, or of the page tag's without one: one per client, shared by every component.
 * Listens from the first subscriber to the last; never throws (a tag that throws leaves the state as it is).
 */
export function offersSource(client?: P13nClient): OffersSource {
  const existing = client ? sources.get(client) : pageSource;
  if (existing) return existing;
  let state = LOADING;
  const listeners = new Set<() => void>();
  const set = (next: OffersState) => {
    state = next;
    listeners.forEach((listener) => listener());
  };
  const onOffers = (detail: OffersDetail) => set({ status: 'ready', offers: detail.offers, cached: !!detail.cached });
  // an error before any offers is the error state; later errors (a track's, a later personalize's) keep the offers
  const onError = (detail: ErrorDetail) => state.status == 'loading' && set({ status: 'error', offers: {}, error: detail.error });
  let tag: P13nClient | undefined;
  const source: OffersSource = {
    subscribe(listener) {
      listeners.add(listener);
      if (!tag) {
        try {
          tag = client || pageTag();
          if (tag) {
            tag.on('offers', onOffers);
            tag.on('error', onError);
          }
        } catch {}
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size || !tag) return;
        try {
          tag.off('offers', onOffers);
          tag.off('error', onError);
        } catch {}
        tag = undefined;
      };
    },
    get: () => state,
  };
  if (client) sources.set(client, source);
  else pageSource = source;
  return source;
}

/**
 * The offer named `name` in `state`, with the answer's status: the answer's own offers only (a name such as
 * `__proto__` or `toString` finds none), and an offer only where there is an object.
 */
export function offerIn(state: OffersState, name: string): OfferState {
  const { status, offers, error } = state;
  const offer = Object.prototype.hasOwnProperty.call(offers, name) ? offers[name] : undefined;
  return { status, offer: offer && typeof offer == 'object' ? offer : undefined, error };
}
