import { isValidElement, cloneElement, createElement, useContext, useSyncExternalStore, createContext } from 'react';

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
 * p13n-tag/react: the tag's latest offers in React 18 and 19 components, hydration-safe by construction.
 *
 * The hooks read the offers source (bindings/source.ts) with `useSyncExternalStore`, whose server snapshot is
 * `LOADING`: the server renders the fallback, the hydration render renders it again (so the server HTML and the
 * first client render always match), and React renders the offer right after hydration. Nothing here runs at
 * import, touches the DOM, or throws into the app: a failure of the tag is the `error` state.
 *
 *   <Offer name="welcome" fallback={<Default />}>{(offer) => <Banner {...offer.attributes} />}</Offer>
 */
const ClientContext = /* @__PURE__ */ createContext(undefined);
/** The client the components under it use, from `createClient`; without one they use the page's `window.p13n`. */
function P13nProvider(props) {
    return createElement(ClientContext.Provider, { value: props.client }, props.children);
}
const serverSnapshot = () => LOADING;
/**
 * The latest offers of `client`, of the provider's client, or of the page's tag: `loading` on the server, during
 * hydration and until the first answer, then `ready` (or `error` when the first answer failed).
 */
function useOffers(client) {
    const provided = useContext(ClientContext);
    const source = offersSource(client || provided);
    return useSyncExternalStore(source.subscribe, source.get, serverSnapshot);
}
/** The offer `name` of the latest answer, with the answer's status. */
function useOffer(name, client) {
    return offerIn(useOffers(client), name);
}
/** Renders `children(offer)` once the offer `name` came back, `loading` while awaited, `fallback` otherwise. */
function Offer(props) {
    const { status, offer } = useOffer(props.name, props.client);
    if (offer) {
        // the offer's element is its place, whose viewable impressions and clicks `measure: true` records
        const content = props.children(offer);
        return isValidElement(content) && typeof content.type == 'string' ? cloneElement(content, { 'data-p13n-measure': props.name }) : content;
    }
    const shown = status == 'ready' ? undefined : props[status];
    return shown !== undefined ? shown : props.fallback !== undefined ? props.fallback : null;
}

export { Offer, P13nProvider, useOffer, useOffers };
