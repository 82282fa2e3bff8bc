/**
 * The debug module (`debug: true`): each error the tag reports is explained at length in the console, with what
 * was expected and how to fix it. The core's own messages stay short (what is at fault, and the README's table);
 * the long words are here, paid for only by a page being debugged.
 */
import type { P13nError } from '../../types';

const PROXY = ' Omit both apiKey and token only behind a first-party proxy on the page\'s own origin.';
/** What each config key must be. */
const KEYS: Record<string, string> = {
  database: '3-128 characters of [0-9a-z_]',
  table: '3-128 characters of [0-9a-z_]',
  apiKey: 'a TD write API key, "{account_id}/{40 hex}", sent as Authorization: TD1 {apiKey}.' + PROXY,
  token: 'the personalization token, "{account_id}/{instance_id}/{32 hex}", sent as WP13n-Token.' + PROXY,
  region: "one of 'us01', 'eu01', 'ap01' (or 'co.jp'), 'ap03'",
  endpoint: 'an http(s) URL without ? or #, https on an https page, e.g. https://eu01.p13n.in.treasuredata.com/public or /p13n-proxy',
  cookie: 'false, or { name, expires (days), domain }',
  clientId: 'a non-empty string',
  attributes: 'an object of attributes, e.g. { page_type: "product" }',
  pageview: 'true or false',
  spa: 'true or false',
  timeout: 'a number of milliseconds, 1 or more',
  consent: "'granted', 'denied', 'pending' or 'tcf' (read from the page's IAB TCF CMP)",
  tcf: 'an object: { purposes: [1, 5, 6], vendorId (your IAB vendor id), timeout (milliseconds to wait for a CMP) }',
  respectGPC: 'true or false',
  prehide: 'a CSS selector, e.g. "[data-p13n-offer]"',
  prehideTimeout: 'a number of milliseconds, 0 or more',
  nonce: "the page's CSP nonce, a non-empty string",
  cache: 'false, or { ttl } in seconds, 1 or more',
  onOffers: 'a function',
  onError: 'a function',
  messages: "true or false: false leaves TD's in-browser content (td_in_browser.message_json) to the page",
  debug: 'true or false',
  measure: 'true or false: true records viewable impressions, clicks and dismissals of the offers shown',
  holdout: 'a number from 0 to below 1: the share of visitors kept in a control group that is shown no offer',
  attribution: 'a number of days, above 0: how long a viewable impression is named in later track events',
};
/** What each command takes. */
const COMMANDS: Record<string, string> = {
  on: "an event name ('offers', 'error' or 'ready') and a function",
  off: "an event name ('offers', 'error' or 'ready') and the function given to on",
  set: 'an object of attributes; a key set to null is removed',
  personalize: 'nothing, or an object of attributes, e.g. { product_id: "42" }',
  track: 'nothing, or an object of attributes, e.g. { event: "add_to_cart" }',
  consent: "'granted' or 'denied'; with respectGPC, a browser sending Global Privacy Control stays denied",
  spa: 'true or false',
};
/** What the tag's other codes mean. */
const CODES: Record<string, string> = {
  invalid_event: 'The event could not be written as JSON: send plain data, with no cycles and no getters that throw.',
  too_large: 'One request carries at most 64 KiB (keepalive): send less, e.g. ids rather than whole objects.',
  dropped: 'More calls waited for a consent decision than are held (30), or the outbox was full: the oldest was dropped.',
  consent: 'Consent is denied: nothing is sent and nothing is stored until p13n("consent", "granted").',
  message:
    "TD's in-browser content could not be shown: its td_in_browser.message_json is not {type: 'replacement', selector, content_html} or {type: 'modal', content_html}, its selector is not CSS, or the sanitizer did not load (under Trusted Types, browsers without Element.setHTML need the policy 'p13n-html' as well as 'p13n').",
  module: "A module of the tag did not load: check that the files beside p13n.min.js are served (with CORS), that the CSP allows them (or passes the tag's nonce) and, under Trusted Types, that the policy 'p13n' is allowed.",
  parse: 'The API answered 2xx with a body that is not {"offers": {...}}: check the endpoint.',
  http: 'The endpoint answered an HTTP error without the API\'s error body: check the endpoint or the proxy.',
  network: 'No response: offline, blocked (an ad blocker, the CSP connect-src), or refused by CORS (the API checks the Origin).',
  timeout: 'No answer within config.timeout: the request was given up (personalize) or is still being tried (track).',
};

/** The explanation of `error`, for the console. */
export function explanation(error: P13nError): string {
  const key = /config\.(\w+)/.exec(error.message);
  const command = /^p13n: (\w+):/.exec(error.message);
  const why =
    error.code == 'config' && key && KEYS[key[1]]
      ? `config.${key[1]} must be ${KEYS[key[1]]}`
      : error.code == 'usage' && command && COMMANDS[command[1]]
        ? `${command[1]} takes ${COMMANDS[command[1]]}`
        : typeof error.code == 'number'
          ? `The Personalization API answered error ${error.code} (HTTP ${error.status}): see its error table; 3xxx codes mean the token, its configuration or the event is wrong, and are not retried.`
          : CODES[error.code];
  return why ? `${error.message}\n  ${why}` : error.message;
}

/** Explains each error in the console as it is reported. */
export default function explain(error: P13nError) {
  console.info('p13n (debug):', explanation(error));
}
