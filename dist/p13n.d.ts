/** Public types of p13n-tag: the one place a user of the tag or the ES module reads. */
type Region = 'us01' | 'eu01' | 'ap01' | 'co.jp' | 'ap03';
type Consent = 'granted' | 'denied' | 'pending';
/** `consent: 'tcf'`'s options (README "Consent from an IAB TCF CMP"). */
interface TcfOptions {
    /** TCF purpose ids that must all have consent. Default [1, 5, 6]. */
    purposes?: number[];
    /** Your IAB Global Vendor List id: its purpose consents and its vendor consent count; without one, the publisher's purposes. */
    vendorId?: number;
    /** Milliseconds to wait for a CMP on the page before consent counts as denied. Default 3000. */
    timeout?: number;
}
type EventName = 'offers' | 'error' | 'ready';
/** Event attributes: any JSON-compatible object. Values JSON cannot carry are dropped. */
type Attributes = Record<string, unknown>;
interface CookieOptions {
    /** Cookie that holds `td_client_id`; td-js-sdk's `_td` by default, so both share one id. */
    name?: string;
    /** Lifetime in days (browsers cap it at 400). Default 730. */
    expires?: number;
    /** Defaults to the registrable domain, found by probing as td-js-sdk does. */
    domain?: string;
}
interface Config {
    database: string;
    table: string;
    /** `{account_id}/{40 hex}`, sent as `Authorization: TD1 {apiKey}`. Omit behind a first-party proxy. */
    apiKey?: string;
    /** `{account_id}/{instance_id}/{32 hex}`, sent as `WP13n-Token`. Omit behind a first-party proxy. */
    token?: string;
    region?: Region;
    /** Base URL replacing the region's; may carry a path prefix (`https://host/public`, `/p13n-proxy`). */
    endpoint?: string;
    cookie?: CookieOptions | false;
    clientId?: string;
    attributes?: Attributes;
    pageview?: boolean;
    spa?: boolean;
    /** Milliseconds `personalize` may take, retries included. Default 3000. */
    timeout?: number;
    /** `'tcf'`: read from the page's IAB TCF CMP (the `tcf` module), pending until it answers. Default 'granted'. */
    consent?: Consent | 'tcf';
    /** With `consent: 'tcf'`: what must have consent, and how long to wait for a CMP. */
    tcf?: TcfOptions;
    respectGPC?: boolean;
    prehide?: string;
    prehideTimeout?: number;
    nonce?: string;
    cache?: {
        ttl: number;
    } | false;
    onOffers?: (detail: OffersDetail) => void;
    onError?: (detail: ErrorDetail) => void;
    /** Render TD's in-browser content (`td_in_browser.message_json`). Default true. */
    messages?: boolean;
    debug?: boolean;
    /**
     * Record viewable impressions, clicks and dismissals of the offers shown, and name the offers seen in later
     * `track` events (`p13n_exposures`). Default false: it adds requests to the real-time API.
     */
    measure?: boolean;
    /** The fraction of visitors, by a stable hash of `td_client_id`, kept in a control group shown no offer. Default 0. */
    holdout?: number;
    /** Days a viewable impression is named in later `track` events' `p13n_exposures`. Default 7. */
    attribution?: number;
}
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
interface Offer {
    attributes?: Record<string, unknown>;
    batch_segments?: {
        id: string;
    }[];
    [key: string]: unknown;
}
type Offers = Record<string, Offer>;
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
/** The detail of a `p13n:message` DOM event: TD's in-browser content (README, "In-browser content"). */
interface MessageDetail {
    /** `show` comes first and is cancelable: `preventDefault()` leaves the message to the page. */
    action: 'show' | 'shown' | 'click' | 'closed' | 'restored';
    /** The offer's name. */
    name: string;
    type: 'replacement' | 'modal';
    /** A replacement's. */
    selector?: string;
    /** The link clicked (`click`). */
    href?: string;
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
    offer?: Offer;
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
/** The global `p13n` function the IIFE defines. */
interface P13n {
    (command: 'init', config: Config): Promise<Outcome>;
    (command: 'personalize' | 'track', attributes?: Attributes): Promise<Result>;
    (command: 'set', attributes: Attributes): Promise<Outcome>;
    (command: 'consent', state: 'granted' | 'denied'): Promise<Outcome>;
    (command: 'spa', on: boolean): Promise<Outcome>;
    <E extends EventName>(command: 'on' | 'off', event: E, handler: Handler<E>): Promise<Outcome>;
    (command: 'clientId'): Promise<string | undefined>;
    (command: 'reset'): Promise<Outcome>;
    /** The version of the loaded bundle. */
    readonly v: string;
}

/** This tag's version: `td_version` of every request, and `p13n.v`. */
declare const VERSION = "0.1.0";

/**
 * A personalization client for one database/table. Nothing is sent until the config is checked; the checks,
 * `p13n:ready` and the first page view run a microtask later, so handlers added right after this returns
 * see them.
 */
declare const createClient: (config: unknown) => Client;

export { VERSION, createClient };
export type { Attributes, Client, Config, Consent, CookieOptions, ErrorDetail, EventDetails, EventName, Handler, MessageDetail, Offer, OfferState, Offers, OffersDetail, OffersState, Outcome, P13n, P13nClient, P13nError, ReadyDetail, Region, Result, TcfOptions };
