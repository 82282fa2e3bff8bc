import { problem } from './errors';
import type { Config, CookieOptions, P13nError } from '../types';

/** A config that passed every rule, with defaults filled in and the request's URL and headers worked out. */
export type Settings = Config &
  Required<Pick<Config, 'attributes' | 'pageview' | 'timeout' | 'consent' | 'prehideTimeout'>> & {
    url: string;
    headers: Record<string, string>;
    /** fetch's credentials: a proxy on the page's origin gets the page's own, so the POST rides its connection. */
    credentials: RequestCredentials;
    cookie: Required<Omit<CookieOptions, 'domain'>> & { domain?: string } | false;
  };

export const isObject = (value: unknown): value is Record<string, any> => {
  try {
    return !!value && typeof value == 'object' && !Array.isArray(value);
  } catch {
    return false; // a revoked Proxy: nothing can be read from it
  }
};
/** `object[key]` when it is the object's own property: a polluted Object.prototype never supplies a value. */
export const own = (object: unknown, key: string | null): unknown =>
  key != null && isObject(object) && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
const is = (type: string) => (value: unknown) => typeof value == type;
export const isString = (value: unknown): value is string => typeof value == 'string';
const isNumber = (min: number, max = Infinity) => (value: unknown) => typeof value == 'number' && value >= min && value < max;
const matches = (pattern: RegExp) => (value: unknown) => isString(value) && pattern.test(value);
const NAME = matches(/^[0-9a-z_]{3,128}$/);
const BOOLEAN = is('boolean');
const TEXT = matches(/[^]/);
const FUNCTION = is('function');

/**
 * Every key init knows, with the test its value must pass; a key not listed here is warned about and ignored.
 * What each must be is in the README's config table, and in the debug module's explanations (`src/modules/debug/`).
 */
const RULES: Record<string, (value: any) => unknown> = {
  database: NAME,
  table: NAME,
  apiKey: matches(/^\d+\/[0-9a-f]{40}$/i),
  token: matches(/^\d+\/\d+\/[0-9a-f]{32}$/i),
  region: matches(/^(us01|eu01|ap01|ap03|co\.jp)$/),
  endpoint: TEXT,
  cookie: (c) =>
    c === false ||
    (isObject(c) && (own(c, 'name') === undefined || matches(/^[\w!#$%&'*+\-.^`|~]+$/)(c.name)) &&
      (own(c, 'expires') === undefined || isNumber(1e-9)(c.expires)) && (own(c, 'domain') === undefined || TEXT(c.domain))),
  clientId: TEXT,
  attributes: isObject,
  pageview: BOOLEAN,
  spa: BOOLEAN,
  timeout: isNumber(1),
  consent: matches(/^(granted|denied|pending|tcf)$/),
  // checked by the tcf module, which reads it
  tcf: isObject,
  respectGPC: BOOLEAN,
  prehide: (selector) => isString(selector) && document.querySelector(selector) !== undefined,
  prehideTimeout: isNumber(0),
  nonce: TEXT,
  cache: (cache) => cache === false || isNumber(1)(own(cache, 'ttl')),
  onOffers: FUNCTION,
  onError: FUNCTION,
  messages: BOOLEAN,
  debug: BOOLEAN,
  measure: BOOLEAN,
  // a share of the visitors, below all of them
  holdout: isNumber(0, 1),
  attribution: isNumber(1e-9),
};

/** `Promise.resolve(value)`, in fewer bytes: the core makes settled promises in many places (its answers, its queues). */
export const resolved = <T>(value: T) => Promise.resolve(value);

/** Text for anything thrown: the checks throw strings; page code may throw a Symbol or an object with no toString. */
export function reason(thrown: unknown): string {
  try {
    return String(thrown);
  } catch {
    return 'an unreadable ' + typeof thrown;
  }
}

function check(key: string, value: unknown, ok: unknown = value === undefined) {
  try {
    ok = ok || RULES[key](value);
  } catch {} // an invalid selector throws
  if (!ok) throw `config.${key} is invalid`;
}

/**
 * Checks `init`'s config against the contract. Returns the settings, or a `config` error whose message names
 * the key and what it must be. Never throws. `quiet` keeps its warnings back: the early snippet reads the config
 * too, and the core, which reads it after, gives them.
 */
export function readConfig(input: unknown, page: Location = location, quiet?: boolean): Settings | P13nError {
  const warn = (message: string) => quiet || console.warn(problem('config', message).message);
  try {
    if (!isObject(input)) throw 'config is not an object';
    // no prototype: a polluted Object.prototype cannot supply a setting
    const config: Settings = Object.assign(Object.create(null), { attributes: {}, pageview: true, timeout: 3000, consent: 'granted', prehideTimeout: 1500 });
    for (const key of Object.keys(input)) {
      if (RULES.hasOwnProperty(key)) check(key, (config[key as 'spa'] = input[key]));
      else warn(`config.${key} is not a setting, ignored`);
    }
    const { database, table, apiKey, token, endpoint, region = 'us01', cookie } = config;
    check('database', database, false);
    check('table', table, false);
    let base: URL | undefined;
    try {
      // /public is the path browsers post to, as td-js-sdk does; the path without it is for servers
      base = new URL(endpoint || `https://${region == 'co.jp' ? 'ap01' : region}.p13n.in.treasuredata.com/public`, page.href);
    } catch {}
    if (!base || !/^https?:$/.test(base.protocol) || base.search || base.hash || (base.protocol != 'https:' && page.protocol == 'https:')) {
      throw 'config.endpoint is invalid';
    }
    config.url = base.href.replace(/\/$/, '') + `/${database}/${table}`;
    const local = base.origin == page.origin;
    // Chromium keeps connections with and without credentials apart: 'omit' to the page's origin would open a
    // second one. Another origin never gets the visitor's cookies.
    config.credentials = local ? 'same-origin' : 'omit';
    config.headers = { 'Content-Type': 'application/vnd.treasuredata.v1+json', Accept: 'application/vnd.treasuredata.v1+json' };
    // a first-party proxy adds the credentials server-side: the page may then carry neither
    if (apiKey || token || !local) {
      check('apiKey', apiKey, false);
      check('token', token, false);
      if (apiKey!.split('/')[0] != token!.split('/')[0]) warn('config.apiKey and config.token are of different accounts');
      config.headers.Authorization = 'TD1 ' + apiKey;
      config.headers['WP13n-Token'] = token!;
    }
    // own properties only: a polluted Object.prototype must not choose the cookie's domain
    config.cookie = cookie !== false && {
      name: (own(cookie, 'name') as string) || '_td',
      expires: (own(cookie, 'expires') as number) || 730,
      domain: own(cookie, 'domain') as string | undefined,
    };
    return config;
  } catch (wrong) {
    return problem('config', isString(wrong) ? wrong : 'config could not be read: ' + reason(wrong));
  }
}
