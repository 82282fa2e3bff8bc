/**
 * The first page view, sent by the early snippet (src/snippets/early.ts) before the core has arrived, and what it
 * leaves the core: the core takes the request over (core/client.ts), as if it had sent it itself. Everything here is
 * the core's own code, so the snippet sends the very URL, headers and body the core would.
 */
import { readConfig } from '../core/config';
import { gpcRefuses } from '../core/consent';
import { readCookie, registrableDomain, writeCookie } from '../core/cookie';
import { pageContext } from '../core/context';
import { buildEvent } from '../core/event';
import { visitorId } from '../core/identity';
import { exchange, type Answer } from '../core/transport';

/**
 * What the snippet leaves on its stub (`p13n.e`) for the core. Short names: they are in the snippet, which every
 * page's HTML carries.
 */
export interface Early {
  /** The config `init` was given: the core takes the request over only for the init it was sent for. */
  c: unknown;
  /** The JSON body sent: its `uuid`, and the page it names (`td_path`, `td_url`), are the core's from then on. */
  b: string;
  /** The visitor id the snippet found or made: the core's from then on (the body's may be an attribute's). */
  i: string;
  /** Its answer. */
  r: Promise<Answer>;
}

/**
 * Sends the page view `init`'s `config` asks for, when the core would send it at once: a config that passes
 * every check, `pageview` on, consent granted from the start, no holdout. Otherwise sends nothing: the core does
 * what it does today, errors included.
 */
export function sendEarly(config: unknown): Early | undefined {
  const settings = readConfig(config, location, true);
  // a holdout's page views carry the visitor's group, which the snippet leaves to the core: its bytes are every page's
  if ('code' in settings || !settings.pageview || settings.consent != 'granted' || gpcRefuses(settings) || settings.holdout) return;
  const id = visitorId(settings);
  const { cookie } = settings;
  const [, body] = buildEvent(id, pageContext(), Date.now(), [settings.attributes]);
  if (typeof body != 'string') return;
  // keepalive as an own property: a polluted Object.prototype.keepalive must not reach fetch
  const early = { c: config, b: body, i: id, r: exchange({ ...settings, body, keepalive: false }) };
  // a new visitor's id goes to the cookie at once, once the request is out: td-js-sdk, should its bundle run before
  // the core's, finds it there and sends its events with it, rather than make an id of its own (the core refreshes a
  // returning visitor's cookie itself)
  try {
    if (cookie && readCookie(cookie.name) != id) writeCookie(cookie.name, id, cookie.domain || registrableDomain(), cookie.expires);
  } catch {} // cookies blocked: the core keeps the id in memory
  return early;
}
