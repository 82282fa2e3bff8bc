import type { Config, CookieOptions, P13nError } from './types';

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
const isString = (value: unknown): value is string => typeof value == 'string';
const isNumber = (min: number) => (value: unknown) => typeof value == 'number' && value >= min && value < Infinity;
const matches = (pattern: RegExp) => (value: unknown) => isString(value) && pattern.test(value);
const NAME: Rule = [matches(/^[0-9a-z_]{3,128}$/), '3-128 characters of [0-9a-z_]'];
const BOOLEAN: Rule = [is('boolean'), 'true or false'];
const TEXT: Rule = [matches(/[^]/), 'a non-empty string'];
const FUNCTION: Rule = [is('function'), 'a function'];
const PROXY = ' (omit both apiKey and token only behind a same-origin proxy endpoint)';

type Rule = [(value: any) => unknown, string];

/** Every key init knows, with what its value must be; a key not listed here is warned about and ignored. */
const RULES: Record<string, Rule> = {
  database: NAME,
  table: NAME,
  apiKey: [matches(/^\d+\/[0-9a-f]{40}$/i), '"{account_id}/{40 hex}"' + PROXY],
  token: [matches(/^\d+\/\d+\/[0-9a-f]{32}$/i), '"{account_id}/{instance_id}/{32 hex}"' + PROXY],
  region: [matches(/^(us01|eu01|ap01|ap03|co\.jp)$/), 'us01, eu01, ap01 (or co.jp) or ap03'],
  endpoint: TEXT,
  cookie: [
    (c) => c === false || (isObject(c) && (own(c, 'name') === undefined || matches(/^[\w!#$%&'*+\-.^`|~]+$/)(c.name)) &&
      (own(c, 'expires') === undefined || isNumber(1e-9)(c.expires)) && (own(c, 'domain') === undefined || TEXT[0](c.domain))),
    'false or { name, expires (days), domain }',
  ],
  clientId: TEXT,
  attributes: [isObject, 'an object'],
  pageview: BOOLEAN,
  spa: BOOLEAN,
  timeout: [isNumber(1), 'a number of ms, 1 or more'],
  consent: [matches(/^(granted|denied|pending)$/), '"granted", "denied" or "pending"'],
  respectGPC: BOOLEAN,
  prehide: [(selector) => isString(selector) && document.querySelector(selector) !== undefined, 'a CSS selector'],
  prehideTimeout: [isNumber(0), 'a number of ms, 0 or more'],
  nonce: TEXT,
  cache: [(cache) => cache === false || isNumber(1)(own(cache, 'ttl')), 'false or { ttl } in seconds, 1 or more'],
  onOffers: FUNCTION,
  onError: FUNCTION,
  debug: BOOLEAN,
};

/** Text for anything thrown: the checks throw strings; page code may throw a Symbol or an object with no toString. */
export function reason(problem: unknown): string {
  try {
    return String(problem);
  } catch {
    return 'an unreadable ' + typeof problem;
  }
}

function check(key: string, value: unknown, ok: unknown = value === undefined) {
  try {
    ok = ok || RULES[key][0](value);
  } catch {} // an invalid selector throws
  if (!ok) throw `config.${key} must be ${RULES[key][1]}`;
}

/**
 * Checks `init`'s config against the contract. Returns the settings, or a `config` error whose message names
 * the key and what it must be. Never throws.
 */
export function readConfig(input: unknown, page: Location = location): Settings | P13nError {
  try {
    if (!isObject(input)) throw 'config must be an object: { database, table, apiKey, token }';
    // no prototype: a polluted Object.prototype cannot supply a setting
    const config: Settings = Object.assign(Object.create(null), { attributes: {}, pageview: true, timeout: 3000, consent: 'granted', prehideTimeout: 1500 });
    for (const key of Object.keys(input)) {
      if (RULES.hasOwnProperty(key)) check(key, (config[key as 'spa'] = input[key]));
      else console.warn(`p13n: config.${key} is not a setting; ignored`);
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
      throw 'config.endpoint must be an http(s) URL without ? or #, https on https pages';
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
      if (apiKey!.split('/')[0] != token!.split('/')[0]) console.warn('p13n: apiKey and token are of different accounts: the API will answer 3002');
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
  } catch (problem) {
    return { code: 'config', message: 'p13n: ' + (isString(problem) ? problem : 'config could not be read: ' + reason(problem)) };
  }
}
