/**
 * Where the measure module keeps the offers a visitor saw, for the core to name in `track` events (it reads the
 * key written out, to spare its bytes): a JSON list of `[name, until]` (ms), most recent first, one per offer, at
 * most 10.
 */
const exposuresKey = (settings) => 'p13n:seen:' + settings.url;
/** The offer attribute that holds TD's in-browser content, a JSON string. */
const MESSAGE_KEY = 'td_in_browser.message_json';
/** Where the `track` events of one endpoint and table are stored. */
const outboxKey = (settings) => 'p13n:' + settings.url;
/** The storage key of one event's record in the outbox under `key` (outboxKey); the core writes it out (track.ts). */
const recordKey = (key, id) => key + '#' + id;
/** Whether the storage key `name` is the outbox under `key`'s: one of its records, or the list 0.1.0 kept. */
const ofOutbox = (key, name) => name.split('#')[0] == key;
/**
 * How long a claim holds unless renewed. A tab renews the claims of the requests it has out (a keepalive
 * request cannot be cancelled, so it is never given up on), so this bounds only how long a claim outlives a tab
 * that was closed or left.
 */
const LEASE_MS = 30000;
/**
 * A request out longer than this as the page is left shows a service in trouble: what is out stays stored rather
 * than counted delivered. The core, for a `track` it sent itself, and the delivery module judge alike.
 */
const SLOW_MS = 2000;

export { LEASE_MS as L, MESSAGE_KEY as M, SLOW_MS as S, ofOutbox as a, exposuresKey as e, outboxKey as o, recordKey as r };
