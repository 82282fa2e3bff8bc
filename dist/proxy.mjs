/**
 * The visitor's address, as the service should see it. Anyone can send `X-Forwarded-For: 1.2.3.4`, so only the
 * entries the proxy's own load balancers added are true: the list is read from the right, past the addresses of
 * `trustedProxies`, and the first one that is not among them is the visitor's.
 */
const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255];
function v4Bytes(text) {
    const parts = (V4.exec(text) || []).slice(1).map(Number);
    return parts.length && parts.every((part) => part < 256) ? parts : undefined;
}
/** An address as 16 bytes, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one comparison serves both. */
function bytesOf(address) {
    const v4 = v4Bytes(address);
    if (v4)
        return [...MAPPED, ...v4];
    let text = address;
    const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text); // ::ffff:1.2.3.4
    if (tail) {
        const last = v4Bytes(tail[1]);
        if (!last)
            return;
        text = text.slice(0, -tail[1].length) + ((last[0] << 8) | last[1]).toString(16) + ':' + ((last[2] << 8) | last[3]).toString(16);
    }
    const halves = text.split('::');
    const groupsOf = (part = '') => (part ? part.split(':') : []);
    const [left, right] = [groupsOf(halves[0]), groupsOf(halves[1])];
    const missing = 8 - left.length - right.length;
    // `::` stands for one group of zeros or more; without it there must be 8
    if (halves.length > 2 || (halves.length == 2 ? missing < 1 : missing != 0))
        return;
    const groups = [...left, ...Array(missing).fill('0'), ...right];
    if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group)))
        return;
    return groups.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 255]);
}
/** The address as the service should read it: dotted IPv4 (mapped ones too), IPv6 with its longest zero run `::`. */
function textOf(bytes) {
    if (MAPPED.every((byte, i) => bytes[i] == byte))
        return bytes.slice(12).join('.');
    const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
    const runs = groups.join(':').match(/(^|:)0(:0)+(:|$)/g) || [];
    const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
    return longest ? groups.join(':').replace(longest, '::') : groups.join(':');
}
/** `[::1]:443`, `1.2.3.4:80` (some balancers add ports), `fe80::1%eth0` to the bare address. */
const bare = (entry) => entry.trim().replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1').replace(/%.*$/, '');
/** A test for the configured hops; throws, naming the entry, on one that is neither an address nor a range. */
function hopTest(ranges = []) {
    if (!Array.isArray(ranges))
        throw new Error('p13n proxy: trustedProxies must be a list of addresses or CIDR ranges');
    const parsed = ranges.map((range) => {
        const [, address = '', bits] = /^([^/]*)(?:\/(\d{1,3}))?$/.exec(String(range)) || [];
        const bytes = bytesOf(address);
        const v4 = !!v4Bytes(address);
        const prefix = bits === undefined ? 128 : Number(bits) + (v4 ? 96 : 0);
        if (!bytes || prefix > 128 || (v4 && Number(bits) > 32)) {
            throw new Error(`p13n proxy: ${JSON.stringify(range)} in trustedProxies is not an address or a CIDR range (10.0.0.0/8, fd00::/8)`);
        }
        return [bytes, prefix];
    });
    return (address) => {
        const bytes = bytesOf(address);
        return !!bytes && parsed.some(([range, prefix]) => {
            for (let bit = 0; bit < prefix; bit += 8) {
                const mask = (0xff << (8 - Math.min(8, prefix - bit))) & 0xff;
                if ((bytes[bit / 8] & mask) != (range[bit / 8] & mask))
                    return false;
            }
            return true;
        });
    };
}
/** The visitor's address: the peer, or past the trusted hops in `forwarded`; undefined when unknown. */
function visitorAddress(peer, forwarded, trusted) {
    if (!peer)
        return;
    const chain = [...(forwarded ? forwarded.split(',') : []), peer].map(bare);
    let visitor = chain.pop();
    while (trusted(visitor) && chain.length)
        visitor = chain.pop();
    const bytes = bytesOf(visitor);
    return bytes && textOf(bytes);
}

/**
 * What the proxy reads and answers, in plain objects rather than the Fetch API's `Request` and `Response`: a Node
 * server reads and writes these directly (node.ts), and only the Web-standard handler turns them into a Response.
 * Building a Request and a Response for every event, and reading their bodies back through Web streams, cost Node
 * about a third of the proxy's CPU.
 */
