import * as vue from 'vue';
import { PropType, VNode, SlotsType, App, MaybeRefOrGetter, ComputedRef } from 'vue';

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

/** The client for the components below: `useOffers`, `useOffer` and `<Offer>` use it when given none. */
declare function provideP13n(client: P13nClient): void;
/** `app.use(p13n, { client })`: the client for the whole app (without it, the page's `window.p13n`). */
declare const p13n: {
    install(app: App, options?: {
        client?: P13nClient;
    }): void;
};
/**
 * The latest offers: `loading` on the server, during hydration and until the first answer; `ready` with the
 * offers; `error` when the first answer failed (later failures keep the offers). Call it in `setup`.
 */
declare function useOffers(client?: P13nClient): ComputedRef<OffersState>;
/** The offer named `name` (a string, a ref or a getter), and the state of the answer. */
declare function useOffer(name: MaybeRefOrGetter<string>, client?: P13nClient): ComputedRef<OfferState>;
/**
 * Renders its default slot with `{ offer }` once the offer named `name` came back; otherwise the `loading` slot
 * while no answer is in (on the server and during hydration too), the `error` slot when the answer failed, each
 * the `fallback` slot when not given, which also shows when the answer had no offer of that name.
 */
declare const Offer: vue.DefineComponent<vue.ExtractPropTypes<{
    name: {
        type: StringConstructor;
        required: true;
    };
    /** A client from `createClient`; read once, when the component is set up. */
    client: PropType<P13nClient>;
}>, () => VNode<vue.RendererNode, vue.RendererElement, {
    [key: string]: any;
}> | undefined, {}, {}, {}, vue.ComponentOptionsMixin, vue.ComponentOptionsMixin, {}, string, vue.PublicProps, Readonly<vue.ExtractPropTypes<{
    name: {
        type: StringConstructor;
        required: true;
    };
    /** A client from `createClient`; read once, when the component is set up. */
    client: PropType<P13nClient>;
}>> & Readonly<{}>, {}, SlotsType<{
    default: {
        offer: Offer$1;
    };
    fallback: {
        status: OffersState["status"];
        error?: P13nError;
    };
    loading: {
        status: "loading";
    };
    error: {
        status: "error";
        error?: P13nError;
    };
}>, {}, {}, string, vue.ComponentProvideOptions, true, {}, any>;

export { Offer, p13n, provideP13n, useOffer, useOffers };
export type { OfferState, OffersState, P13nClient };
