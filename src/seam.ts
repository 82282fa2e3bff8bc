/**
 * The one seam between the core (`dist/p13n.min.js`, what every page view needs) and the modules it loads when a
 * page uses them (`src/modules/`, one file each in `dist/`): what a module is given, what it gives back, and the
 * one format both write, the outbox in storage. Modules import nothing else from the core but types; what code
 * they need of it comes in the `Kit`, so no byte is in two files.
 */
import type { Settings } from './core/config';
import type { Attributes, P13nError } from './types';
import type { failure, keepalive } from './core/transport';
import type { toJSON } from './core/payload';
import type createDelivery from './modules/delivery';
import type explain from './modules/debug';
import type watchRoutes from './modules/spa';
import type createMessages from './modules/messages';
import type createMeasure from './modules/measure';
import type createCache from './modules/cache';
import type purify from './modules/purify';
import type readTcf from './modules/tcf';

/** The core's own functions a module may use. */
export interface Kit {
  keepalive: typeof keepalive;
  failure: typeof failure;
}

/** Each module's name, and the one function its file gives the core. */
export interface Modules {
  /** `track` delivery and its outbox: loaded by the first `track`, or when storage holds events to send. */
  delivery: typeof createDelivery;
  /** Route changes of single-page apps: loaded when `spa` is on. */
  spa: typeof watchRoutes;
  /** Errors explained at length, and the request log: loaded with `debug: true`. */
  debug: typeof explain;
  /** TD's in-browser content: loaded by the first answer that carries a message (`MESSAGE_KEY`). */
  messages: typeof createMessages;
  /** DOMPurify, the messages module's sanitizer where the browser has no `Element.setHTML`. */
  purify: typeof purify;
  /** Viewable impressions, clicks, dismissals, holdouts and caps: loaded by the first answer with `measure` or `holdout`. */
  measure: typeof createMeasure;
  /** The offer cache (`cache: { ttl }`): loaded by a page view when it is on. */
  cache: typeof createCache;
  /** Consent read from an IAB TCF CMP: loaded at init with `consent: 'tcf'`. */
  tcf: typeof readTcf;
}
export type ModuleName = keyof Modules;

/** What the messages module is given. */
export interface MessageKit {
  /** Calls `added` with each batch of the core's one MutationObserver: the elements a page adds later. */
  watch(added: (records: MutationRecord[]) => void): void;
  /** Loads the fallback sanitizer (the `purify` module), pinned by `hash`, which the messages module carries. */
  purify(hash: string): Promise<Modules['purify']>;
  /** Tells the page of a message that could not be shown: an `error` event (code `'message'`, or `'module'`). */
  report(error: P13nError): void;
}

/** What the cache module is given: the core's JSON writer, which a page's `toJSON` cannot bend. */
export interface CacheKit {
  toJSON: typeof toJSON;
}

/** What the measure module is given. */
export interface MeasureKit {
  /** The core's request: with `track` true, a measurement event sent as `track` sends it (consent, outbox, keepalive, proxy). */
  request(attributes: Attributes, track: true): unknown;
  /** The visitor's `td_client_id` now: the groups and an offer's own holdout draw from it. */
  clientId(): string;
  /** The core's draw of a number in [0, 1) from text (core/group.ts), as the visitor's group is drawn. */
  fraction(text: string): number;
}

/**
 * Where the measure module keeps the offers a visitor saw, for the core to name in `track` events (it reads the
 * key written out, to spare its bytes): a JSON list of `[name, until]` (ms), most recent first, one per offer, at
 * most 10.
 */
export const exposuresKey = (settings: Pick<Settings, 'url'>) => 'p13n:seen:' + settings.url;

/** The offer attribute that holds TD's in-browser content, a JSON string. */
export const MESSAGE_KEY = 'td_in_browser.message_json';

/** The event a module's script fires on its own `<script>` element as it runs, with the module as `detail`. */
export const MODULE_EVENT = 'p13n:module';

/**
 * One `track` event not yet confirmed, as the outbox keeps it in `localStorage`: one record per event under
 * `outboxKey + '#' + id`, written by the delivery module and by the core (for a `track` made before the module is
 * in). Versions before 0.2.0 kept a JSON array of them under `outboxKey`, which the module moves into records:
 * both are what an upgrade must keep reading.
 */
export interface Entry {
  id: string;
  body: string;
  /** Failed attempts so far. */
  tries: number;
  /** Not to be sent before this time (ms): the backoff, or the server's Retry-After. */
  next: number;
  /** Claimed by a tab until this time (ms): claims let the tabs of a site share one outbox. */
  lease: number;
  /** UTF-8 bytes of `body`, worked out once (see `bytes`). */
  bytes?: number;
  /** When the delivery module stored it (ms, unique in its tab): the outbox's order across pages. */
  at?: number;
}

/** Where the `track` events of one endpoint and table are stored. */
export const outboxKey = (settings: Pick<Settings, 'url'>) => 'p13n:' + settings.url;
/** The storage key of one event's record in the outbox under `key` (outboxKey); the core writes it out (track.ts). */
export const recordKey = (key: string, id: string) => key + '#' + id;
/** Whether the storage key `name` is the outbox under `key`'s: one of its records, or the list 0.1.0 kept. */
export const ofOutbox = (key: string, name: string) => name.split('#')[0] == key;

/**
 * How long a claim holds unless renewed. A tab renews the claims of the requests it has out (a keepalive
 * request cannot be cancelled, so it is never given up on), so this bounds only how long a claim outlives a tab
 * that was closed or left.
 */
export const LEASE_MS = 30_000;

/**
 * A request out longer than this as the page is left shows a service in trouble: what is out stays stored rather
 * than counted delivered. The core, for a `track` it sent itself, and the delivery module judge alike.
 */
export const SLOW_MS = 2000;