/** The most an event may carry: one keepalive request's share (64 KiB), as the tag itself holds to. */
const MAX_BODY = 64 * 1024;
/** The proxy's own work on a request, which a handler of createProxy carries under this key for toNodeHandler. */
const SERVE = Symbol.for('p13n-tag proxy serve');
const answer = (status, body, headers = {}) => ({ status, headers, body });
/** Anything but a POST: refused before its body is read, whichever way the request came. */
const notAllowed = () => answer(405, 'Method Not Allowed', { allow: 'POST' });
/** An error the proxy answers itself, in the API's own shape, `{code, message}`, so the tag reads it as the service's. */
const apiError = (status, code, message, headers = {}) => answer(status, JSON.stringify({ code, message: 'p13n proxy: ' + message }), { 'content-type': 'application/json', ...headers });
/** The answer as a Fetch API Response (an empty body as none: a Response with a body cannot have status 204). */
const toResponse = ({ status, headers, body }) => new Response(body && body.length ? body : null, { status, headers });
/** One of each for every request: making one costs more than an event's decoding. */
const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** Chunks as one run of bytes. */
function concat(chunks) {
    const bytes = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
    chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
    return bytes;
}

/**
 * Every call the proxy makes to its store goes through here: a store that does not answer in time is taken as
 * down, the proxy works without it for a while (forwarding at least once, and letting traffic through the rate
 * limit, whose buckets are in the store too), and says so once, and once more when it answers again. A store must never keep a visitor waiting long.
 *
 * "In time" is counted in time the proxy could have heard the answer. Node reads an answer only when its event loop
 * is free; a busy proxy (a long task, GC, a CPU it shares) runs its timers before it reads what arrived meanwhile,
 * so a timer alone took a stalled proxy for a dead store and stopped deduplicating while Redis was fine.
 */
/** A store that does not answer within this, counted in time the event loop was free, is taken as down. */
const STORE_TIMEOUT_MS = 1000;
/** After a store failure, how long the proxy works without it, rather than wait on it for every request. */
const STORE_RETRY_MS = 5000;
/** How often the event loop's stalls are measured: a tick that comes late by more than this was stalled. */
const TICK_MS = 50;
/**
 * A measure of the event loop's stalls: the milliseconds it has been stalled since it was made, counted by a
 * ticker that comes late when the loop is busy. One per proxy, which lives as long as its process.
 */
