import { M as MESSAGE_KEY, o as outboxKey, S as SLOW_MS, L as LEASE_MS } from './p13n-seam.mjs';

/** The README's table of errors: every message of the tag's own points there. */
const ERRORS_URL = 'https://www.npmjs.com/package/p13n-tag#errors';
/**
 * A mistake in the page's use of the tag: a short, stable message naming the key or command at fault, and where
 * the table explains it. `debug: true` loads the module that explains each one at length in the console.
 */
const problem = (code, what) => ({ code, message: `p13n: ${what}; see ${ERRORS_URL}` });
/** A command given what it does not take: `p13n: on: bad arguments; see ...`. */
const usage = (command, what = 'bad arguments') => problem('usage', command + ': ' + what);

const isObject = (value) => {
    try {
        return !!value && typeof value == 'object' && !Array.isArray(value);
    }
    catch {
        return false; // a revoked Proxy: nothing can be read from it
    }
};
/** `object[key]` when it is the object's own property: a polluted Object.prototype never supplies a value. */
const own$1 = (object, key) => key != null && isObject(object) && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
const is = (type) => (value) => typeof value == type;
const isString = (value) => typeof value == 'string';
const isNumber = (min, max = Infinity) => (value) => typeof value == 'number' && value >= min && value < max;
const matches = (pattern) => (value) => isString(value) && pattern.test(value);
const NAME = matches(/^[0-9a-z_]{3,128}$/);
const BOOLEAN = is('boolean');
const TEXT = matches(/[^]/);
const FUNCTION = is('function');
/**
 * Every key init knows, with the test its value must pass; a key not listed here is warned about and ignored.
 * What each must be is in the README's config table, and in the debug module's explanations (`src/modules/debug/`).
 */
