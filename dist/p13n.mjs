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
const isNumber = (min) => (value) => typeof value == 'number' && value >= min && value < Infinity;
const matches = (pattern) => (value) => isString(value) && pattern.test(value);
const NAME = [matches(/^[0-9a-z_]{3,128}$/), '3-128 characters of [0-9a-z_]'];
const BOOLEAN = [is('boolean'), 'true or false'];
const TEXT = [matches(/[^]/), 'a non-empty string'];
const FUNCTION = [is('function'), 'a function'];
const PROXY = ' (omit both apiKey and token only behind a same-origin proxy endpoint)';
/** Every key init knows, with what its value must be; a key not listed here is warned about and ignored. */
const RULES = {
    database: NAME,
    table: NAME,
    apiKey: [matches(/^\d+\/[0-9a-f]{40}$/i), '"{account_id}/{40 hex}"' + PROXY],
    token: [matches(/^\d+\/\d+\/[0-9a-f]{32}$/i), '"{account_id}/{instance_id}/{32 hex}"' + PROXY],
    region: [matches(/^(us01|eu01|ap01|ap03|co\.jp)$/), 'us01, eu01, ap01 (or co.jp) or ap03'],
    endpoint: TEXT,
    cookie: [
        (c) => c === false || (isObject(c) && (own$1(c, 'name') === undefined || matches(/^[\w!#$%&'*+\-.^`|~]+$/)(c.name)) &&
            (own$1(c, 'expires') === undefined || isNumber(1e-9)(c.expires)) && (own$1(c, 'domain') === undefined || TEXT[0](c.domain))),
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
    cache: [(cache) => cache === false || isNumber(1)(own$1(cache, 'ttl')), 'false or { ttl } in seconds, 1 or more'],
    onOffers: FUNCTION,
    onError: FUNCTION,
    debug: BOOLEAN,
};
/** Text for anything thrown: the checks throw strings; page code may throw a Symbol or an object with no toString. */
function reason(problem) {
    try {
        return String(problem);
    }
    catch {
        return 'an unreadable ' + typeof problem;
    }
}
function check(key, value, ok = value === undefined) {
    try {
        ok = ok || RULES[key][0](value);
    }
    catch { } // an invalid selector throws
    if (!ok)
        throw `config.${key} must be ${RULES[key][1]}`;
}
/**
 * Checks `init`'s config against the contract. Returns the settings, or a `config` error whose message names
 * the key and what it must be. Never throws.
 */
function readConfig(input, page = location) {
    try {
        if (!isObject(input))
            throw 'config must be an object: { database, table, apiKey, token }';
        // no prototype: a polluted Object.prototype cannot supply a setting
        const config = Object.assign(Object.create(null), { attributes: {}, pageview: true, timeout: 3000, consent: 'granted', prehideTimeout: 1500 });
        for (const key of Object.keys(input)) {
            if (RULES.hasOwnProperty(key))
                check(key, (config[key] = input[key]));
            else
                console.warn(`p13n: config.${key} is not a setting; ignored`);
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
            if (apiKey.split('/')[0] != token.split('/')[0])
                console.warn('p13n: apiKey and token are of different accounts: the API will answer 3002');
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
    catch (problem) {
        return { code: 'config', message: 'p13n: ' + (isString(problem) ? problem : 'config could not be read: ' + reason(problem)) };
    }
}

/**
 * The page fields td-js-sdk's pageview sends, with the same names and definitions, so one set of
 * personalization rules serves both tags.
 */
function pageContext(version) {
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
        if (typeof v == 'string')
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
            throw 'is circular: an object contains itself; send plain data';
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
    catch (problem) {
        return { code: 'invalid_event', message: 'p13n: the event ' + (typeof problem == 'string' ? problem : 'could not be read: ' + reason(problem)) };
    }
}

/** Bounds: enough for a long outage of a busy page, far below localStorage's quota (about 5 MB per site). */
const MAX_EVENTS = 200;
const MAX_BYTES = 256 * 1024;
/**
 * How long a claim holds unless renewed. A tab renews the claims of the requests it has out (a keepalive
 * request cannot be cancelled, so it is never given up on), so this bounds only how long a claim outlives a tab
 * that was closed or left.
 */
const LEASE_MS = 30000;
/** How long a tab keeps the outbox's lock after its write, for the write to reach the other tabs. */
const SETTLE_MS = 20;
/** UTF-8 bytes: what the bounds and the keepalive quota count. */
const size = (text) => new TextEncoder().encode(text).length;
/** An entry's bytes, encoded once and kept on it, rather than on every change to the outbox. */
const bytes = (entry) => (typeof entry.bytes == 'number' ? entry.bytes : (entry.bytes = size(entry.body)));
const valid = (entry) => !!entry && typeof entry.id == 'string' && typeof entry.body == 'string' && entry.tries >= 0 && entry.next >= 0 && entry.lease >= 0;
/**
 * The events of one endpoint and table, kept in `localStorage` under `key`, or in memory from the first time
 * storage throws (Safari private mode, storage disabled, quota full). Every change is a read-modify-write of
 * the whole list under a Web Lock named `key` where the browser has them (secure pages), so two tabs never
 * claim one event; elsewhere the leases and the single-threaded page keep that window to a few milliseconds.
 */
function createOutbox(key) {
    let memory = [];
    let stored = true;
    const read = () => {
        try {
            const list = stored && JSON.parse(localStorage.getItem(key) || '[]');
            if (Array.isArray(list))
                memory = list.filter(valid);
        }
        catch {
            stored = false;
        }
        return memory;
    };
    const write = (entries) => {
        memory = entries;
        try {
            if (entries.length)
                localStorage.setItem(key, toJSON(entries));
            else
                localStorage.removeItem(key);
        }
        catch {
            stored = false;
        }
    };
    /** `sync` skips the lock and runs at once: for a page being left, whose later tasks may never run. */
    const update = (change, sync) => {
        const run = () => {
            const entries = read();
            const result = change(entries);
            write(entries);
            return result;
        };
        const locks = navigator.locks;
        // Chromium hands a localStorage write to other tabs a moment later: the lock is held until it is theirs
        const settled = () => {
            const result = run();
            return new Promise((resolve) => setTimeout(resolve, SETTLE_MS, result));
        };
        // a lock manager that refuses (a sandboxed frame, say) leaves the page's own ordering to serialize changes
        return sync ? Promise.resolve(run()) : locks ? locks.request(key, settled).catch(run) : Promise.resolve().then(run);
    };
    const find = (entries, id) => entries.filter((entry) => entry.id == id)[0];
    /** Drops the oldest entries beyond the bounds, and returns them. */
    const bound = (entries) => {
        const dropped = [];
        // a loop, not reduce: Prototype.js replaces Array#reduce with one that returns the array
        let total = 0;
        for (const entry of entries)
            total += bytes(entry);
        while (entries.length > MAX_EVENTS || (entries.length && total > MAX_BYTES)) {
            const oldest = entries.shift();
            total -= bytes(oldest);
            dropped.push(oldest);
        }
        return dropped;
    };
    return {
        /** Stores a new entry; returns those dropped, oldest first, to stay within the bounds. */
        add: (entry) => update((entries) => (entries.push(entry), bound(entries))),
        /**
         * Claims, in order, at most `count` entries that are due, not claimed by a live tab, and whose bytes fit
         * `room`; renews the claims on `mine` (this tab's requests still out). With `sync`, at once, and removes
         * what it claims: a page being left hands it to keepalive.
         */
        claim: (now, room, count = Infinity, sync, mine = []) => update((entries) => {
            const claimed = entries.filter((entry) => {
                // renewed only while still claimed: `mine` may be a moment old, and a retry frees the claim
                if (mine.indexOf(entry.id) >= 0 && entry.lease > now)
                    return !(entry.lease = now + LEASE_MS);
                const due = count > 0 && entry.next <= now && entry.lease <= now && bytes(entry) <= room;
                if (due) {
                    count--;
                    room -= bytes(entry);
                    entry.lease = now + LEASE_MS;
                }
                return due;
            });
            if (sync)
                claimed.forEach((entry) => entries.splice(entries.indexOf(entry), 1));
            return claimed;
        }, sync),
        /** Delivered, refused for good, or handed to keepalive as the page goes: gone. */
        remove: (ids, sync) => update((entries) => {
            for (const id of ids) {
                const at = entries.indexOf(find(entries, id));
                if (at >= 0)
                    entries.splice(at, 1);
            }
        }, sync),
        /** Claimed but never sent (the page is being left): free for the next page at once. */
        release: (ids, sync) => update((entries) => {
            for (const id of ids) {
                const entry = find(entries, id);
                if (entry)
                    entry.lease = 0;
            }
        }, sync),
        /**
         * Failed for now: free to be claimed again from `next` on. `back` puts it back if it is gone, which only an
         * event handed over as the page was hidden may be (one dropped meanwhile stays dropped); returns what that
         * drops to stay within the bounds.
         */
        retry: (failed, next, back) => update((entries) => {
            const entry = find(entries, failed.id) || (back ? (entries.unshift(failed), failed) : undefined);
            if (entry) {
                entry.tries++;
                entry.next = next;
                entry.lease = 0;
            }
            return bound(entries);
        }),
        /** Every entry, for the earliest next attempt; `due` makes all of them due now (the network is back). */
        list: (due) => update((entries) => (due && entries.forEach((entry) => (entry.next = 0)), entries.slice())),
        clear: () => update((entries) => void entries.splice(0)),
    };
}

/** At most this many retries after the first attempt. */
const RETRIES = 2;
const failure = (code, message, status, retryable, wait) => 
// the API's own messages pass through as they are; the tag's say where they come from
({ ok: false, error: { code, message: (typeof code == 'string' ? 'p13n: ' : '') + message, status, retryable }, wait });
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
    var _a;
    let data;
    try {
        data = text.trim() ? JSON.parse(text) : {};
    }
    catch { }
    const read = (key) => own$1(data, key);
    const offers = (_a = read('offers')) !== null && _a !== void 0 ? _a : {};
    if (status > 199 && status < 300) {
        return isObject(data) && isObject(offers)
            ? { ok: true, status, offers }
            : failure('parse', 'the response is not JSON like {"offers": {...}}', status, false);
    }
    const code = read('code');
    const message = read('message');
    const numeric = typeof code == 'number';
    // 3xxx: the token or the event is wrong, so sending it again cannot help
    const retryable = (status == 429 || status > 499) && !(numeric && code > 2999 && code < 4000);
    return numeric
        ? failure(code, typeof message == 'string' ? message : '', status, retryable, retryAfter(retryAfterHeader))
        : failure('http', 'HTTP ' + status, status, retryable, retryAfter(retryAfterHeader));
}
/**
 * One POST, bounded by `deadline`, except with keepalive: Chromium goes on with an aborted keepalive request
 * (it belongs to the browser, not the page), so it is left to settle, however long. Never throws.
 */
async function attempt(request, deadline) {
    const controller = new AbortController();
    const timer = request.keepalive || setTimeout(() => controller.abort(), deadline - Date.now());
    const { url, headers, credentials, body, keepalive, log } = request;
    // no prototype: fetch reads every option it knows (cache, integrity, priority ...), and a polluted
    // Object.prototype must not supply one
    const init = Object.assign(Object.create(null), { method: 'POST', mode: 'cors', credentials: credentials || 'omit', headers, body, keepalive, signal: controller.signal });
    try {
        const response = await fetch(url, init);
        const text = await response.text();
        // arrows as escapes: the source and the bundle stay ASCII, whatever charset a CDN serves them with
        if (log)
            log('\u2190', response.status, text);
        return readReply(response.status, text, response.headers.get('Retry-After'));
    }
    catch (error) {
        if (log)
            log('\u2190', error);
        return controller.signal.aborted
            ? failure('timeout', `no answer within ${request.timeout} ms`, undefined, true)
            : failure('network', 'no response (offline, blocked, or refused by CORS) from ' + url, undefined, true);
    }
    finally {
        clearTimeout(timer);
    }
}
/**
 * POST with retries: a retryable failure is tried again at most `RETRIES` times, after a backoff or the
 * `Retry-After` the server asked for, whichever is longer, and only while the deadline allows. When attempts
 * or time run out, the last real error is reported rather than a generic timeout.
 */
async function post(options) {
    // own properties only: an option the caller left out is not taken from a polluted Object.prototype
    const request = { keepalive: false, retries: RETRIES, log: undefined, ...options };
    const deadline = Date.now() + request.timeout;
    let last;
    for (let tries = 0;; tries++) {
        const reply = await attempt(request, deadline);
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

/** Keepalive bytes in flight at once: every keepalive fetch and beacon of a page shares 64 KiB (Fetch spec). */
const BUDGET = 60 * 1024;
/**
 * Requests in flight at once. Few, so that few are ever out when the page is left: such a request completes
 * in the browser, but no page can read its answer any more.
 */
const PARALLEL = 4;
/**
 * How long an answered request's bytes still count against the budget. Firefox frees a keepalive request's share
 * of the 64 KiB a few milliseconds after its answer has been read (measured: 1 ms later is too soon, 5 ms enough),
 * and fails a keepalive request made before then that would not fit beside it, as a network error.
 */
const RELEASE_MS = 25;
/** A request out longer than this as the page is left shows a service in trouble: what is out is kept. */
const SLOW_MS = 2000;
/** Backoff between attempts of one event: 1 s doubling to 60 s, each between half and all of that. */
const redelay = (tries) => Math.min(60000, 1000 * 2 ** tries) * (0.5 + Math.random() / 2);
/** Where the `track` events of one endpoint and table are stored. */
const outboxKey = (settings) => 'p13n:' + settings.url;
/** The stored `track` events of one endpoint and table: what delivery sends, and what a refusal of consent clears. */
const outboxOf = (settings) => createOutbox(outboxKey(settings));
/**
 * Whether earlier pages (or other tabs) left events to send: one read of storage, so that a page that never
 * tracks builds no delivery (no locks, no listeners, no timers) unless there is something to deliver.
 */
const hasWaiting = (settings) => {
    try {
        return /^\[./.test(localStorage.getItem(outboxKey(settings)) || '');
    }
    catch {
        return false; // storage refused: an outbox in memory only, and this page has none yet
    }
};
/**
 * `track` delivery. Each event is stored in the outbox before it is sent, with keepalive so the request outlives
 * the page, and leaves the outbox on a 2xx or an answer that retrying cannot change. What fails for now is sent
 * again with the same uuid after a backoff (or the server's Retry-After), on `online`, when the page is hidden,
 * and on the next page of the site. `report` hears of events given up on: dropped to keep the outbox within its
 * bounds, or refused by the API on a resend.
 */
function createDelivery(settings, report, log) {
    const outbox = outboxOf(settings);
    const inFlight = new Map(); // -> when it was sent
    const handedOver = new Set();
    let queue = []; // claimed by this tab, waiting for room
    let healthy = true; // no retryable failure seen since the service last answered well
    let left = false; // pagehide came: what this page still hears is the browser tearing it down
    let timer;
    // delivered, not yet out of storage: they leave it together, one write for all that came in meanwhile, so
    // storage keeps pace with a fast drain, and a page left in between takes them out at once (see leave)
    const delivered = new Set();
    let removing;
    const forget = (id) => {
        delivered.add(id);
        return (removing = removing || drain());
    };
    async function drain() {
        try {
            for (let ids = [...delivered]; ids.length; ids = [...delivered]) {
                await outbox.remove(ids);
                ids.forEach((id) => delivered.delete(id));
            }
        }
        finally {
            removing = undefined;
        }
    }
    let releasing = 0; // bytes of answered requests the browser may not have freed yet (see RELEASE_MS)
    const room = () => {
        let free = BUDGET - releasing;
        inFlight.forEach((_, entry) => (free -= bytes(entry)));
        return free;
    };
    /** Sends, in order, the events this tab has waiting for room, as far as the room goes. */
    const pump = () => {
        while (queue[0] && fits(queue[0][0])) {
            const [next, resolve] = queue.shift();
            attempt(next).then(resolve);
        }
    };
    const fits = (entry) => inFlight.size < PARALLEL && bytes(entry) <= room();
    const mine = () => queue.map(([entry]) => entry.id).concat([...inFlight.keys()].map((entry) => entry.id));
    const dropped = (entries) => entries.forEach((entry) => report({ code: 'dropped', message: 'p13n: the outbox was full: its oldest event was dropped' }, entry.id));
    async function attempt(entry) {
        inFlight.set(entry, Date.now());
        // no timeout: a keepalive request goes on whatever the page does, so it is waited for, never doubled
        const reply = await post({ url: settings.url, headers: settings.headers, credentials: settings.credentials, body: entry.body, timeout: 0, keepalive: true, retries: 0, log });
        inFlight.delete(entry);
        releasing += bytes(entry);
        setTimeout(() => {
            releasing -= bytes(entry);
            pump();
        }, RELEASE_MS);
        // Chromium fails the fetches of a page it unloads, though they go on: such a failure says nothing
        if (left)
            return reply;
        const done = (healthy = reply.ok || !reply.error.retryable);
        await (done
            ? forget(entry.id)
            : outbox.retry(entry, Date.now() + Math.max(redelay(entry.tries), reply.wait || 0), handedOver.has(entry.id)).then(dropped));
        handedOver.delete(entry.id);
        pump();
        flush();
        return reply;
    }
    /** Sends what is due and has room, renews this tab's claims, then sets the timer for what waits. */
    // called from timers and page events: whatever went wrong must not become the page's unhandled rejection
    const flush = (due) => flushNow(due).catch(() => { });
    async function flushNow(due) {
        const now = Date.now();
        const entries = await outbox.list(due);
        const claimed = await outbox.claim(now, room(), queue.length ? 0 : PARALLEL - inFlight.size, false, mine());
        for (const entry of claimed) {
            attempt(entry).then((reply) => reply.ok || reply.error.retryable || report(reply.error, entry.id));
        }
        clearTimeout(timer);
        // back before this tab's own claims lapse, to renew them while its requests are out
        const next = Math.min(...entries.map((entry) => Math.max(entry.next, entry.lease)), mine().length ? now + LEASE_MS / 2 : Infinity);
        // timers overflow past 2^31-1 ms (24.8 days) and would fire at once
        if (next < Infinity)
            timer = setTimeout(flush, Math.min(Math.max(next - now, 50), 2 ** 31 - 1));
    }
    /**
     * The page is hidden or being left, and may never run again. A request it has out will complete, but its
     * answer may never be read. Unless this page saw the service fail or hang, or the browser is offline, those
     * requests are counted delivered (and put back should the page live on and see one fail), and on pagehide up
     * to PARALLEL due events go out with them, counted the same way: the common case, a `track` and a link
     * followed at once, is sent once. Otherwise nothing more is sent, what is out stays claimed, and the next page
     * sends it again once the claim lapses: never lost, at worst sent twice. Whatever else this page holds goes to
     * the next page at once.
     */
    function leave(event) {
        const now = Date.now();
        let trusted = healthy && navigator.onLine;
        inFlight.forEach((since) => (trusted = trusted && now - since < SLOW_MS));
        const out = [...inFlight.keys()];
        // delivered events still on their way out of storage go at once, with those handed over: one write
        const done = [...delivered];
        if (trusted) {
            out.forEach((entry) => handedOver.add(entry.id));
            done.push(...out.map((entry) => entry.id));
        }
        if (done.length)
            outbox.remove(done, true);
        if (event.type != 'pagehide')
            return void flush();
        left = true;
        const held = queue;
        queue = [];
        outbox.release(held.map(([entry]) => entry.id), true);
        const gone = failure('network', 'the page was left before this event was sent: the next page sends it', undefined, true);
        held.forEach(([, resolve]) => resolve(gone));
        if (trusted) {
            // a claim with `sync` takes them out of storage at once: handed over like those already out
            outbox.claim(now, room(), PARALLEL - inFlight.size, true).then((entries) => entries.forEach((entry) => {
                handedOver.add(entry.id);
                attempt(entry);
            }));
        }
    }
    addEventListener('online', () => flush(true));
    addEventListener('pagehide', leave);
    addEventListener('pageshow', (event) => {
        // back from the back/forward cache: this page lives again
        if (event.persisted) {
            left = false;
            flush();
        }
    });
    document.addEventListener('visibilitychange', (event) => document.visibilityState == 'hidden' && leave(event));
    flush();
    return {
        /**
         * Stores the event, claimed by this tab, and sends it as soon as there is room; `queued` hears when it is
         * sent or waits its turn, so that calls sent one after another keep their order.
         */
        async send(id, body, queued) {
            const entry = { id, body, tries: 0, next: 0, lease: Date.now() + LEASE_MS };
            dropped(await outbox.add(entry));
            const sent = fits(entry) && !queue.length ? attempt(entry) : new Promise((resolve) => queue.push([entry, resolve]));
            if (queued)
                queued();
            // the caller hears within its timeout; the event stays in flight, or queued, until it settles
            const late = failure('timeout', `not confirmed within ${settings.timeout} ms; still trying`, undefined, true);
            return Promise.race([sent, new Promise((resolve) => setTimeout(resolve, settings.timeout, late))]);
        },
        flush,
        /** Consent refused: nothing more goes out; what waits for room is answered, the outbox emptied. */
        clear() {
            const refused = failure('consent', 'consent is denied: nothing is sent');
            queue.forEach(([, resolve]) => resolve(refused));
            queue = [];
            return outbox.clear();
        },
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
    const listOf = (type) => (typeof type == 'string' && handlers.hasOwnProperty(type) ? handlers[type] : undefined);
    return {
        emit(type, detail) {
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
        on(type, fn) {
            const list = listOf(type);
            if (!list || typeof fn != 'function')
                return false;
            list.push(fn);
            const seen = latest[type];
            if (type in latest) {
                // later, so the page's own code after on() runs first; skipped if off() or a newer emit came in between
                Promise.resolve().then(() => list.indexOf(fn) >= 0 && latest[type] === seen && isolate(fn, seen));
            }
            return true;
        },
        off(type, fn) {
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

/*! js-cookie v3.0.8 | MIT */
function assign (target) {
  for (var i = 1; i < arguments.length; i++) {
    var source = arguments[i];
    for (var key in source) {
      if (key === '__proto__') continue
      target[key] = source[key];
    }
  }
  return target
}

var defaultConverter = {
  read: function (value) {
    if (value[0] === '"') {
      value = value.slice(1, -1);
    }
    return value.replace(/(%[\dA-F]{2})+/gi, decodeURIComponent)
  },
  write: function (value) {
    return encodeURIComponent(value).replace(
      /%(2[346BF]|3[AC-F]|40|5[BDE]|60|7[BCD])/g,
      decodeURIComponent
    )
  }
};

function init(converter, defaultAttributes) {
  function set(name, value, attributes) {
    if (typeof document === 'undefined') {
      return
    }

    attributes = assign({}, defaultAttributes, attributes);

    if (typeof attributes.expires === 'number') {
      attributes.expires = new Date(Date.now() + attributes.expires * 864e5);
    }
    if (attributes.expires) {
      attributes.expires = attributes.expires.toUTCString();
    }

    name = encodeURIComponent(name)
      .replace(/%(2[346B]|5E|60|7C)/g, decodeURIComponent)
      .replace(/[()]/g, escape);

    var stringifiedAttributes = '';
    for (var attributeName in attributes) {
      if (!attributes[attributeName]) {
        continue
      }

      stringifiedAttributes += '; ' + attributeName;

      if (attributes[attributeName] === true) {
        continue
      }

      // Considers RFC 6265 section 5.2:
      // ...
      // 3.  If the remaining unparsed-attributes contains a %x3B (";")
      //     character:
      // Consume the characters of the unparsed-attributes up to,
      // not including, the first %x3B (";") character.
      // ...
      stringifiedAttributes += '=' + attributes[attributeName].split(';')[0];
    }

    return (document.cookie =
      name + '=' + converter.write(value, name) + stringifiedAttributes)
  }

  function get(name) {
    if (typeof document === 'undefined' || (arguments.length && !name)) {
      return
    }

    // To prevent the for loop in the first place assign an empty array
    // in case there are no cookies at all.
    var cookies = document.cookie ? document.cookie.split('; ') : [];
    var jar = {};
    for (var i = 0; i < cookies.length; i++) {
      var parts = cookies[i].split('=');
      var value = parts.slice(1).join('=');

      try {
        var found = decodeURIComponent(parts[0]);
        if (!(found in jar)) jar[found] = converter.read(value, found);
        if (name === found) {
          break
        }
      } catch (_e) {
        // Do nothing...
      }
    }

    return name ? jar[name] : jar
  }

  return Object.create(
    {
      set: set,
      get: get,
      remove: function (name, attributes) {
        set(
          name,
          '',
          assign({}, attributes, {
            expires: -1
          })
        );
      },
      withAttributes: function (attributes) {
        return init(this.converter, assign({}, this.attributes, attributes))
      },
      withConverter: function (converter) {
        return init(assign({}, this.converter, converter), this.attributes)
      }
    },
    {
      attributes: { value: Object.freeze(defaultAttributes) },
      converter: { value: Object.freeze(converter) }
    }
  )
}

var api = init(defaultConverter, { path: '/' });

/** A v4 UUID from `crypto.getRandomValues`: plain-http pages have no `crypto.randomUUID`. */
const uuid = () => '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16));
/**
 * js-cookie writes every enumerable key of its attributes into the cookie, inherited ones too: on a page whose
 * Object.prototype is polluted that adds attributes (a domain, `max-age=0`) or throws. Own undefined keys hide
 * the inherited ones, and js-cookie skips undefined.
 */
const shielded = (attributes) => {
    for (const key in attributes)
        if (!Object.prototype.hasOwnProperty.call(attributes, key))
            attributes[key] = undefined;
    return attributes;
};
/** js-cookie's own remove() adds `{ expires: -1 }`, whose inherited keys it copies too: this writes it shielded. */
const erase = (cookies, name, domain) => cookies.set(name, '', shielded({ domain, expires: -1 }));
/** The one place that touches cookies: js-cookie with the attributes every write needs. */
function cookieJar(name, expires, domain) {
    const cookies = api.withAttributes({ path: '/', sameSite: 'Lax', secure: location.protocol == 'https:' });
    const remove = (domain) => erase(cookies, name, domain);
    const write = (value) => cookies.set(name, value, shielded({ expires, domain }));
    return {
        get: () => cookies.get(name),
        set(value) {
            if (!domain) {
                // the domain an earlier page found, tried once: a returning visitor's page view writes one cookie
                domain = remembered();
                if (domain && (write(value), cookies.get(name) == value))
                    return;
                domain = registrableDomain(cookies);
            }
            write(value);
        },
        /** Removes the cookie for the host and each parent domain, writing none: no probe, under a refusal. */
        remove() {
            const labels = location.hostname.split('.');
            storage('removeItem');
            remove();
            if (domain)
                remove(domain);
            for (let i = labels.length - 1; i--;)
                remove(labels.slice(i).join('.'));
        },
    };
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
function registrableDomain(cookies) {
    const host = location.hostname;
    if (/^[\d.]+$|:/.test(host))
        return;
    const probe = '_p13n_probe';
    const value = '' + Math.random();
    const labels = host.split('.');
    for (let i = labels.length; i--;) {
        const domain = labels.slice(i).join('.');
        cookies.set(probe, value, shielded({ domain }));
        if (cookies.get(probe) == value) {
            erase(cookies, probe, domain);
            storage('setItem', domain);
            return domain;
        }
    }
    // a remembered domain that no longer takes the cookie is forgotten too
    return storage('removeItem');
}
/** `td_client_id`: the explicit one, else the cookie's (shared with td-js-sdk), else a new one. */
function createIdentity(settings) {
    const { cookie } = settings;
    const jar = cookie && cookieJar(cookie.name, cookie.expires, cookie.domain);
    let stored;
    try {
        stored = jar ? jar.get() : stored;
    }
    catch { } // document.cookie throws in sandboxed frames: the id then lives in memory
    // td-js-sdk treats the literal 'undefined' and NUL characters as no id
    let id = settings.clientId || (stored && stored != 'undefined' && stored.indexOf('\0') < 0 ? stored : uuid());
    /** Writes the id with a fresh expiry: once per page view. Where cookies are blocked it lives in memory only. */
    const save = () => {
        try {
            if (jar)
                jar.set(id);
        }
        catch { }
    };
    return {
        get: () => id,
        save,
        /** A new id (a logout); written to the cookie with `store`, kept in memory only without consent. */
        reset(store) {
            id = uuid();
            if (store)
                save();
        },
        /** Consent refused: the cookie goes, and the id too, so a later consent starts with a new one. */
        forget() {
            id = uuid();
            try {
                if (jar)
                    jar.remove();
            }
            catch { }
        },
    };
}

/** Paths kept: the pages a visitor comes back to, at a few KB each. */
const MAX_PATHS = 20;
/**
 * The offers cache (`cache: { ttl }`): the last page-view answer per path, kept `ttl` seconds in `localStorage`
 * under `key` (or in memory where storage throws), at most MAX_PATHS paths, the oldest dropped first. A repeat
 * view renders from it at once, while the fresh answer, which wins, is on its way.
 */
function createCache(key, ttl) {
    let memory = {};
    let stored = true; // false from the first time storage throws: then the cache lives in memory
    /** The entry at `path` when it is whole and fresh, read from own properties only: storage is page-writable. */
    const entry = (all, path, now) => {
        const value = own$1(all, path);
        const t = own$1(value, 't');
        const answer = { t, offers: own$1(value, 'offers'), status: own$1(value, 'status'), uuid: own$1(value, 'uuid') };
        const whole = typeof t == 'number' && isObject(answer.offers) && typeof answer.status == 'number' && typeof answer.uuid == 'string';
        return whole && now >= t && now - t < ttl * 1000 ? answer : undefined;
    };
    const read = () => {
        let text = null;
        try {
            text = stored ? localStorage.getItem(key) : null;
        }
        catch {
            stored = false;
        }
        if (!stored)
            return memory;
        try {
            const saved = JSON.parse(text || '{}');
            return (memory = isObject(saved) ? saved : {});
        }
        catch {
            return (memory = {}); // not ours, or damaged: the next put writes over it
        }
    };
    return {
        get: (path) => entry(read(), path, Date.now()),
        put(path, answer) {
            const now = Date.now();
            const all = read();
            const kept = Object.create(null);
            kept[path] = { t: now, offers: answer.offers, status: answer.status, uuid: answer.uuid };
            Object.keys(all)
                .map((other) => [other, entry(all, other, now)])
                .filter(([other, cached]) => cached && other != path)
                .sort((a, b) => b[1].t - a[1].t)
                .slice(0, MAX_PATHS - 1)
                .forEach(([other, cached]) => (kept[other] = cached));
            memory = kept;
            try {
                if (stored)
                    localStorage.setItem(key, toJSON(kept));
            }
            catch {
                stored = false;
            }
        },
        clear() {
            memory = {};
            try {
                localStorage.removeItem(key);
            }
            catch { }
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
    return { hide, reveal };
}

const SLOT = '[data-p13n-offer]';
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
        return typeof value == 'string' && /^https?:$/.test(url.protocol) ? url.href : undefined;
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
    /** An added element's slots: itself, and those inside it. */
    const slots = (root, into) => {
        if (root.matches(SLOT))
            into.add(root);
        root.querySelectorAll(SLOT).forEach((slot) => into.add(slot));
    };
    // a set: a slot added inside a section added in the same task is in two records, and is filled once
    const changed = (records) => {
        const found = new Set();
        records.forEach((record) => record.type == 'attributes'
            ? record.target.matches(SLOT) && found.add(record.target)
            : record.addedNodes.forEach((node) => node.nodeType == 1 && slots(node, found)));
        found.forEach((slot) => slot.isConnected && fill(slot, latest, cached));
    };
    return {
        render(offers, fromCache) {
            latest = offers;
            cached = fromCache;
            document.querySelectorAll(SLOT).forEach((slot) => fill(slot, offers, fromCache));
            if (!observer) {
                observer = new MutationObserver(changed);
                observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-p13n-offer'] });
            }
        },
        /** Consent withdrawn: every slot filled so far is hidden again, and late slots get nothing personal. */
        clear() {
            if (observer)
                this.render({});
        },
        /** No more late slots: for tests, and a client that is done with the page. */
        stop: () => observer && observer.disconnect(),
    };
}

/** How long a route change may settle before its page view is built: the view's title, a redirect's final URL. */
const ROUTE_SETTLE_MS = 50;
/**
 * The longest a route's page view waits for the app to give the route its title, counted from the URL change:
 * React Router sets it up to 245 ms after the URL on a 4x throttled CPU, Turbo about 70 ms after.
 */
const TITLE_WAIT_MS = 500;
const here = () => location.href.split('#')[0];
/**
 * Route changes of a single-page app: `pushState`, `replaceState` and `popstate`. History is wrapped, not
 * replaced: each wrapper calls whatever was there before (the browser's method or another library's wrapper)
 * with the page's own arguments, returns its result and lets its exceptions through, so the page and the
 * libraries that wrap history after or before the tag see no difference. The wrappers stay when tracking is
 * switched off (unwrapping would drop a wrapper added later by another library); they only stop reporting.
 * `onRoute` gets the URL left, once per new URL (a hash change, or a replaceState to the same URL, is none), as
 * the route settles, and a promise that settles once the route has its title: at once when the title already
 * changed, else when it changes, at most TITLE_WAIT_MS after the URL did, or when the visitor moves on.
 * `onMove(true)` comes at once when the URL changes; `onMove(false)` when it settles back on the URL it left.
 */
function watchRoutes(onRoute, onMove = () => { }) {
    let active = false;
    let wrapped = false;
    let last = here();
    let timer;
    let moving = false;
    let title = document.title; // the last page view's
    let since = 0; // when the URL changed
    let before = title; // the title then
    // an app that has never given a route a new title, once a wait for one ran out, is not waited for again
    let titles = false;
    let patient = true;
    let done; // ends the wait of a route for its title
    const check = () => {
        const now = here();
        const was = moving;
        moving = false;
        if (active && now != last) {
            const referrer = last;
            last = now;
            const named = document.title != title || document.title != before;
            if (named)
                titles = patient = true;
            onRoute(referrer, named || !patient ? Promise.resolve((title = document.title)) : titled());
        }
        else if (was) {
            onMove(false); // left and come back to within the settle time: no new view, what was hidden shows again
        }
    };
    /** Settles when the title changes, TITLE_WAIT_MS after the URL did, or at the next history change. */
    const titled = () => new Promise((resolve) => {
        // no polling: the title's element or text changing is a mutation of the head, watched only while a route waits
        const watcher = new MutationObserver(() => document.title != title && ((titles = true), end()));
        const cap = setTimeout(() => ((patient = titles), end()), since + TITLE_WAIT_MS - Date.now());
        const end = () => {
            watcher.disconnect();
            clearTimeout(cap);
            done = undefined;
            resolve((title = document.title));
        };
        done = end;
        watcher.observe(document.head || document.documentElement, { childList: true, characterData: true, subtree: true });
    });
    const changed = () => {
        // the visitor moved on: the route waiting for its title goes as it is
        if (done)
            done();
        // at once, so the last route's offers are hidden before the new route paints
        if (!moving && here() != last) {
            since = Date.now();
            before = document.title;
            onMove((moving = true));
        }
        clearTimeout(timer);
        // a redirect chain (push then replace) settles into one view of its final URL, with its new title
        timer = setTimeout(check, ROUTE_SETTLE_MS);
    };
    const wrap = (name) => {
        const original = history[name];
        try {
            history[name] = function () {
                const result = original.apply(this, arguments);
                if (active)
                    changed();
                return result;
            };
        }
        catch { } // a frozen history: popstate still tells of back and forward
    };
    return (on) => {
        if (on && !active)
            (last = here()), (title = document.title);
        active = on;
        if (on && !wrapped) {
            wrapped = true;
            wrap('pushState');
            wrap('replaceState');
            addEventListener('popstate', () => active && changed());
        }
    };
}

const VERSION = '0.1.0';
const resolved = (value) => Promise.resolve(value);
/** After the page's own start: in idle time where the browser has it (Safari has not), else in the next task. */
const idle = (work) => ('requestIdleCallback' in self ? requestIdleCallback(work, { timeout: 1000 }) : setTimeout(work, 1));
const usage = (message) => ({ code: 'usage', message: 'p13n: ' + message });
// masks the 40-hex key and the 32-hex token secret in anything logged
const mask = (text) => text.replace(/[0-9a-f]{32,}/gi, '****');
/** Bytes an event may have: what one keepalive request can carry (64 KiB a page), less room for headers. */
const MAX_EVENT_BYTES = 60 * 1024;
/** Calls held while consent is pending; beyond this the oldest is dropped. Enough for a long-pending banner. */
const MAX_HELD = 30;
/**
 * A personalization client for one database/table. Nothing is sent until the config is checked; the checks,
 * `p13n:ready` and the first page view run a microtask later, so handlers added right after this returns
 * see them.
 */
function createClient(config) {
    const checked = readConfig(config);
    const valid = !('code' in checked);
    // used only once `valid` says the config passed
    const settings = checked;
    const events = createEvents(settings);
    const identity = createIdentity(valid ? settings : { cookie: false });
    const prehide = createPrehide(valid ? settings.prehide : undefined, valid ? settings.prehideTimeout : 0, settings.nonce);
    const renderer = createRenderer();
    const render = renderer.render;
    const cache = settings.cache ? createCache('p13n:cache:' + settings.url, settings.cache.ttl) : undefined;
    let attributes = {};
    const log = settings.debug ? (...data) => console.log('p13n', ...data) : undefined;
    let delivery;
    /**
     * `track` delivery, built by the first `track`, or in idle time when earlier pages left events to send: a page
     * that never tracks pays for no outbox (its locks, storage rewrites, timers and listeners).
     */
    const deliveries = () => (delivery = delivery || createDelivery(settings, (error, id) => events.emit('error', { error, uuid: id }), log));
    // Global Privacy Control, when the site honours it, is a refusal no banner click overrides
    const gpc = valid && settings.respectGPC && navigator.globalPrivacyControl === true;
    let consent = gpc ? 'denied' : settings.consent;
    // calls waiting for a consent decision, oldest first: each is told 'granted', 'denied' or 'dropped'
    let held = [];
    // settles once the last call's request is on its way: calls reach fetch in the order they were made, so a
    // track (stored first, under a lock) is sent before a personalize made after it
    let line = resolved(0);
    let views = 0; // page views started: only the latest one's answer renders
    let shown = 0; // the latest page view whose answer is in
    let routes;
    // hidden from the moment the tag runs; an invalid config shows at once what the snippet hid
    prehide.hide();
    if (!valid)
        prehide.reveal();
    const refuse = (error) => {
        events.emit('error', { error });
        return { ok: false, error };
    };
    const fail = (error, id) => {
        events.emit('error', id ? { error, uuid: id } : { error });
        return { ok: false, error, offers: {}, uuid: id };
    };
    /** Consent decided: sends or drops what was held, in call order, and keeps no trace of a visitor who said no. */
    function decide(decision) {
        const was = consent;
        consent = decision;
        if (decision == 'granted') {
            identity.save();
            // resends what earlier pages left in the outbox, once the page's own start is done
            if (!delivery && hasWaiting(settings))
                idle(() => consent == 'granted' && deliveries());
            // the page view held (or refused) until now is on its way: hide what its answer fills, so no default flashes
            if (views > shown)
                prehide.hide();
            // a visitor who said no, then yes: this page's view was refused, so it goes now
            if (was == 'denied' && views)
                view();
        }
        else if (decision == 'denied') {
            identity.forget();
            if (delivery)
                delivery.clear();
            else
                outboxOf(settings).clear();
            if (cache)
                cache.clear();
            renderer.clear();
            prehide.reveal();
        }
        if (decision != 'pending') {
            const waiting = held;
            held = [];
            waiting.forEach((resume) => resume(decision));
        }
    }
    const started = resolved(0).then(() => {
        if (!valid) {
            console.error(checked.message);
            return refuse(checked);
        }
        decide(consent);
        events.emit('ready', { clientId: consent == 'granted' ? identity.get() : undefined });
        return { ok: true };
    });
    // registered first, so the page view goes out before calls made right after createClient
    started.then((outcome) => {
        if (!outcome.ok)
            return;
        if (settings.pageview)
            view();
        if (settings.spa)
            spa(true);
    });
    const send = (extra, track) => {
        // the page as it is now: a single-page app often changes route right after a call
        const context = pageContext(VERSION);
        const time = Date.now();
        return started.then((outcome) => (outcome.ok ? deliver(extra, track, undefined, context, time) : fail(outcome.error)));
    };
    /**
     * A page view: the page context, and the offers cached for this path, if any, rendered at once. A route's
     * view is built as it settles and sent once the route has its title (`titled`), with that title.
     */
    function view(referrer, titled) {
        const current = ++views;
        const path = location.pathname;
        const cached = cache && consent == 'granted' && cache.get(path);
        if (cached) {
            shown = current;
            render(cached.offers, true);
            prehide.reveal();
            events.emit('offers', { offers: cached.offers, names: Object.keys(cached.offers), uuid: cached.uuid, status: cached.status, cached: true });
        }
        const page = { current, path, referrer };
        if (!titled)
            return deliver(undefined, false, page);
        const context = pageContext(VERSION);
        return titled.then(() => deliver(undefined, false, page, ((context.td_title = document.title), context)));
    }
    function spa(on) {
        // a route change hides again what the last route's answer showed, until this route's answer is in; a route
        // left and come back to at once shows it again
        const move = (moving) => (moving ? consent != 'denied' && prehide.hide() : views == shown && prehide.reveal());
        if (on)
            routes = routes || watchRoutes(view, move);
        if (routes)
            routes(on);
    }
    /** Waits for consent, when pending; the answer says whether the call may go out. */
    const allowed = () => consent == 'pending'
        ? new Promise((resume) => {
            held.push(resume);
            if (held.length > MAX_HELD)
                held.shift()('dropped');
        })
        : consent;
    async function deliver(extra, track, page, context = pageContext(VERSION), time = Date.now()) {
        if (extra != null && !isObject(extra)) {
            return fail({ code: 'invalid_event', message: 'p13n: attributes must be an object, e.g. { product_id: "42" }' });
        }
        let id = uuid();
        let body;
        try {
            const event = merge([
                { td_client_id: identity.get() },
                context,
                page && page.referrer != null ? { td_referrer: page.referrer } : null,
                { time: Math.floor(time / 1000), uuid: id },
                settings.attributes,
                attributes,
                extra,
            ]);
            // a uuid of the page's own (an order id, say) is the event's idempotency key; anything else is replaced
            if (typeof event.uuid == 'string' && event.uuid)
                id = event.uuid;
            else
                event.uuid = id;
            body = toJSON(event);
        }
        catch (error) {
            body = { code: 'invalid_event', message: 'p13n: the event could not be built: ' + reason(error) };
        }
        if (typeof body != 'string')
            return fail(body, id);
        const size$1 = size(body);
        if (size$1 > MAX_EVENT_BYTES) {
            return fail({ code: 'too_large', message: `p13n: the event is ${size$1} bytes of JSON; at most ${MAX_EVENT_BYTES} fit one request` }, id);
        }
        // built when called, sent when allowed: a held event keeps its time and the page it happened on
        const turn = line;
        let out;
        line = new Promise((resolve) => (out = resolve));
        const decision = await allowed();
        await turn;
        if (decision != 'granted') {
            out();
            return fail(decision == 'dropped'
                ? { code: 'dropped', message: `p13n: more than ${MAX_HELD} calls waited for consent: the oldest was dropped` }
                : { code: 'consent', message: 'p13n: consent is denied: nothing is sent' }, id);
        }
        if (log)
            log('\u2192 POST', settings.url, mask(JSON.stringify(settings.headers)), JSON.parse(body));
        const sending = track ? deliveries().send(id, body, out) : post({ url: settings.url, headers: settings.headers, credentials: settings.credentials, body, timeout: settings.timeout, log });
        // fetch was called (a track: stored, and sent or waiting its turn): the next call may go
        if (!track)
            out();
        const reply = await sending.finally(out);
        const latest = !page || page.current == views;
        if (!track && latest) {
            shown = views;
            prehide.reveal();
        }
        if (!reply.ok)
            return fail(reply.error, id);
        const { status, offers } = reply;
        if (track)
            return { ok: true, status, offers: {}, uuid: id };
        if (page && cache)
            cache.put(page.path, { offers, status, uuid: id });
        // an answer to a page view that a newer one has overtaken would show the wrong page's offers
        if (latest) {
            // slots first, so handlers of p13n:offers see the page as rendered
            try {
                render(offers);
            }
            catch { } // a page's odd DOM must not cost it the offers
        }
        events.emit('offers', { offers, names: Object.keys(offers), uuid: id, status });
        return { ok: true, status, offers, uuid: id };
    }
    const subscribe = (add) => (type, handler) => resolved((add ? events.on : events.off)(type, handler)
        ? { ok: true }
        : refuse(usage(`${add ? 'on' : 'off'} takes 'offers', 'error' or 'ready' and a function`)));
    /** Runs `change` once init has succeeded; the outcome of a failed init otherwise. */
    const after = (change) => started.then((outcome) => (outcome.ok ? change() : outcome));
    const client = {
        init: () => started,
        personalize: (extra) => send(extra),
        track: (extra) => send(extra, true),
        set(update) {
            if (!isObject(update))
                return resolved(refuse(usage('set takes an object of attributes')));
            const next = merge([attributes, update]);
            for (const key in next)
                if (next[key] === null)
                    delete next[key];
            attributes = next;
            return resolved({ ok: true });
        },
        consent: (decision) => decision !== 'granted' && decision !== 'denied'
            ? resolved(refuse(usage(`consent takes 'granted' or 'denied', not ${reason(decision)}`)))
            : after(() => {
                if (gpc && decision == 'granted') {
                    return refuse(usage('the browser sends Global Privacy Control and respectGPC is on: consent stays denied'));
                }
                decide(decision);
                return { ok: true };
            }),
        spa: (on) => typeof on != 'boolean'
            ? resolved(refuse(usage('spa takes true or false')))
            : after(() => (spa(on), { ok: true })),
        on: subscribe(true),
        off: subscribe(false),
        clientId: () => started.then((outcome) => (outcome.ok && consent == 'granted' ? identity.get() : undefined)),
        reset: () => after(() => {
            identity.reset(consent == 'granted');
            if (cache)
                cache.clear();
            attributes = {};
            return { ok: true };
        }),
    };
    // the last line of "no call throws, no promise rejects": whatever hostile input gets past the checks above (a
    // revoked Proxy, a getter that throws) becomes a usage error
    const safe = {};
    Object.keys(client).forEach((name) => {
        const method = client[name];
        const broken = (error) => refuse(usage(`${name} failed on what it was given: ${reason(error)}`));
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