function loopStalls() {
    var _a, _b;
    let stalled = 0;
    let lastTick = Date.now();
    const now = () => stalled + Math.max(0, Date.now() - lastTick - TICK_MS);
    const ticker = setInterval(() => {
        stalled = now();
        lastTick = Date.now();
    }, TICK_MS);
    // never the reason a process stays up (Node; other runtimes have no unref)
    (_b = (_a = ticker).unref) === null || _b === void 0 ? void 0 : _b.call(_a);
    return now;
}
function guardStore(log, onFailure = () => { }) {
    let downUntil = 0;
    const stalledNow = loopStalls();
    return {
        ask(work) {
            let timer;
            const started = Date.now();
            const stalledAtStart = stalledNow();
            const late = new Promise((_, reject) => {
                const check = () => {
                    const heard = Date.now() - started - (stalledNow() - stalledAtStart);
                    if (heard >= STORE_TIMEOUT_MS)
                        reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`));
                    // the loop was stalled: wait on, and let it read what may have arrived meanwhile
                    else
                        timer = setTimeout(check, STORE_TIMEOUT_MS - heard);
                };
                timer = setTimeout(check, STORE_TIMEOUT_MS);
            });
            return Promise.race([work, late])
                .finally(() => clearTimeout(timer))
                .then((value) => {
                if (downUntil)
                    log('p13n proxy: the deduplication store answers again; deduplicating');
                downUntil = 0;
                return value;
            });
        },
        down(error) {
            onFailure();
            if (!downUntil) {
                log(`p13n proxy: the deduplication store failed (${error instanceof Error ? error.message : error}); ` +
                    'forwarding every arrival (at least once, duplicates possible) until it answers again');
            }
            downUntil = Date.now() + STORE_RETRY_MS;
        },
        isDown: () => Date.now() < downUntil,
    };
}

/**
 * Exactly once at the service: the first arrival of an event's uuid is forwarded, and every later arrival of it
 * gets the first one's answer. A tag cannot know whether a request that was out as its page unloaded got
 * through, so it sends the event again with the same uuid; here, on the server, that can be known.
 */
/** Marks a claim: the first arrival is being forwarded. An answer is remembered as JSON, which never starts so. */
const PENDING = 'pending ';
/** How often a later arrival looks whether the first one's answer is in. */
const POLL_MS = 50;
/** Answers sending again cannot change are remembered; a failure (5xx, 429, 408, a timeout's 502) is not. */
const final = (status) => status < 500 && status != 429 && status != 408;
const replay = ({ status, type, body }) => answer(status, body, { ...(type ? { 'content-type': type } : {}), 'p13n-duplicate': 'true' });
const busy = () => apiError(503, 9999, 'this event is still being forwarded; send it again later', { 'retry-after': '1' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Returns `once(key, forward, admit)`: `forward()` for the first arrival of `key`, its remembered answer for the
 * rest; `admit()` (the rate limit) is asked meanwhile, and its refusal is the answer of an arrival it refuses.
 */
function deduplicate({ store, rememberMs, claimMs, guard, duplicate }) {
    const { ask, down } = guard;
    /**
     * `'claimed'` once this arrival holds the claim, the remembered answer when the first arrival's is in, `'busy'`
     * when it is still being forwarded after a claim's whole life, and when the store fails, the claim it may have
     * set all the same (a claim that timed out may still land).
     */
    async function claimOrWait(key, claim, first) {
        const deadline = Date.now() + claimMs;
        let held;
        let claiming = first;
        try {
            for (;;) {
                if (await ask(claiming))
                    return 'claimed';
                claiming = Promise.resolve(false);
                held = await ask(store.get(key));
                if (held && !held.startsWith(PENDING))
                    break;
                // still in flight elsewhere (or gone between the two calls: claim again at once)
                if (Date.now() > deadline)
                    return 'busy';
                if (held)
                    await sleep(POLL_MS);
                claiming = store.claim(key, claim, claimMs);
            }
        }
        catch (error) {
            down(error);
            return { unknown: claiming };
        }
        try {
            const answer = JSON.parse(held);
            if (answer.status >= 200 && answer.status < 600 && typeof answer.body == 'string')
                return answer;
        }
        catch { }
        return { unknown: claiming }; // not written by this proxy: forwarding is the safe side
    }
    /** Remembers a final answer under the claim, or gives the claim up for a failure, so that a resend need not wait. */
    async function settle(key, claim, reply) {
        if (!final(reply.status))
            return void (await ask(store.release(key, claim)).catch(down));
        const { status, headers, body } = reply;
        const remembered = { status, type: headers['content-type'] || null, body: typeof body == 'string' ? body : decoder.decode(body || undefined) };
        await ask(store.set(key, JSON.stringify(remembered), rememberMs)).catch(down);
    }
    return async function once(key, forward, admit) {
        if (guard.isDown())
            return (await admit()) || forward();
        const claim = PENDING + crypto.randomUUID();
        // the claim and the rate limit at once: one round trip to the store before the forward, not two
        const first = store.claim(key, claim, claimMs);
        first.catch(() => { }); // heard below (ask): not an unhandled rejection while the rate limit is asked
        const refused = await admit();
        if (refused) {
            // not forwarded: a claim it took is given back at once
            void ask(first).then((mine) => (mine ? ask(store.release(key, claim)) : undefined)).catch(() => { });
            return refused;
        }
        const found = await claimOrWait(key, claim, first);
        if (found == 'busy')
            return busy();
        // answered as soon as the service has: the answer is stored meanwhile (`settled`, which a server awaits
        // before it counts the request done)
        if (found == 'claimed') {
            const reply = await forward();
            return { ...reply, settled: settle(key, claim, reply) };
        }
        if (!('unknown' in found))
            return duplicate(), replay(found);
        const reply = await forward();
        // a claim that timed out may have been set: left unsettled, it would hold a resend off for a claim's life and
        // then let it through again. Once it is known (within a bound), it is settled as any other; the visitor does
        // not wait for that.
        const late = Promise.race([found.unknown, sleep(STORE_TIMEOUT_MS).then(() => false)]);
        void late.then((mine) => (mine ? settle(key, claim, reply) : undefined)).catch(() => { });
        return reply;
    };
}

/**
 * A rate limit per visitor address: a token bucket of `burst` requests, refilled at `perSecond`. Every request the
 * proxy forwards counts against the site's own limits at Treasure Data (429 with 2003 or 2013), so one client
 * flooding the proxy would otherwise take personalization down for every visitor. The buckets live in the store,
 * so every instance on one Redis limits together. A store that fails lets traffic through, as deduplication does.
 */
/** What a visitor may send by default: a busy office or mobile carrier behind one address must still get through. */
const DEFAULT_LIMIT = { perSecond: 20, burst: 200 };
/**
 * The `code` of the proxy's own 429 (the API's own limits answer 2003 and 2013): the tag retries it after
 * `Retry-After`, as it does any 429 whose code is not a 3xxx (a request the service refuses for good).
 */
const LIMITED_CODE = 429;
const MINUTE = 60000;
function limitOptions(option) {
    if (option === false)
        return;
    const { perSecond, burst } = { ...DEFAULT_LIMIT, ...option };
    if (!(typeof perSecond == 'number' && perSecond > 0 && perSecond < Infinity)) {
        throw new Error('p13n proxy: rateLimit.perSecond must be a number of requests above 0 (or rateLimit: false)');
    }
    if (!(Number.isInteger(burst) && burst >= 1))
        throw new Error('p13n proxy: rateLimit.burst must be a whole number of requests, at least 1');
    return { perSecond, burst };
}
/**
 * Returns `limited(visitor)`: undefined when the visitor may go on, the 429 to answer otherwise. A visitor whose
 * address is unknown (no peer) is not limited: one bucket for all of them would limit everyone together.
 */
function rateLimiter(take, limit, guard, log) {
    let quietUntil = 0;
    /** Requests refused since the last line in the log. */
    let unsaid = 0;
    return async function limited(visitor) {
        if (!visitor || guard.isDown())
            return;
        let waitMs;
        try {
            waitMs = await guard.ask(take('rate:' + visitor, limit.perSecond, limit.burst));
        }
        catch (error) {
            guard.down(error);
            return;
        }
        if (!(waitMs > 0))
            return;
        unsaid++;
        if (Date.now() >= quietUntil) {
            // a line a minute at most, however hard the proxy is flooded
            log(`p13n proxy: rate limited ${unsaid} request(s) in the last minute (${limit.perSecond}/s, bursts of ${limit.burst} per address); latest from ${visitor}`);
            quietUntil = Date.now() + MINUTE;
            unsaid = 0;
        }
        const seconds = Math.max(1, Math.ceil(waitMs / 1000));
        return apiError(429, LIMITED_CODE, `too many requests from this address; send again in ${seconds} s`, { 'retry-after': String(seconds) });
    };
}

/** Which pages may use the proxy: its `origins` option, exact origins or `scheme://*.domain[:port]`. */
const PATTERN = /^(https?:\/\/)(\*\.)?([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d+)?$/;
/** A test of an `Origin` header against the list; throws, naming the entry, on one that is not an origin. */
function originTest(origins) {
    if (!Array.isArray(origins) || !origins.length) {
        throw new Error('p13n proxy: origins must list the origins of the pages that may use it, e.g. ["https://www.shop.example"]');
    }
    const exact = new Set();
    const suffixes = [];
    for (const entry of origins) {
        const refused = (why) => new Error(`p13n proxy: ${JSON.stringify(entry)} in origins ${why}`);
        const match = PATTERN.exec(typeof entry == 'string' ? entry.toLowerCase().replace(/\/$/, '') : '');
        if (!match)
            throw refused('is not an origin (scheme://host[:port], or scheme://*.domain)');
        const [, scheme, wildcard, host, port = ''] = match;
        // a wildcard over a domain of one label (*.com) would let in every site under it
        if (wildcard && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host))
            throw refused('is a wildcard over a top-level domain or an address');
        let url;
        try {
            // through URL, so `https://shop.example:443` and the browser's `https://shop.example` are one origin
            url = new URL(scheme + (wildcard ? 'x.' : '') + host + port);
        }
        catch {
            throw refused('is not an origin (scheme://host[:port], or scheme://*.domain)');
        }
        if (wildcard)
            suffixes.push([scheme, '.' + host, url.port]);
        else
            exact.add(url.origin);
    }
    return (origin) => {
        if (!origin)
            return false;
        if (exact.has(origin))
            return true;
        let url;
        try {
            url = new URL(origin);
        }
        catch {
            return false;
        }
        // only an origin as a browser writes it: nothing but scheme, host and port
        const under = (suffix) => url.hostname.endsWith(suffix) && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(url.hostname.slice(0, -suffix.length));
        return url.origin == origin && suffixes.some(([scheme, suffix, port]) => url.protocol + '//' == scheme && url.port == port && under(suffix));
    };
}

/**
 * In this process's memory: right for one instance, lost on restart. At most `maxEntries` keys are kept (the
 * oldest go first), so memory stays bounded at about `maxEntries` times an answer's size whatever the traffic.
 */
function memoryStore({ maxEntries = 100000 } = {}) {
    if (!(maxEntries >= 1))
        throw new Error('p13n proxy: memoryStore maxEntries must be at least 1');
    // claims apart from answers: a burst of new uuids evicts old answers, never a claim whose forward is out (claims
    // are as many as the requests in flight, and end with them)
    const claims = new Map();
    const answers = new Map();
    const live = (map, key) => {
        const entry = map.get(key);
        if (entry && entry[1] <= Date.now())
            map.delete(key);
        return entry && entry[1] > Date.now() ? entry[0] : null;
    };
    const held = (key) => { var _a; return (_a = live(claims, key)) !== null && _a !== void 0 ? _a : live(answers, key); };
    const buckets = new Map();
    return {
        claim: async (key, value, ms) => {
            if (held(key) !== null)
                return false;
            claims.set(key, [value, Date.now() + ms]);
            return true;
        },
        get: async (key) => held(key),
        set: async (key, value, ms) => {
            claims.delete(key);
            answers.delete(key); // to the end of the insertion order, which is the eviction order
            answers.set(key, [value, Date.now() + ms]);
            for (const [oldest, [, expires]] of answers) {
                if (answers.size <= maxEntries && expires > Date.now())
                    break;
                answers.delete(oldest);
            }
        },
        release: async (key, value) => void (live(claims, key) === value && claims.delete(key)),
        take: async (key, perSecond, burst) => takeFrom(buckets, key, perSecond, burst, maxEntries),
    };
}
/**
 * A bucket in memory: `[tokens, at]`. Returns the milliseconds until a token is there (0: one was taken). A bucket
 * that would be full again is the same as none: the least recent ones are dropped as they fill, and beyond
 * `maxEntries` whatever their state, so the map holds the visitors who sent recently, and never more.
 */
function takeFrom(buckets, key, perSecond, burst, maxEntries) {
    const now = Date.now();
    const [tokens, at] = buckets.get(key) || [burst, now];
    const available = Math.min(burst, tokens + ((now - at) * perSecond) / 1000);
    buckets.delete(key); // to the end of the insertion order: the least recent visitors go first
    if (available < 1) {
        buckets.set(key, [available, now]);
        return Math.ceil(((1 - available) * 1000) / perSecond);
    }
    buckets.set(key, [available - 1, now]);
    for (const [oldest, [left, since]] of buckets) {
        if (buckets.size <= maxEntries && left + ((now - since) * perSecond) / 1000 < burst)
            break;
        buckets.delete(oldest);
    }
    return 0;
}
// compare and delete in one step: Redis runs a script atomically
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
/**
 * A token bucket, atomically, on Redis's clock (instances' clocks may differ): "tokens at" under the key, which
 * expires once the bucket would be full again (a full bucket and none are the same). Returns 0 when a token was
 * taken, else the milliseconds until there is one.
 */
const TAKE = `local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local rate, burst = tonumber(ARGV[1]) / 1000, tonumber(ARGV[2])
local tokens, at = burst, now
local held = redis.call('GET', KEYS[1])
if held then
  local t, a = string.match(held, '^(%S+) (%S+)$')
  if t then tokens, at = tonumber(t), tonumber(a) end
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
if tokens < 1 then return math.ceil((1 - tokens) / rate) end
tokens = tokens - 1
redis.call('SET', KEYS[1], string.format('%.6f %d', tokens, now), 'PX', math.ceil((burst - tokens) / rate) + 1000)
return 0`;
/**
 * In Redis, so every proxy instance that uses the same server deduplicates together. Pass a connected client of
 * the official `redis` package, made with `disableOfflineQueue: true` so that commands fail at once rather than
 * wait while it reconnects, and best with `commandOptions: { timeout: 0 }`: the proxy times every call itself, and the
 * client's own timeout costs a timer signal per command. Keys are `prefix` + `database/table/uuid`, each with its own expiry.
 */
function redisStore(client, { prefix = 'p13n:' } = {}) {
    if (!client || typeof client.sendCommand != 'function') {
        throw new Error('p13n proxy: redisStore needs a client of the `redis` package: redisStore(await createClient({ url }).connect())');
    }
    const run = (...args) => client.sendCommand(args);
    /**
     * Runs a script by its SHA-1 (EVALSHA), loading it with EVAL only when Redis does not know it (NOSCRIPT: it
     * restarted, or never saw it): the rate limit runs one for every request, and its text is 600 bytes.
     */
    const script = (source) => {
        const sha = crypto.subtle.digest('SHA-1', new TextEncoder().encode(source)).then((digest) => Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join(''));
        return async (key, ...args) => {
            try {
                return await run('EVALSHA', await sha, '1', prefix + key, ...args);
            }
            catch (error) {
                if (!/NOSCRIPT/.test(String(error instanceof Error ? error.message : error)))
                    throw error;
                return run('EVAL', source, '1', prefix + key, ...args);
            }
        };
    };
    const release = script(RELEASE);
    const take = script(TAKE);
    // Redis takes whole milliseconds only
    const px = (ms) => String(Math.ceil(ms));
    return {
        claim: async (key, value, ms) => (await run('SET', prefix + key, value, 'NX', 'PX', px(ms))) === 'OK',
        get: async (key) => {
            const value = await run('GET', prefix + key);
            return value == null ? null : String(value);
        },
        set: async (key, value, ms) => void (await run('SET', prefix + key, value, 'PX', px(ms))),
        release: async (key, value) => void (await release(key, value)),
        take: async (key, perSecond, burst) => Number(await take(key, String(perSecond), String(burst))),
    };
}

/** Node's `http` module in front of the handler: `http.createServer(toNodeHandler(proxy))`. */
const textAnswer = (status, text) => answer(status, text, { 'content-type': 'text/plain' });
/** Up to one byte over the limit; the rest is read and discarded after, so a huge upload costs no memory. */
async function readCapped$1(req) {
    const chunks = [];
    const source = req[Symbol.asyncIterator]();
    let size = 0;
    while (size <= MAX_BODY) {
        const { value, done } = await source.next();
        if (done)
            return chunks;
        chunks.push(value.subarray(0, MAX_BODY + 1 - size));
        size += chunks[chunks.length - 1].length;
    }
    // answered (413) while the rest still arrives
    void (async () => {
        while (!(await source.next()).done)
            ;
    })().catch(() => { });
    return chunks;
}
/**
 * Serves the handler with Node's `http` module, passing it the peer's address. It never rejects, so a server that
 * ignores its promise (as `http.createServer(toNodeHandler(proxy))` does) cannot be brought down by a request:
 * a method or Host the Fetch API refuses gets 400, an upload cut off midway no answer (no one is there to read it).
 * A handler of createProxy is served from Node's request and response directly; any other through a Web Request.
 */
function toNodeHandler(handler) {
    const serve = handler[SERVE];
    return async (req, res) => {
        let reply;
        try {
            const method = (req.method || 'GET').toUpperCase();
            // methods `new Request` refuses (TRACE, CONNECT), and bodies never needed
            if (method != 'POST')
                reply = notAllowed();
            else {
                const incoming = await incomingOf(req, method);
                reply = 'status' in incoming ? incoming : serve ? await serve(incoming) : await throughFetch(handler, req, incoming);
            }
        }
        catch {
            reply = textAnswer(500, 'Internal Server Error in the p13n proxy');
        }
        try {
            const body = typeof reply.body == 'string' ? encoder.encode(reply.body) : reply.body || new Uint8Array(0);
            res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
            res.end(body);
        }
        catch {
            // the connection is gone: nothing to answer
        }
        // answered; done once the answer is stored too (a server's graceful shutdown waits for this promise)
        await reply.settled;
    };
}
/** A header as the Fetch API reads it: Node's repeated ones joined. */
const headerOf = (req) => (name) => {
    const value = req.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};
/** The request as the proxy reads it, or the 400 for one that cannot be read. */
async function incomingOf(req, method) {
    const header = headerOf(req);
    let url;
    try {
        url = new URL(req.url || '/', 'http://' + (header('host') || 'localhost'));
    }
    catch {
        return textAnswer(400, 'Bad Request: the Host or a header cannot be read');
    }
    const chunks = await readCapped$1(req).catch(() => undefined);
    if (!chunks)
        return textAnswer(400, 'Bad Request: the body was cut off');
    return { method, url, header, body: concat(chunks), peer: req.socket && req.socket.remoteAddress };
}
/** A handler that is not createProxy's, through a Fetch API Request and Response. */
async function throughFetch(handler, req, { method, url, header, body, peer }) {
    const headers = new Headers();
    try {
        for (const name of Object.keys(req.headers)) {
            const value = header(name);
            if (value !== null)
                headers.set(name, value);
        }
    }
    catch {
        return textAnswer(400, 'Bad Request: the Host or a header cannot be read');
    }
    const response = await handler(new Request(url, { method, headers, body }), { address: peer });
    const out = {};
    response.headers.forEach((value, name) => (out[name] = value));
    return answer(response.status, new Uint8Array(await response.arrayBuffer()), out);
}

/**
 * The reference first-party proxy: the page posts to its own origin (`endpoint: '/p13n'`, no apiKey or token)
 * and this adds the credentials from server-side settings, forwards the event to the regional endpoint, and
 * passes the answer back unchanged. The write key never reaches a browser, ad blockers see a first-party path,
 * and a same-origin request needs no CORS preflight. It forwards each event once, by its uuid (dedup.ts). A
 * Web-standard `Request -> Response` handler (Node 20+, Deno, Bun, Cloudflare Workers, service workers), plus
 * `toNodeHandler` for Node's `http` module.
 */
const MEDIA_TYPE = 'application/vnd.treasuredata.v1+json';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = 24 * 60 * 60 * 1000;
/** The body, read to one byte past the limit at most, whatever the runtime buffers (a chunked upload has no length). */
async function readCapped(request) {
    const reader = request.body ? request.body.getReader() : undefined;
    const chunks = [];
    let size = 0;
    while (reader && size <= MAX_BODY) {
        const { value, done } = await reader.read();
        if (done)
            break;
        chunks.push(value);
        size += value.length;
    }
    if (reader && size > MAX_BODY)
        void reader.cancel().catch(() => { });
    return concat(chunks);
}
/** The event, when the body is a JSON object; what was wrong with it otherwise. */
function eventOf(bytes) {
    let event;
    try {
        event = JSON.parse(decoder.decode(bytes));
    }
    catch {
        return 'the body is not JSON';
    }
    return event && typeof event == 'object' && !Array.isArray(event) ? event : 'the body is not a JSON object';
}
/**
 * Signals for the forwards' timeouts. A signal of its own for each (AbortSignal.timeout) cost Node 20 about a tenth
 * of the proxy's CPU (every signal is made a transferable object): the forwards that start within the same tenth
 * of `ms` (100 ms at most) share one, so each is aborted between `ms` and 1.1 × `ms` after it started.
 */
function sharedTimeouts(ms) {
    const step = Math.min(100, ms / 10);
    let signal;
    let until = 0;
    return () => {
        if (!signal || Date.now() >= until) {
            signal = AbortSignal.timeout(ms + step);
            until = Date.now() + step;
        }
        return signal;
    };
}
function createProxy(options) {
    const { apiKey, token, tables, endpoint = 'https://us01.p13n.in.treasuredata.com', timeout = 10000, window: rememberMs = DAY } = options;
    const send = options.fetch || fetch;
    const log = options.log || ((message) => console.warn(message));
    const observe = options.observe || (() => { });
    if (!/^\d+\/[0-9a-f]{40}$/i.test(apiKey))
        throw new Error('p13n proxy: apiKey must be "{account_id}/{40 hex}"');
    if (!/^\d+\/\d+\/[0-9a-f]{32}$/i.test(token))
        throw new Error('p13n proxy: token must be "{account_id}/{instance_id}/{32 hex}"');
    if (!Array.isArray(tables) || !tables.length)
        throw new Error('p13n proxy: tables must list the "database/table" pairs pages may write');
    const duration = (value) => typeof value == 'number' && value > 0 && value < Infinity;
    if (!duration(rememberMs))
        throw new Error('p13n proxy: window must be a number of milliseconds above 0');
    if (!duration(timeout))
        throw new Error('p13n proxy: timeout must be a number of milliseconds above 0');
    const allowed = originTest(options.origins);
    const trusted = hopTest(options.trustedProxies);
    const base = new URL(endpoint).href.replace(/\/$/, '');
    const limit = limitOptions(options.rateLimit);
    const store = options.store === false ? undefined : options.store || memoryStore();
    const guard = guardStore(log, () => observe({ type: 'store-failure' }));
    // a claim outlives the longest forward, so only a crashed instance's claim ever lapses
    const once = store && deduplicate({ store, rememberMs, claimMs: timeout + 2000, guard, duplicate: () => observe({ type: 'duplicate' }) });
    // without a store that keeps buckets, each instance keeps its own, in memory
    const take = store && store.take ? store.take.bind(store) : memoryStore().take;
    const limited = limit ? rateLimiter(take, limit, guard, log) : async () => undefined;
    const timeoutSignal = sharedTimeouts(timeout);
    async function forward(path, incoming, visitor) {
        const headers = {
            // fixed here, so a page may also send text/plain (navigator.sendBeacon can send nothing else)
            'Content-Type': MEDIA_TYPE,
            Accept: MEDIA_TYPE,
            Authorization: 'TD1 ' + apiKey,
            'WP13n-Token': token,
        };
        // the service checks the page's Origin (3007) and may check the visitor's address (3005)
        for (const [name, value] of [['Origin', incoming.header('origin')], ['User-Agent', incoming.header('user-agent')], ['X-Forwarded-For', visitor]]) {
            if (value)
                headers[name] = value;
        }
        const started = performance.now();
        const forwarded = (reply) => (observe({ type: 'forwarded', status: reply.status, seconds: (performance.now() - started) / 1000 }), reply);
        try {
            // no redirect followed (a 502): a runtime that follows one sends the token, a header of ours, on to wherever
            // it points, and the copy of the body that fetch keeps for one cost a tenth of the proxy's allocations
            const upstream = await send(base + path, { method: 'POST', headers, body: incoming.body, redirect: 'error', signal: timeoutSignal() });
            const body = new Uint8Array(await upstream.arrayBuffer());
            const passed = {};
            for (const name of ['content-type', 'retry-after']) {
                const value = upstream.headers.get(name);
                if (value)
                    passed[name] = value;
            }
            return forwarded(answer(upstream.status, body, passed));
        }
        catch {
            // no JSON body: the tag reports `http` 502, retryable
            return forwarded(answer(502, 'Bad Gateway: the personalization service did not answer'));
        }
    }
    const tooLarge = () => apiError(413, 413, `an event may have ${MAX_BODY} bytes`);
    /** A POST (the handler and toNodeHandler refuse any other method before they read a body). */
    async function serve(incoming) {
        const { pathname } = incoming.url;
        const path = /\/([0-9a-z_]{3,128})\/([0-9a-z_]{3,128})\/?$/.exec(pathname);
        if (!path || tables.indexOf(path[1] + '/' + path[2]) < 0)
            return apiError(404, 404, 'this proxy does not write to ' + pathname);
        const origin = incoming.header('origin');
        if (!allowed(origin)) {
            return apiError(403, 3007, `pages on ${origin ? JSON.stringify(origin) : 'an unnamed origin (no Origin header)'} may not use this proxy: add the origin to its origins`);
        }
        if (Number(incoming.header('content-length')) > MAX_BODY || incoming.body.length > MAX_BODY)
            return tooLarge();
        const event = eventOf(incoming.body);
        if (typeof event == 'string')
            return apiError(400, 3004, event + ': an event is a JSON object');
        const visitor = visitorAddress(incoming.peer, incoming.header('x-forwarded-for'), trusted);
        const admit = async () => {
            const refused = await limited(visitor);
            if (refused)
                observe({ type: 'limited' });
            return refused;
        };
        const forwardIt = () => forward(`/${path[1]}/${path[2]}`, incoming, visitor);
        const uuid = event.uuid;
        if (once && typeof uuid == 'string' && UUID.test(uuid))
            return once(`${path[1]}/${path[2]}/${uuid.toLowerCase()}`, forwardIt, admit);
        // no uuid to go by: forwarded as it is, every time
        return (await admit()) || forwardIt();
    }
    // never rejects: a runtime that does not catch (Node's http) must not go down for one request
    const safely = (incoming) => serve(incoming).catch(() => apiError(500, 9999, 'internal error; the event was not forwarded'));
    const handler = async (request, peer) => {
        // refused before the body is read: another method, or a length over the limit
        if (request.method != 'POST')
            return toResponse(notAllowed());
        if (Number(request.headers.get('Content-Length')) > MAX_BODY)
            return toResponse(tooLarge());
        let incoming;
        try {
            const body = await readCapped(request);
            incoming = { method: request.method, url: new URL(request.url), header: (name) => request.headers.get(name), body, peer: peer && peer.address };
        }
        catch {
            return toResponse(apiError(400, 400, 'the body could not be read'));
        }
        const reply = await safely(incoming);
        // a runtime may end the work once the Response is returned (serverless): the answer is stored first
        await reply.settled;
        return toResponse(reply);
    };
    // toNodeHandler serves from Node's own request and response, with no Request or Response in between
    return Object.assign(handler, { [SERVE]: safely });
}

export { createProxy, memoryStore, redisStore, toNodeHandler };