const RULES = {
    database: NAME,
    table: NAME,
    apiKey: matches(/^\d+\/[0-9a-f]{40}$/i),
    token: matches(/^\d+\/\d+\/[0-9a-f]{32}$/i),
    region: matches(/^(us01|eu01|ap01|ap03|co\.jp)$/),
    endpoint: TEXT,
    cookie: (c) => c === false ||
        (isObject(c) && (own$1(c, 'name') === undefined || matches(/^[\w!#$%&'*+\-.^`|~]+$/)(c.name)) &&
            (own$1(c, 'expires') === undefined || isNumber(1e-9)(c.expires)) && (own$1(c, 'domain') === undefined || TEXT(c.domain))),
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
    cache: (cache) => cache === false || isNumber(1)(own$1(cache, 'ttl')),
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
const resolved = (value) => Promise.resolve(value);
/** Text for anything thrown: the checks throw strings; page code may throw a Symbol or an object with no toString. */
function reason(thrown) {
    try {
        return String(thrown);
    }
    catch {
        return 'an unreadable ' + typeof thrown;
    }
}
function check(key, value, ok = value === undefined) {
    try {
        ok = ok || RULES[key](value);
    }
    catch { } // an invalid selector throws
    if (!ok)
        throw `config.${key} is invalid`;
}
/**
 * Checks `init`'s config against the contract. Returns the settings, or a `config` error whose message names
 * the key and what it must be. Never throws. `quiet` keeps its warnings back: the early snippet reads the config
 * too, and the core, which reads it after, gives them.
 */
function readConfig(input, page = location, quiet) {
    const warn = (message) => console.warn(problem('config', message).message);
    try {
        if (!isObject(input))
            throw 'config is not an object';
        // no prototype: a polluted Object.prototype cannot supply a setting
        const config = Object.assign(Object.create(null), { attributes: {}, pageview: true, timeout: 3000, consent: 'granted', prehideTimeout: 1500 });
        for (const key of Object.keys(input)) {
            if (RULES.hasOwnProperty(key))
                check(key, (config[key] = input[key]));
            else
                warn(`config.${key} is not a setting, ignored`);
        }
        const { database, table, apiKey, token, endpoint, region = 'us01', cookie } = config;
        check('database', database, false);
        check('table', table, false);
        let base;
        try {
            // /public is the path browsers post to, as td-js-sdk does; the path without it is for servers
            base = new URL(endpoint || `https://${region == 'co.jp' ? 'ap01' : region}.p13n.in.treasuredata.com/public`, page.href);
        }
        catch { }
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
            if (apiKey.split('/')[0] != token.split('/')[0])
                warn('config.apiKey and config.token are of different accounts');
            config.headers.Authorization = 'TD1 ' + apiKey;
            config.headers['WP13n-Token'] = token;
        }
        // own properties only: a polluted Object.prototype must not choose the cookie's domain
        config.cookie = cookie !== false && {
            name: own$1(cookie, 'name') || '_td',
            expires: own$1(cookie, 'expires') || 730,
            domain: own$1(cookie, 'domain'),
        };
        return config;
    }
    catch (wrong) {
        return problem('config', isString(wrong) ? wrong : 'config could not be read: ' + reason(wrong));
    }
}

/**
 * Global Privacy Control, when the site honours it (`respectGPC`) and the browser sends it: a refusal no banner
 * click overrides. The core and the early snippet decide alike.
 */
const gpcRefuses = (settings) => !!settings.respectGPC && navigator.globalPrivacyControl === true;
/** Calls held while consent is pending; beyond this the oldest is dropped. Enough for a long-pending banner. */
const MAX_HELD = 30;
/**
 * The visitor's consent, and the calls that wait while it is pending: each is told 'granted', 'denied' or, when
 * more than MAX_HELD wait, 'dropped', in the order they were made. 'tcf' (the page's TCF CMP, which the tcf module
 * reads) waits as 'pending' does; it is only ever the initial state, set before any call can wait.
 */
function createConsent(initial) {
    let state = initial;
    let held = [];
    return {
        get: () => state,
        /** The decision a call goes out under: at once, or once the visitor decides. */
        allowed: () => state == 'pending' || state == 'tcf'
            ? new Promise((resume) => {
                held.push(resume);
                if (held.length > MAX_HELD)
                    held.shift()('dropped');
            })
            : state,
        /** Records a decision and answers what waited for one; returns the state before. */
        set(decision) {
            const was = state;
            state = decision;
            if (decision != 'pending') {
                const waiting = held;
                held = [];
                waiting.forEach((resume) => resume(decision));
            }
            return was;
        },
    };
}

/** This tag's version: `td_version` of every request, and `p13n.v`. */
const VERSION = '0.1.0';
/**
 * The page fields td-js-sdk's pageview sends, with the same names and definitions, so one set of
 * personalization rules serves both tags.
 */
function pageContext(version = VERSION) {
    const doc = document;
    const root = doc.documentElement;
    const nav = navigator;
    const description = doc.querySelector('meta[name="description"]');
    const uaPlatform = nav.userAgentData;
    return {
        td_version: version,
        td_charset: (doc.characterSet || '-').toLowerCase(),
        td_language: (nav.language || '').toLowerCase(),
        td_color: screen.colorDepth + '-bit',
        td_screen: screen.width + 'x' + screen.height,
        td_viewport: Math.max(root.clientWidth, innerWidth || 0) + 'x' + Math.max(root.clientHeight, innerHeight || 0),
        td_title: doc.title,
        td_description: description ? description.content.slice(0, 8192) : '',
        td_url: location.href.split('#')[0],
        td_user_agent: nav.userAgent,
        td_platform: nav.platform || (uaPlatform && uaPlatform.platform) || '',
        td_host: location.host,
        td_path: location.pathname,
        td_referrer: doc.referrer,
    };
}

/** Runs page code so that its exceptions reach the console, never the tag or the page. */
function isolate(fn, detail) {
    try {
        fn(detail);
    }
    catch (error) {
        console.error('p13n: a handler threw', error);
    }
}
/**
 * Each event goes to a `p13n:*` CustomEvent on `document`, to the `on()` handlers, then to the config callback,
 * all with one `detail`. `ready` and `offers` are remembered: a handler added after they happened is called
 * with the latest one, so a page that subscribes late still renders the offers already in.
 */
function createEvents(callbacks) {
    const handlers = { ready: [], offers: [], error: [] };
    // no prototype: a polluted Object.prototype.offers is no detail to replay
    const latest = Object.create(null);
    /** The handlers of `type`, when it is an event name (a string: anything else could throw as a key). */
    const listOf = (type) => (isString(type) && handlers.hasOwnProperty(type) ? handlers[type] : undefined);
    return {
        _emit(type, detail) {
            if (type != 'error')
                latest[type] = detail;
            try {
                document.dispatchEvent(new CustomEvent('p13n:' + type, { detail }));
            }
            catch { }
            handlers[type].slice().forEach((fn) => isolate(fn, detail));
            const callback = type == 'offers' ? callbacks.onOffers : type == 'error' ? callbacks.onError : 0;
            if (callback)
                isolate(callback, detail);
        },
        /** False when `type` is not an event name or `fn` not a function. */
        _on(type, fn) {
            const list = listOf(type);
            if (!list || typeof fn != 'function')
                return false;
            list.push(fn);
            const seen = latest[type];
            if (type in latest) {
                // later, so the page's own code after on() runs first; skipped if off() or a newer emit came in between
                resolved(0).then(() => list.indexOf(fn) >= 0 && latest[type] === seen && isolate(fn, seen));
            }
            return true;
        },
        _off(type, fn) {
            const list = listOf(type);
            if (!list)
                return false;
            const at = list.indexOf(fn);
            if (at >= 0)
                list.splice(at, 1);
            return true;
        },
    };
}

/** Later layers win; only own enumerable keys are read, so inherited or polluted properties never leak in. */
function merge(layers) {
    // no prototype: a "__proto__" key from JSON input stays data instead of becoming one
    const out = Object.create(null);
    for (let i = 0; i < layers.length; i++) {
        const layer = layers[i];
        const keys = layer ? Object.keys(layer) : [];
        for (let k = 0; k < keys.length; k++)
            out[keys[k]] = layer[keys[k]];
    }
    return out;
}
/**
 * JSON text of `value`, written by hand rather than by `JSON.stringify(object)`: pages that replace
 * `Array.prototype.toJSON` (Prototype.js) would turn arrays into strings, and a polluted `toJSON` could inject
 * anything. Values JSON cannot carry are dropped (or `null` inside arrays, as JSON does); a cycle, or a getter
 * or Proxy that throws, is an `invalid_event` error.
 */
function toJSON(value) {
    const open = [];
    const write = (v) => {
        // JSON.stringify of a primitive never looks up toJSON, so it is safe for strings
        if (isString(v))
            return JSON.stringify(v);
        if (typeof v == 'number')
            return isFinite(v) ? '' + v : 'null';
        if (typeof v == 'boolean' || v === null)
            return '' + v;
        if (typeof v != 'object')
            return; // undefined, functions, symbols, bigints
        if (v instanceof Date)
            return write(isNaN(+v) ? null : v.toISOString());
        // new String('a'), new Number(1), new Boolean(false): their value, as JSON.stringify writes them
        if (v instanceof String || v instanceof Number || v instanceof Boolean)
            return write(v.valueOf());
        if (open.indexOf(v) >= 0)
            throw 'is circular';
        open.push(v);
        const parts = [];
        if (Array.isArray(v)) {
            // a hole is null, never a value a polluted Array.prototype holds at that index
            for (let i = 0; i < v.length; i++)
                parts.push((Object.prototype.hasOwnProperty.call(v, i) && write(v[i])) || 'null');
        }
        else {
            const keys = Object.keys(v);
            for (let i = 0; i < keys.length; i++) {
                const text = write(v[keys[i]]);
                if (text)
                    parts.push(JSON.stringify(keys[i]) + ':' + text);
            }
        }
        open.pop();
        return Array.isArray(v) ? '[' + parts.join() + ']' : '{' + parts.join() + '}';
    };
    try {
        return write(value);
    }
    catch (thrown) {
        return problem('invalid_event', 'the event ' + (isString(thrown) ? thrown : 'could not be read: ' + reason(thrown)));
    }
}

/**
 * What a page's commands share whichever `init` succeeds: the event handlers and the attributes `set` adds. `on`,
 * `off` and `set` need no client, so the handlers and attributes a page gave before a refused `init` serve the
 * corrected one as they are. The `callbacks` (the config's `onOffers` and `onError`, the debug module's `explain`) are
 * the client's to set.
 */
function createHub() {
    const callbacks = {};
    const events = createEvents(callbacks);
    let attributes = {};
    /** Tells the page of an error: the `error` event, and with `debug: true` the explanation too. */
    const report = (error, uuid) => {
        events._emit('error', uuid ? { error, uuid } : { error });
        if (callbacks.explain)
            callbacks.explain(error);
    };
    const refuse = (error) => {
        report(error);
        return { ok: false, error };
    };
    const subscribe = (add) => (type, handler) => (add ? events._on : events._off)(type, handler) ? { ok: true } : refuse(usage(add ? 'on' : 'off'));
    // `on`, `off` and `set` are the page's commands (the global p13n calls them by name); the rest is the core's own
    const hub = {
        _events: events,
        _report: report,
        _callbacks: callbacks,
        _refuse: refuse,
        _attributes: () => attributes,
        on: subscribe(true),
        off: subscribe(false),
        set(update) {
            if (!isObject(update))
                return refuse(usage('set'));
            const next = merge([attributes, update]);
            for (const key in next)
                if (next[key] === null)
                    delete next[key];
            attributes = next;
            return { ok: true };
        },
        _clear: () => void (attributes = {}),
    };
    return hub;
}

/**
 * The one place that touches cookies, for the core and the early snippet alike: the snippet writes a new visitor's
 * cookie the moment it sends the first page view (td-js-sdk, should it load next, then finds that id rather than
 * making its own), so both must write the very same cookie. Read as js-cookie 3 reads, and written so that
 * js-cookie, td-js-sdk and this read the same value back, under the name js-cookie (and so earlier versions of the
 * tag) wrote: cookie.test.ts holds them to it. A cookie of an earlier version is read and replaced, never doubled.
 */
/** Cookie `name` as js-cookie's `get` reads it: the first of that name, quotes and %-escapes undone. */
function readCookie(name) {
    for (const pair of document.cookie.split('; ')) {
        const parts = pair.split('=');
        let value = parts.slice(1).join('=');
        try {
            if (decodeURIComponent(parts[0]) != name)
                continue;
            if (value[0] == '"')
                value = value.slice(1, -1);
            return value.replace(/(%[\dA-F]{2})+/gi, decodeURIComponent);
        }
        catch { } // a malformed escape: js-cookie skips that cookie too
    }
    return undefined;
}
/**
 * Writes cookie `name` on path `/` as js-cookie's `set` writes it, `SameSite=Lax`, `Secure` on https: for `days`
 * (a session cookie without; a negative number removes it), on `domain` (host-only without). Every attribute is a
 * parameter, never an object a polluted `Object.prototype` could add keys to.
 */
function writeCookie(name, value, domain, days) {
    document.cookie =
        // the name's characters as js-cookie writes them (config allows only a cookie name's: `(` and `)` never come),
        // else a name such as `my+id` would be another cookie than an earlier version wrote; any value reads back alike
        encodeURIComponent(name).replace(/%(2[346B]|5E|60|7C)/g, decodeURIComponent) +
            '=' +
            encodeURIComponent(value) +
            '; path=/; SameSite=Lax' +
            (location.protocol == 'https:' ? '; Secure' : '') +
            (days ? '; expires=' + new Date(Date.now() + days * 864e5).toUTCString() : '') +
            (domain ? '; domain=' + domain : '');
}
/** Where the registrable domain found is kept: localStorage is per origin, so this is per host. */
const DOMAIN_KEY = 'p13n:domain';
/** localStorage's get, set or remove of DOMAIN_KEY; undefined where storage throws (the probe then runs). */
function storage(method, value) {
    try {
        return localStorage[method](DOMAIN_KEY, value) || undefined;
    }
    catch {
        return undefined;
    }
}
/** The stored domain when it is this host or a parent of it on a label boundary: not one left by another site. */
const remembered = () => {
    const domain = storage('getItem');
    const host = location.hostname;
    return domain && (host == domain || host.slice(-domain.length - 1) == '.' + domain) ? domain : undefined;
};
/**
 * The highest domain that accepts a cookie, found by trial writes from the top label down as td-js-sdk does
 * (`test` and `co.jp` are refused as public suffixes, `shop.test` is kept), and remembered: Firefox logs each
 * refused trial write to the console, so a browser probes a host once. Undefined on IP addresses and where no
 * write sticks: the cookie is then host-only, and nothing is remembered.
 */
function registrableDomain() {
    const host = location.hostname;
    if (/^[\d.]+$|:/.test(host))
        return;
    const probe = '_p13n_probe';
    const value = '' + Math.random();
    const labels = host.split('.');
    for (let i = labels.length; i--;) {
        const domain = labels.slice(i).join('.');
        writeCookie(probe, value, domain);
        if (readCookie(probe) == value) {
            writeCookie(probe, '', domain, -1);
            storage('setItem', domain);
            return domain;
        }
    }
    // a remembered domain that no longer takes the cookie is forgotten too
    return storage('removeItem');
}
/**
 * Writes cookie `name` for `days` on `domain`, or else on the registrable domain (an earlier page's, tried once, so
 * a returning visitor's page view writes one cookie; else probed). Returns the domain used, for the next write.
 */
function storeCookie(name, value, days, domain) {
    if (!domain) {
        domain = remembered();
        if (domain && (writeCookie(name, value, domain, days), readCookie(name) == value))
            return domain;
        domain = registrableDomain();
    }
    writeCookie(name, value, domain, days);
    return domain;
}
/** Removes cookie `name` for the host, `domain` and each parent domain, writing none: no probe, under a refusal. */
function removeCookie(name, domain) {
    const labels = location.hostname.split('.');
    const remove = (domain) => writeCookie(name, '', domain, -1);
    storage('removeItem');
    remove();
    if (domain)
        remove(domain);
    for (let i = labels.length - 1; i--;)
        remove(labels.slice(i).join('.'));
}

/** Bytes an event may have: what one keepalive request can carry (64 KiB a page), less room for headers. */
const MAX_EVENT_BYTES = 60 * 1024;
/** A v4 UUID from `crypto.getRandomValues`: plain-http pages have no `crypto.randomUUID`. */
const uuid = () => '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16));
/**
 * One request's body: the visitor, the page as it was, the moment, a fresh uuid, then `layers` (the config's
 * attributes, the page's; later ones win). Returns its uuid and its JSON, or why there is none. A uuid of the
 * page's own (an order id, say) is the event's idempotency key. The core and the early snippet both build their
 * page views here, so the snippet sends the very body the core would.
 */
function buildEvent(clientId, context, time, layers) {
    let id = uuid();
    let body;
    try {
        const event = merge([{ td_client_id: clientId }, context, { time: Math.floor(time / 1000), uuid: id }, ...layers]);
        if (isString(event.uuid) && event.uuid)
            id = event.uuid;
        else
            event.uuid = id;
        body = toJSON(event);
    }
    catch (thrown) {
        body = problem('invalid_event', 'the event could not be built: ' + reason(thrown));
    }
    const size = isString(body) ? new TextEncoder().encode(body).length : 0;
    return [id, size > MAX_EVENT_BYTES ? problem('too_large', `the event is ${size} bytes of JSON; at most ${MAX_EVENT_BYTES} fit`) : body];
}

/** The cookie's id, or undefined where there is none (td-js-sdk treats the literal 'undefined' and NUL as none). */
function cookieId(settings) {
    try {
        const stored = settings.cookie ? readCookie(settings.cookie.name) : undefined;
        return stored && stored != 'undefined' && stored.indexOf('\0') < 0 ? stored : undefined;
    }
    catch {
        return undefined; // document.cookie throws in sandboxed frames: the id then lives in memory
    }
}
/**
 * The visitor's `td_client_id`, written to the cookie once consent allows; `initial` is the one the early snippet
 * sent the first page view with. The cookie is the one td-js-sdk uses, and whoever writes it first names the
 * visitor: td-js-sdk reads it once, as it loads, and writes its own id when it finds none. So this one follows the
 * cookie: when what it reads as has changed since this last looked (another script wrote a new id there), that id
 * is the visitor's from then on, rather than written over (which would split one page's events between two ids).
 */
function createIdentity(settings, initial) {
    const { cookie } = settings;
    let domain = cookie ? cookie.domain : undefined; // where the cookie goes: the config's, or the one found  // the cookie's id as last read, or as the snippet left it: a change of it is another script's write
    let seen = initial || cookieId(settings);
    let id = settings.clientId || seen || uuid();
    const get = () => {
        const now = settings.clientId ? seen : cookieId(settings);
        // what the cookie reads as has changed: an id there is another script's, and the visitor's from now on (a
        // cookie gone leaves the id as it is)
        if (now != seen && (seen = now))
            id = now;
        return id;
    };
    /** Writes the id with a fresh expiry: once per page view. Where cookies are blocked it lives in memory only. */
    const save = () => {
        try {
            if (cookie)
                domain = storeCookie(cookie.name, get(), cookie.expires, domain);
            // what the cookie reads as now: its first `_td`, which may be an older host-only one this write did not replace
            seen = cookieId(settings);
        }
        catch { }
    };
    return {
        get,
        _save: save,
        /** A new id (a logout); written to the cookie with `store`, kept in memory only without consent. */
        _reset(store) {
            get();
            id = uuid();
            if (store)
                save();
        },
        /** Consent refused: the cookie goes, and the id too, so a later consent starts with a new one. */
        _forget() {
            id = uuid();
            seen = undefined;
            try {
                if (cookie)
                    removeCookie(cookie.name, domain);
            }
            catch { }
        },
    };
}

const MODULES = {
    delivery: () => import('./p13n-delivery.mjs'),
    spa: () => import('./p13n-spa.mjs'),
    debug: () => import('./p13n-debug.mjs'),
    messages: () => import('./p13n-messages.mjs'),
    purify: () => import('./p13n-purify.mjs'),
    measure: () => import('./p13n-measure.mjs'),
    cache: () => import('./p13n-cache.mjs'),
    tcf: () => import('./p13n-tcf.mjs'),
};
/** Loads module `name` (a nonce and a hash are the bundler's and the page's business here). */
const load = (name, _nonce, _hash) => MODULES[name]().then((module) => module.default);

const SLOT = '[data-p13n-offer]';
/** A region whose slots the tag leaves alone: a client framework renders it, and would find markup it did not write. */
const APP = '[data-p13n-app]';
const FIELD = '[data-p13n-attr],[data-p13n-attr-href],[data-p13n-attr-src]';
/** The elements whose `href` or `src` an offer may set: links and media, never a script, frame or object. */
const URL_TARGETS = { href: /^(A|AREA)$/, src: /^(IMG|SOURCE|VIDEO|AUDIO|TRACK)$/ };
const own = (object, key) => {
    const value = own$1(object, key);
    return isObject(value) ? value : undefined;
};
/** An absolute http(s) URL, resolved against the page; `javascript:`, `data:` and the like are refused. */
const webUrl = (value) => {
    try {
        const url = new URL(value, location.href);
        return isString(value) && /^https?:$/.test(url.protocol) ? url.href : undefined;
    }
    catch { }
    return undefined;
};
/**
 * Fills one slot from `offers`, unless a `p13n:render` listener calls `preventDefault()` to render it itself.
 * The slot is shown when its offer came back and hidden when it did not; inside it (not inside a nested slot),
 * `data-p13n-attr` sets text, `data-p13n-attr-href` / `-src` set those attributes to http(s) URLs only. Only
 * `textContent` and `setAttribute` are used, so no offer value is parsed as HTML, and pages enforcing Trusted
 * Types need nothing more. A field whose value is missing or refused keeps what the page put there.
 */
function fill(slot, offers, cached) {
    // a region an app renders (and hydrates) itself: its slots are the app's, through the bindings
    if (slot.closest(APP))
        return;
    const name = slot.getAttribute('data-p13n-offer');
    const offer = own(offers, name);
    const detail = { name, offer, cached: !!cached };
    if (!slot.dispatchEvent(new CustomEvent('p13n:render', { bubbles: true, cancelable: true, detail })))
        return;
    slot.hidden = !offer;
    const attributes = offer && own(offer, 'attributes');
    slot.querySelectorAll(FIELD).forEach((field) => {
        if (field.parentElement.closest(SLOT) != slot)
            return;
        const text = own$1(attributes, field.getAttribute('data-p13n-attr'));
        if (text != null && typeof text != 'object')
            field.textContent = '' + text;
        for (const target in URL_TARGETS) {
            const url = webUrl(own$1(attributes, field.getAttribute('data-p13n-attr-' + target)));
            if (url && URL_TARGETS[target].test(field.tagName))
                field.setAttribute(target, url);
        }
    });
}
/**
 * Rendering without code. `render` fills every slot on the page from `offers`, and from then on a slot added
 * to the page later (a lazy section, a framework's view) or renamed is filled from the latest offers as it
 * comes: one MutationObserver, started by the first render.
 */
function createRenderer() {
    let latest;
    let cached;
    let observer;
    let added; // the messages module's
    // a set: a slot added inside a section added in the same task is in two records, and is filled once
    const changed = (records) => {
        const found = new Set();
        const take = (element) => element.matches(SLOT) && found.add(element);
        records.forEach((record) => {
            if (record.type == 'attributes')
                take(record.target);
            // an added element's slots: itself, and those inside it
            else
                record.addedNodes.forEach((node) => node.nodeType == 1 && (take(node), node.querySelectorAll(SLOT).forEach(take)));
        });
        found.forEach((slot) => slot.isConnected && fill(slot, latest, cached));
        if (added)
            added(records);
    };
    return {
        _render(offers, fromCache) {
            latest = offers;
            cached = fromCache;
            document.querySelectorAll(SLOT).forEach((slot) => fill(slot, offers, fromCache));
            if (!observer) {
                observer = new MutationObserver(changed);
                observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-p13n-offer'] });
            }
        },
        /** Consent withdrawn: every slot filled so far is hidden again, and late slots get nothing personal. */
        _clear() {
            if (observer)
                this._render({});
        },
        /** The observer's batches go to `fn` as well (the messages module's late targets): one observer for the page. */
        _watch(fn) {
            added = fn;
        },
    };
}

/**
 * Puts an answer's offers on the page: the slots, then TD's in-browser content, shown by the messages module that
 * the first answer carrying a message loads; what pre-hiding hid shows once both are in.
 */
function createPresenter(settings, prehide, report) {
    const renderer = createRenderer();
    let messages; // the messages module loading, or in
    /**
     * TD's in-browser content of `offers` (a page view's when `isView`). Every answer goes to the module once it
     * is in, so a route without the message restores what it replaced. Settles once shown; undefined when there is
     * nothing to show.
     */
    function showMessages(offers, isView) {
        // written by the tag's own JSON writer, which no Array.prototype.toJSON of the page's bends or breaks; a value
        // that merely mentions the key loads the module for nothing, harmlessly: this check is every page's to pay
        if (settings.messages === false || !(messages || ('' + toJSON(offers)).indexOf(MESSAGE_KEY) >= 0))
            return;
        messages =
            messages ||
                load('messages', settings.nonce).then((create) => create({ watch: renderer._watch, purify: (hash) => load('purify', settings.nonce), report }), 
                // as with spa, tried again by the next page
                (why) => report(problem('module', why)));
        return messages.then((module) => module && module.show(offers, isView));
    }
    return {
        /**
         * Renders `offers`. The messages' targets stay hidden until they are filled (`prehideTimeout` still bounding
         * it), and then show unless `latest()` says a newer page view has hidden them again meanwhile.
         */
        _present(offers, isView, latest, cached) {
            try {
                renderer._render(offers, cached);
            }
            catch { } // a page's odd DOM must not cost it the offers
            const showing = showMessages(offers, isView);
            if (showing)
                showing.then(() => latest() && prehide._reveal());
            else
                prehide._reveal();
        },
        /** Consent refused: every slot and message shown so far is taken back. */
        _clear() {
            renderer._clear();
            if (messages)
                messages.then((module) => module && module.clear());
        },
    };
}

/** At most this many retries after the first attempt. */
const RETRIES = 2;
const failure = (code, message, retryable, status, wait) => 
// the API's own messages pass through as they are; the tag's say where they come from
({ ok: false, error: { code, message: (isString(code) ? 'p13n: ' : '') + message, status, retryable }, wait });
/** The longest wait a `Retry-After` may ask for: a day. A larger (or infinite) one is a server's mistake. */
const MAX_RETRY_AFTER = 864e5;
/** Milliseconds a `Retry-After` header asks for: delta-seconds or an HTTP date, at most MAX_RETRY_AFTER. */
function retryAfter(header) {
    const seconds = header ? +header : 0;
    return Math.min(MAX_RETRY_AFTER, seconds >= 0 ? seconds * 1000 : Math.max(0, Date.parse(header) - Date.now()) || 0);
}
/** Exponential with jitter: attempt 0 waits 125-250 ms, attempt 1 waits 250-500 ms. */
const backoff = (attempt) => 250 * 2 ** attempt * (0.5 + Math.random() / 2);
/** What a response means, following the contract's table. Only own properties of the body are read. */
function readReply(status, text, retryAfterHeader = null) {
    let data;
    try {
        data = text.trim() ? JSON.parse(text) : {};
    }
    catch { }
    const read = (key) => own$1(data, key);
    const sent = read('offers');
    // only a missing or null `offers` means none (`??`, which TypeScript writes out at length for ES2019)
    const offers = sent == null ? {} : sent;
    if (status > 199 && status < 300) {
        return isObject(data) && isObject(offers)
            ? { ok: true, status, offers }
            : failure('parse', 'the response is not {"offers":{...}}', false, status);
    }
    const code = read('code');
    const message = read('message');
    const numeric = typeof code == 'number';
    // 3xxx: the token or the event is wrong, so sending it again cannot help
    const retryable = (status == 429 || status > 499) && !(numeric && code > 2999 && code < 4000);
    return numeric
        ? failure(code, isString(message) ? message : '', retryable, status, retryAfter(retryAfterHeader))
        : failure('http', 'HTTP ' + status, retryable, status, retryAfter(retryAfterHeader));
}
/**
 * The POST itself, and all of it that the early snippet shares with the core: the snippet sends the first page
 * view with this, the core reads its answer (`post`'s `early`). Never rejects.
 */
function exchange(request, signal) {
    const { url, headers, credentials, body, keepalive } = request;
    // no prototype: fetch reads every option it knows (cache, integrity, priority ...), and a polluted
    // Object.prototype must not supply one
    const init = Object.assign(Object.create(null), { method: 'POST', mode: 'cors', credentials: credentials || 'omit', headers, body, keepalive, signal });
    // fetch may throw rather than reject (a page's own fetch wrapper): the executor makes that a rejection too
    return new Promise((resolve) => resolve(fetch(url, init)))
        .then((response) => response.text().then((text) => [response.status, text, response.headers.get('Retry-After')]))
        .catch(() => 0);
}
/**
 * One POST, or the answer to one the early snippet sent (`early`), bounded by `deadline`, except with keepalive:
 * Chromium goes on with an aborted keepalive request (it belongs to the browser, not the page), so it is left to
 * settle, however long. Never throws.
 */
async function attempt(request, deadline, early) {
    const controller = new AbortController();
    const { signal } = controller;
    // 0 rather than `keepalive || setTimeout(...)`: clearTimeout(true) is clearTimeout(1), which cancels the page's
    // first timer
    const timer = request.keepalive ? 0 : setTimeout(() => controller.abort(), deadline - Date.now());
    // the snippet's request has no signal of ours: the deadline cuts the wait for it instead
    const answer = await (early ? Promise.race([early, new Promise((resolve) => signal.addEventListener('abort', () => resolve(0)))]) : exchange(request, signal));
    clearTimeout(timer);
    // arrows as escapes: the source and the bundle stay ASCII, whatever charset a CDN serves them with
    if (request.log)
        request.log('\u2190', answer ? answer[0] : 'no response', answer ? answer[1] : '');
    return answer
        ? readReply(...answer)
        : signal.aborted
            ? failure('timeout', `no answer within ${request.timeout} ms`, true)
            : failure('network', 'no response from ' + request.url, true);
}
/**
 * A `track` event's one attempt: keepalive, so it outlives the page; no timeout, since a keepalive request goes on
 * whatever the page does and is waited for, never doubled; no retries, which the outbox makes later.
 */
const keepalive = (settings, body, log) => 
// the settings' url, headers and credentials: of a request's other options, they hold only the timeout, set here
post({ ...settings, body, timeout: 0, keepalive: true, retries: 0, log });
/**
 * POST with retries: a retryable failure is tried again at most `RETRIES` times, after a backoff or the
 * `Retry-After` the server asked for, whichever is longer, and only while the deadline allows. When attempts
 * or time run out, the last real error is reported rather than a generic timeout. With `early`, the first attempt
 * is the one the early snippet made: its answer is awaited, not sent again.
 */
async function post(options, early) {
    // own properties only: an option the caller left out is not taken from a polluted Object.prototype
    const request = { keepalive: false, retries: RETRIES, log: undefined, ...options };
    const deadline = Date.now() + request.timeout;
    let last;
    for (let tries = 0;; tries++) {
        const reply = await attempt(request, deadline, tries ? undefined : early);
        if (reply.ok)
            return reply;
        if (reply.error.code == 'timeout')
            return last || reply;
        const wait = Math.max(backoff(tries), reply.wait || 0);
        if (!reply.error.retryable || tries == request.retries || Date.now() + wait >= deadline)
            return reply;
        last = reply;
        await new Promise((resolve) => setTimeout(resolve, wait));
    }
}

/**
 * A number in [0, 1) drawn from `text`, the same in every browser, on every page and in every version: FNV-1a's
 * 32 bits. The holdout draws from the visitor's `td_client_id` (the id td-js-sdk sees too), so a visitor stays in
 * one group: `holdout` when the draw is below the share held out; an offer's own holdout draws from the id and the
 * offer's name.
 */
function fraction(text) {
    let hash = 2166136261;
    for (let i = 0; i < text.length; i++)
        hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
    return (hash >>> 0) / 2 ** 32;
}

// masks the 40-hex key and the 32-hex token secret in anything logged
const mask = (text) => text.replace(/[0-9a-f]{32,}/gi, '****');
/**
 * The page view the early snippet sent for this client's config, made safe to use: its answer awaited safely
 * whatever a page may have put there. Undefined when there is none to take over.
 */
function takeOver(early) {
    try {
        if (!early || !isString(early.b) || !isString(early.i))
            return;
        const taken = JSON.parse(early.b);
        taken._body = early.b;
        taken._id = early.i;
        taken._answer = resolved(early.r).then((reply) => (Array.isArray(reply) ? reply : 0), () => 0);
        return taken;
    }
    catch {
        return; // not the snippet's: no page view to take over
    }
}
/**
 * The life of a page view, and of every `personalize` and `track`: built when called (the page and time it
 * happened on), held while consent is pending and until the calls made before it are on their way, sent (the
 * early snippet's page view taken over rather than sent again), answered, and, when it is still the latest page
 * view, rendered and cached; `p13n:offers` last, so its handlers see the page as rendered.
 */
function createPageViews(settings, hub, identity, consent, prehide, tracker, log, taken) {
    const presenter = createPresenter(settings, prehide, hub._report);
    const { _events: events, _report: report } = hub;
    // settles once the last call's request is on its way: calls reach fetch in the order they were made, so a
    // track (stored first) is sent before a personalize made after it
    let line = resolved(0);
    let measuring; // the measure module loading, or in
    let caching; // the cache module loading, or in
    let views = 0; // page views started
    let shown = 0; // the latest page view whose answer is in
    let fresh = 0; // the latest page view whose answer's offers are on the page
    const latest = () => shown == views;
    const fail = (error, id) => {
        report(error, id);
        return { ok: false, error, offers: {}, uuid: id };
    };
    /**
     * A page view: the offers cached for its path, if any, rendered at once, and its request. A route's view is
     * built as it settles and sent once the route has its title (`titled`), with that title.
     */
    function view(referrer, titled) {
        const current = ++views;
        // the early snippet's page view is of the page it saw, though an app may have moved since
        const path = taken ? taken.td_path : location.pathname;
        if (consent.get() == 'granted')
            cache((stored) => {
                const cached = stored.get(path);
                // shown as soon as the cache module is in, unless the fresh offers came first (a failed answer leaves it), or
                // a newer page view began
                if (cached && fresh < current && current == views) {
                    shown = current;
                    given(cached.offers, cached.uuid, true).then(([offers, holdout]) => {
                        presenter._present(offers, true, latest, true);
                        emit(offers, cached.uuid, cached.status, holdout, true);
                    });
                }
            });
        const page = { current, path, referrer };
        if (!titled)
            return request(undefined, false, page);
        const context = pageContext();
        return titled.then(() => request(undefined, false, page, ((context.td_title = document.title), context)));
    }
    /** One request, once consent allows it and the calls made before it are on their way. */
    async function request(extra, track, page, context = pageContext(), time = Date.now()) {
        if (extra != null && !isObject(extra))
            return fail(problem('invalid_event', (track ? 'track' : 'personalize') + ': attributes are not an object'));
        // the first page view, when the early snippet sent it: its very body, and its answer
        const early = page && taken;
        if (early)
            taken = undefined;
        const visitor = identity.get();
        // the layers of the event, later ones winning; with a holdout the visitor's group, which no attribute overrides
        const layers = (id) => [
            page && page.referrer != null ? { td_referrer: page.referrer } : null,
            settings.attributes,
            hub._attributes(),
            track && settings.measure ? exposures() : null,
            extra,
            settings.holdout ? { p13n_group: fraction(id) < settings.holdout ? 'holdout' : 'treated' } : null,
        ];
        let [id, body] = early ? [early.uuid, early._body] : buildEvent(visitor, context, time, layers(visitor));
        if (!isString(body))
            return fail(body, id);
        // built when called, sent when allowed: a held event keeps its time and the page it happened on
        const turn = line;
        let out;
        line = new Promise((resolve) => (out = resolve));
        const decision = await consent.allowed();
        await turn;
        if (decision != 'granted') {
            out();
            return fail(decision == 'dropped' ? problem('dropped', `more than ${MAX_HELD} calls waited for consent`) : problem('consent', 'consent is denied'), id);
        }
        // held for consent while td-js-sdk named the visitor in the cookie: the event goes with the id the cookie has now
        const now = identity.get();
        const named = early || now == visitor ? body : buildEvent(now, context, time, layers(now).concat({ uuid: id }))[1];
        if (isString(named))
            body = named;
        if (log)
            log('\u2192 POST', settings.url, mask(JSON.stringify(settings.headers)), JSON.parse(body));
        // the settings as the request: their url, headers, credentials and timeout (no config key is another request option)
        const sending = track ? tracker._send(id, body, out) : post({ ...settings, body, log }, early ? early._answer : undefined);
        // fetch was called (a track: stored, and sent or waiting its turn): the next call may go
        if (!track)
            out();
        const reply = await sending.finally(out);
        // a visitor who said no while it was out gets nothing personal from it: nothing shown, nothing cached
        const allowed = consent.get() != 'denied';
        let [offers, holdout] = [reply.ok ? reply.offers : {}];
        if (reply.ok && allowed && !track)
            [offers, holdout] = await given(offers, id, !!page);
        // an answer to a page view that a newer one has overtaken would show the wrong page's offers
        if (!track && (!page || page.current == views)) {
            shown = views;
            // slots first, so handlers of p13n:offers see the page as rendered
            if (reply.ok && allowed) {
                fresh = views;
                presenter._present(offers, !!page, latest);
            }
            else
                prehide._reveal();
        }
        if (!reply.ok)
            return fail(reply.error, id);
        const { status } = reply;
        if (track)
            return { ok: true, status, offers: {}, uuid: id };
        if (page && allowed)
            cache((stored) => stored.put(page.path, { offers: reply.offers, status, uuid: id }));
        emit(offers, id, status, holdout);
        return { ok: true, status, offers, uuid: id, holdout };
    }
    /** `p13n:offers`, and the config's and the handlers' callbacks (`cached`, `holdout`: undefined unless so). */
    const emit = (offers, uuid, status, holdout, cached) => events._emit('offers', { offers, names: Object.keys(offers), uuid, status, cached, holdout });
    /**
     * What the page is given of an answer's `offers` (the request's `uuid`, a page view's when `view`), with `true`
     * when a holdout withheld offers: what the measure module leaves (nothing in the control group, whose places keep
     * what they show by default; an offer's own holdout and its frequency cap taken out). The module, loaded by the
     * first answer when measuring or holding out, watches what is shown from then on. Should it not load, the page is
     * given the answer as it is (the `module` error says so).
     */
    async function given(offers, uuid, view) {
        if (!settings.measure && !settings.holdout)
            return [offers];
        measuring =
            measuring ||
                load('measure', settings.nonce).then((create) => create({ request, clientId: identity.get, fraction }, settings), (why) => report(problem('module', why)));
        const module = await measuring;
        return module ? module.answer(offers, uuid, view) : [offers];
    }
    /** Runs `then` with the offer cache once its module is in, when the config asks for one (`cache: { ttl }`). */
    function cache(then) {
        if (!settings.cache)
            return;
        caching =
            caching ||
                load('cache', settings.nonce).then((create) => create(settings, { toJSON }), (why) => report(problem('module', why)));
        caching.then((stored) => stored && then(stored));
    }
    /** The offers this visitor saw within `attribution` days, most recent first, as the measure module keeps them. */
    function exposures() {
        let names;
        try {
            names = JSON.parse(localStorage['p13n:seen:' + settings.url]).filter((seen) => seen[1] > Date.now()).map((seen) => seen[0]);
        }
        catch { } // none kept, or storage refused
        return names && names[0] ? { p13n_exposures: names } : null;
    }
    return {
        _view: view,
        _request: request,
        _fail: fail,
        /** Whether every page view begun has its answer in: nothing is hidden waiting for one. */
        _latest: latest,
        /** Whether a page view has begun on this page. */
        _begun: () => views > 0,
        /** Consent refused (`denied`), or a new visitor (a reset): nothing personal of the last one stays. */
        _forget(denied) {
            cache((stored) => stored.clear());
            if (denied)
                presenter._clear();
            if (denied && measuring)
                measuring.then((module) => module && module.clear());
        },
    };
}

/** The one style element pre-hiding uses; the snippet may add it first, so hiding starts before the bundle. */
const PREHIDE_ID = 'p13n-prehide';
/**
 * Pre-hiding: `selector` is hidden (`visibility`, so the layout is kept and nothing shifts when it shows) from
 * now until `reveal` is called, at most `timeout` ms. Only the elements named are hidden, never the whole page.
 * A style element the snippet already added is adopted, so its rule holds until the answer is in; `nonce` lets
 * the one this adds pass a CSP without `'unsafe-inline'` styles. Calling it again (a route change) hides again.
 */
function createPrehide(selector, timeout, nonce) {
    let timer;
    const reveal = () => {
        clearTimeout(timer);
        const style = document.getElementById(PREHIDE_ID);
        if (style)
            style.remove();
    };
    const hide = () => {
        let style = document.getElementById(PREHIDE_ID);
        if (!style && selector) {
            style = document.createElement('style');
            style.id = PREHIDE_ID;
            if (nonce)
                style.setAttribute('nonce', nonce);
            style.textContent = selector + '{visibility:hidden!important}';
            (document.head || document.documentElement).appendChild(style);
        }
        clearTimeout(timer);
        if (style)
            timer = setTimeout(reveal, timeout);
    };
    return { _hide: hide, _reveal: reveal };
}

/**
 * The core's side of `track`. Delivery (the outbox, retries, the tabs' shared claims) is a module, loaded by the
 * first `track`, or by `resume` when storage holds events an earlier page left. A `track` made before it is in is
 * stored in the outbox, in its format, and sent at once with keepalive all the same, since the page may be left
 * that instant; the module then follows that request to its end. Should the module never come, a delivered event
 * leaves storage, a failed one stays for the next page, and a page left with one out counts it delivered unless
 * it is offline or slow, or an event waits after a failed attempt, as the module does.
 */
function createTracker(settings, report, log) {
    const key = outboxKey(settings);
    let delivery;
    let loading;
    const early = new Map(); // events this core sent itself, still out -> when
    const unsent = new Set(); // events it stored for the module to send
    /**
     * The outbox in storage: the records, `key#id`, and a list an earlier version left under `key`. The seam's
     * `ofOutbox` and `recordKey`, written out here: through them the core every page loads is 18 bytes larger.
     */
    const stored = () => Object.keys(localStorage).filter((name) => name.split('#')[0] == key);
    /** Stores an event as the delivery module does, one record, at once: the page may be gone before a lock is granted. */
    const put = (entry, gone) => {
        try {
            if (gone)
                localStorage.removeItem(key + '#' + entry.id);
            else
                localStorage.setItem(key + '#' + entry.id, toJSON(entry));
        }
        catch { } // storage refused: the request is out all the same
    };
    const start = () => (loading =
        loading ||
            load('delivery', settings.nonce).then((create) => (delivery = create({ keepalive, failure }, settings, report, log)), (why) => {
                // tried again by the next track, and on the next page
                loading = undefined;
                report(problem('module', why));
            }));
    /**
     * The page is left before the module came: what is out counts delivered (unless offline, slow, or the service
     * was failing when an earlier page last tried), and what waited for the module is free for the next page to
     * send at once. Through a first-party proxy (no key in the page) nothing out counts delivered, and every claim
     * is let go: all goes to the next page at once, since the proxy answers a second arrival of a uuid without
     * forwarding it.
     */
    const leave = () => {
        if (delivery)
            return;
        const now = Date.now();
        const proxied = !settings.headers.Authorization;
        let trusted = !proxied && navigator.onLine;
        early.forEach((since) => (trusted = trusted && now - since < SLOW_MS));
        try {
            // an event waiting after a failed attempt: an earlier page saw the service fail, and none since saw it well
            for (const name of stored())
                trusted = trusted && !JSON.parse(localStorage[name]).tries;
        }
        catch {
            trusted = false;
        }
        unsent.forEach((entry) => put(((entry.lease = 0), entry)));
        // out and trusted: delivered; out and not, claimed until the lease lapses (it may yet arrive), but for the proxy
        early.forEach((_, entry) => (trusted ? put(entry, 1) : proxied && put(((entry.lease = 0), entry))));
    };
    /** Events earlier pages left are sent once the page's own start is done (consent granted). */
    function resume() {
        let waiting;
        try {
            waiting = stored()[0];
        }
        catch { }
        if (!waiting || delivery)
            return;
        // in idle time where the browser has it (Safari has not), else in the next task
        if ('requestIdleCallback' in self)
            requestIdleCallback(start, { timeout: 1000 });
        else
            setTimeout(start, 1);
    }
    return {
        /** Stores and sends one event; the answer is its outcome, or a timeout while it is still being tried. */
        _send(id, body, queued) {
            let sent;
            if (delivery)
                sent = delivery.send(id, body, queued);
            else {
                const entry = { id, body, tries: 0, next: 0, lease: Date.now() + LEASE_MS };
                // one keepalive request at a time until the module is in: every keepalive request of a page shares 64 KiB
                const sending = early.size ? undefined : keepalive(settings, body, log);
                put(entry);
                addEventListener('pagehide', leave);
                // stored: the calls made after it may go, and be stored too, should the page be left this instant
                queued();
                if (sending)
                    early.set(entry, Date.now());
                else
                    unsent.add(entry);
                const settle = (reply) => {
                    early.delete(entry);
                    unsent.delete(entry);
                    // delivered, or refused for good: out of storage; failed for now: free for the next page to claim, and
                    // counted, so that a page left with a request out knows the service was failing (see leave)
                    entry.lease = 0;
                    if (sending)
                        entry.tries++;
                    put(entry, reply.ok || !reply.error.retryable);
                    return reply;
                };
                const later = failure('module', 'stored: the next page sends it', true);
                sent = start().then(() => {
                    if (!delivery)
                        return (sending || resolved(later)).then(settle);
                    early.delete(entry);
                    unsent.delete(entry);
                    return delivery.adopt(entry, sending);
                });
            }
            // the caller hears within its timeout; the event stays in flight, or queued, until it settles
            const late = failure('timeout', `not confirmed within ${settings.timeout} ms; still trying`, true);
            return Promise.race([sent, new Promise((resolve) => setTimeout(resolve, settings.timeout, late))]);
        },
        _resume: resume,
        /** Consent refused: nothing more goes out, and nothing stays stored. */
        _clear() {
            early.clear();
            unsent.clear();
            if (delivery)
                return void delivery.clear();
            try {
                stored().map((name) => localStorage.removeItem(name));
            }
            catch { }
        },
    };
}

/**
 * A personalization client for one database/table. Nothing is sent until the config is checked; the checks,
 * `p13n:ready` and the first page view run a microtask later, so handlers added right after this returns
 * see them.
 */
const createClient = (config) => openClient(config, createHub())[0];
/**
 * A client sharing `hub` (the handlers and attributes of the page's commands), and whether its config passed the
 * checks: known at once, for the global `p13n` to decide between inits. `early` is the first page view the early
 * snippet sent for this very config: the client takes it over rather than send its own.
 */
function openClient(config, hub, early) {
    const checked = readConfig(config);
    const valid = !('code' in checked);
    // used only once `valid` says the config passed
    const settings = checked;
    const taken = takeOver(early);
    // the early snippet's visitor id is the one its page view carried (and the cookie got)
    const identity = createIdentity(valid ? settings : { cookie: false }, taken && taken._id);
    const prehide = createPrehide(valid ? settings.prehide : undefined, valid ? settings.prehideTimeout : 0, settings.nonce);
    const log = settings.debug ? (...data) => console.log('p13n', ...data) : undefined;
    const tracker = createTracker(settings, hub._report, log);
    const gpc = valid && gpcRefuses(settings);
    // 'tcf' (a CMP to read) counts as pending until the tcf module hears it (createConsent)
    const consent = createConsent(gpc ? 'denied' : settings.consent);
    const pageviews = createPageViews(settings, hub, identity, consent, prehide, tracker, log, taken);
    let routes; // the spa module loading, or in
    let watch; // route changes on or off, once it is in
    let routing = false; // the latest spa(on)
    // routes are watched from the page the first page view was of: a route an app took before the core came counts
    const firstUrl = taken && taken.td_url;
    if (own$1(config, 'debug') === true) {
        load('debug', settings.nonce).then((explain) => {
            hub._callbacks.explain = explain;
            if (!valid)
                explain(checked);
        }, () => { }); // without it, the short messages stand
    }
    // hidden from the moment the tag runs; an invalid config shows at once what the snippet hid
    prehide._hide();
    if (!valid)
        prehide._reveal();
    /** Consent decided: sends or drops what was held, in call order, and keeps no trace of a visitor who said no. */
    function decide(decision) {
        const was = consent.set(decision);
        if (decision == 'granted') {
            identity._save();
            tracker._resume();
            // the page view held (or refused) until now is on its way: hide what its answer fills, so no default flashes
            if (!pageviews._latest())
                prehide._hide();
            // a visitor who said no, then yes: this page's view was refused, so it goes now
            if (was == 'denied' && pageviews._begun())
                pageviews._view();
        }
        else if (decision == 'denied') {
            identity._forget();
            tracker._clear();
            pageviews._forget(true);
            prehide._reveal();
        }
    }
    const started = resolved(0).then(() => {
        if (!valid) {
            console.error(checked.message);
            return hub._refuse(checked);
        }
        hub._callbacks.onOffers = settings.onOffers;
        hub._callbacks.onError = settings.onError;
        decide(consent.get());
        // not with Global Privacy Control honoured: consent is denied then, whatever a CMP says
        if (consent.get() == 'tcf')
            load('tcf', settings.nonce).then((read) => read(settings.tcf, decide, hub._report), (why) => (hub._report(problem('module', why)), decide('denied')));
        hub._events._emit('ready', { clientId: consent.get() == 'granted' ? identity.get() : undefined });
        return { ok: true };
    });
    // registered first, so the page view goes out before calls made right after createClient
    started.then((outcome) => {
        if (!outcome.ok)
            return;
        if (settings.pageview)
            pageviews._view();
        if (settings.spa)
            spa(true);
    });
    const send = (extra, track) => {
        // the page as it is now: a single-page app often changes route right after a call
        const context = pageContext();
        const time = Date.now();
        return started.then((outcome) => (outcome.ok ? pageviews._request(extra, track, undefined, context, time) : pageviews._fail(outcome.error)));
    };
    /**
     * Route-change page views on or off; the module that watches routes loads the first time they are on. Settles
     * once they are watched (or the module failed to load, an error event).
     */
    function spa(on) {
        routing = on;
        // a route change hides again what the last route's answer showed, until this route's answer is in; a route
        // left and come back to at once shows it again
        const move = (moving) => (moving ? consent.get() != 'denied' && prehide._hide() : pageviews._latest() && prehide._reveal());
        const from = firstUrl || location.href.split('#')[0];
        routes =
            routes ||
                load('spa', settings.nonce).then((watchRoutes) => (watch = watchRoutes(pageviews._view, move, from))(routing), (why) => hub._report(problem('module', why)));
        if (watch)
            watch(on);
        return routes;
    }
    /** Runs `change` once init has succeeded; the outcome of a failed init otherwise. */
    const after = (change) => started.then((outcome) => (outcome.ok ? change() : outcome));
    const client = {
        init: () => started,
        personalize: (extra) => send(extra),
        track: (extra) => send(extra, true),
        set: (update) => resolved(hub.set(update)),
        consent: (decision) => decision !== 'granted' && decision !== 'denied'
            ? resolved(hub._refuse(usage('consent', 'takes granted or denied, not ' + reason(decision))))
            : after(() => {
                // Global Privacy Control, when the site honours it, keeps consent denied
                if (gpc && decision == 'granted')
                    return hub._refuse(usage('consent', 'Global Privacy Control keeps it denied'));
                decide(decision);
                return { ok: true };
            }),
        spa: (on) => (typeof on != 'boolean' ? resolved(hub._refuse(usage('spa'))) : after(() => spa(on).then(() => ({ ok: true })))),
        on: (type, handler) => resolved(hub.on(type, handler)),
        off: (type, handler) => resolved(hub.off(type, handler)),
        clientId: () => started.then((outcome) => (outcome.ok && consent.get() == 'granted' ? identity.get() : undefined)),
        reset: () => after(() => {
            identity._reset(consent.get() == 'granted');
            pageviews._forget();
            hub._clear();
            return { ok: true };
        }),
    };
    return [guard(client, hub._refuse), valid];
}
/**
 * The last line of "no call throws, no promise rejects": whatever hostile input gets past the checks (a revoked
 * Proxy, a getter that throws) becomes a usage error naming the command.
 */
function guard(client, refuse) {
    const safe = {};
    Object.keys(client).forEach((name) => {
        const method = client[name];
        const broken = (error) => refuse(usage(name, 'failed: ' + reason(error)));
        safe[name] = (...args) => {
            try {
                return method(...args).catch(broken);
            }
            catch (error) {
                return resolved(broken(error));
            }
        };
    });
    return safe;
}

export { VERSION, createClient };
