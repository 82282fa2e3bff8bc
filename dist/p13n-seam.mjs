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

export { LEASE_MS as L, MESSAGE_KEY as M, SLOW_MS as S, exposuresKey as e, outboxKey as o };
