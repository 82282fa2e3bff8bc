import * as react from 'react';
import { ReactNode } from 'react';

type EventName = 'offers' | 'error' | 'ready';
/** Event attributes: any JSON-compatible object. Values JSON cannot carry are dropped. */
type Attributes = Record<string, unknown>;
/**
 * Why a call failed. `code` is the API's own number when its error body carried one (3001, 2003, 9999 ...),
 * otherwise one of the tag's names.
 */
interface P13nError {
    code: number | 'config' | 'usage' | 'invalid_event' | 'too_large' | 'parse' | 'http' | 'network' | 'timeout' | 'dropped' | 'consent' | 'module' | 'message';
    message: string;
    /** HTTP status, when a response came back. */
    status?: number;
    /** True when trying again later may succeed (429, 5xx, network, timeout). */
    retryable?: boolean;
}
interface Offer$1 {
    attributes?: Record<string, unknown>;
    batch_segments?: {
        id: string;
    }[];
    [key: string]: unknown;
}
type Offers = Record<string, Offer$1>;
type Result = {
    ok: true;
    status: number;
    offers: Offers;
    uuid: string;
    holdout?: true;
} | {
    ok: false;
    error: P13nError;
    offers: Offers;
    uuid?: string;
};
interface Outcome {
    ok: boolean;
    error?: P13nError;
}
interface ReadyDetail {
    clientId: string | undefined;
}
interface OffersDetail {
    offers: Offers;
    names: string[];
    /** The request's; for cached offers, the uuid of the earlier request they came from. */
    uuid: string;
    status: number;
    /** True when these offers came from the `cache` at a repeat view; the fresh answer follows. */
    cached?: true;
    /**
     * True when a holdout withheld offers of this answer (the visitor's control group, or an offer's `p13n_holdout`):
     * page code must not render them itself, or the control group is shown what it must not see.
     */
    holdout?: true;
}
interface ErrorDetail {
    error: P13nError;
    uuid?: string;
}
interface EventDetails {
    ready: ReadyDetail;
    offers: OffersDetail;
    error: ErrorDetail;
}
type Handler<E extends EventName> = (detail: EventDetails[E]) => void;
/**
 * What the framework bindings (`p13n-tag/react`, `p13n-tag/vue`) give a component: the latest offers, or why
 * there are none yet. `loading` on the server, during hydration, and until the first answer; `error` when the
 * first answer failed (later failures keep the offers shown).
 */
interface OffersState {
    status: 'loading' | 'ready' | 'error';
    offers: Offers;
    error?: P13nError;
    /** The offers came from the `cache`; the fresh answer follows. */
    cached?: boolean;
}
/** One offer's state, as the bindings' `useOffer` gives it: `offer` once the answer carried an offer of that name. */
interface OfferState {
    status: OffersState['status'];
    offer?: Offer$1;
    error?: P13nError;
}
/** What the bindings need of a client: `createClient()`'s, or anything with its `on` and `off`. */
type P13nClient = Pick<Client, 'on' | 'off'>;
/** What `createClient` returns: the tag's commands as methods. No method throws, no promise rejects. */
interface Client {
    /** Resolves with the outcome of the configuration given to `createClient`. */
    init(): Promise<Outcome>;
    personalize(attributes?: Attributes): Promise<Result>;
    track(attributes?: Attributes): Promise<Result>;
    /** Merged into every later request; a key set to `null` is removed. */
    set(attributes: Attributes): Promise<Outcome>;
    consent(state: 'granted' | 'denied'): Promise<Outcome>;
    /** Switches route-change page views (the `spa` setting) on or off. */
    spa(on: boolean): Promise<Outcome>;
    on<E extends EventName>(event: E, handler: Handler<E>): Promise<Outcome>;
    off<E extends EventName>(event: E, handler: Handler<E>): Promise<Outcome>;
    clientId(): Promise<string | undefined>;
    /** A new client id (for a logout), written to the cookie. */
    reset(): Promise<Outcome>;
}

/** The client the components under it use, from `createClient`; without one they use the page's `window.p13n`. */
declare function P13nProvider(props: {
    client: P13nClient;
    children?: ReactNode;
}): react.FunctionComponentElement<react.ProviderProps<P13nClient | undefined>>;
/**
 * The latest offers of `client`, of the provider's client, or of the page's tag: `loading` on the server, during
 * hydration and until the first answer, then `ready` (or `error` when the first answer failed).
 */
declare function useOffers(client?: P13nClient): OffersState;
/** The offer `name` of the latest answer, with the answer's status. */
declare function useOffer(name: string, client?: P13nClient): OfferState;
interface OfferProps {
    /** The offer's name in the answer. */
    name: string;
    /** What to render with the offer, once it came back. */
    children: (offer: Offer$1) => ReactNode;
    /** Rendered when the offer is not there: on the server, during hydration, and when the answer lacks it. */
    fallback?: ReactNode;
    /** Rendered while the answer is awaited (the fallback unless told). */
    loading?: ReactNode;
    /** Rendered when the answer failed (the fallback unless told). */
    error?: ReactNode;
    /** A client from `createClient`; the provider's or the page's tag without one. */
    client?: P13nClient;
}
/** Renders `children(offer)` once the offer `name` came back, `loading` while awaited, `fallback` otherwise. */
declare function Offer(props: OfferProps): ReactNode;

export { Offer, P13nProvider, useOffer, useOffers };
export type { Offer$1 as OfferData, OfferProps, OfferState, OffersState, P13nClient, P13nError };
