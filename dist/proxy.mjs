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

/** An error the proxy answers itself, in the API's own shape, `{code, message}`, so the tag reads it as the service's. */
const apiError = (status, code, message, headers = {}) => new Response(JSON.stringify({ code, message: 'p13n proxy: ' + message }), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/**
 * Exactly once at the service: the first arrival of an event's uuid is forwarded, and every later arrival of it
 * gets the first one's answer. A tag cannot know whether a request that was out as its page unloaded got
 * through, so it sends the event again with the same uuid; here, on the server, that can be known.
 */
/** Marks a claim: the first arrival is being forwarded. An answer is remembered as JSON, which never starts so. */
const PENDING = 'pending ';
/** How often a later arrival looks whether the first one's answer is in. */
const POLL_MS = 50;
/** A store that does not answer within this is treated as unreachable, so a visitor never waits on it long. */
const STORE_TIMEOUT_MS = 1000;
/** After a store failure, how long the proxy forwards without asking the store, rather than wait on it each time. */
const STORE_RETRY_MS = 5000;
/** Answers sending again cannot change are remembered; a failure (5xx, 429, 408, a timeout's 502) is not. */
const final = (status) => status < 500 && status != 429 && status != 408;
const replay = ({ status, type, body }) => new Response(body || null, { status, headers: { ...(type ? { 'Content-Type': type } : {}), 'P13n-Duplicate': 'true' } });
const busy = () => apiError(503, 9999, 'this event is still being forwarded; send it again later', { 'Retry-After': '1' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Returns `once(key, forward)`: `forward()` for the first arrival of `key`, its remembered answer for the rest. */
function deduplicate({ store, rememberMs, claimMs, log }) {
    let downUntil = 0;
    const ask = (work) => {
        let timer;
        const late = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
        });
        return Promise.race([work, late])
            .finally(() => clearTimeout(timer))
            .then((value) => {
            if (downUntil)
                log('p13n proxy: the deduplication store answers again; deduplicating');
            downUntil = 0;
            return value;
        });
    };
    const down = (error) => {
        if (!downUntil) {
            log(`p13n proxy: the deduplication store failed (${error instanceof Error ? error.message : error}); ` +
                'forwarding every arrival (at least once, duplicates possible) until it answers again');
        }
        downUntil = Date.now() + STORE_RETRY_MS;
    };
    /**
     * `'claimed'` once this arrival holds the claim, the remembered answer when the first arrival's is in, `'busy'`
     * when it is still being forwarded after a claim's whole life, `'unknown'` when the store fails.
     */
    async function claimOrWait(key, claim) {
        const deadline = Date.now() + claimMs;
        let held;
        try {
            for (;;) {
                if (await ask(store.claim(key, claim, claimMs)))
                    return 'claimed';
                held = await ask(store.get(key));
                if (held && !held.startsWith(PENDING))
                    break;
                // still in flight elsewhere (or gone between the two calls: claim again at once)
                if (Date.now() > deadline)
                    return 'busy';
                if (held)
                    await sleep(POLL_MS);
            }
        }
        catch (error) {
            down(error);
            return 'unknown';
        }
        try {
            const answer = JSON.parse(held);
            if (answer.status >= 200 && answer.status < 600 && typeof answer.body == 'string')
                return answer;
        }
        catch { }
        return 'unknown'; // not written by this proxy: forwarding is the safe side
    }
    return async function once(key, forward) {
        if (Date.now() < downUntil)
            return forward();
        const claim = PENDING + crypto.randomUUID();
        const found = await claimOrWait(key, claim);
        if (found == 'unknown')
            return forward();
        if (found == 'busy')
            return busy();
        if (found != 'claimed')
            return replay(found);
        const response = await forward();
        if (!final(response.status)) {
            await ask(store.release(key, claim)).catch(down);
            return response;
        }
        const answer = { status: response.status, type: response.headers.get('Content-Type'), body: await response.text() };
        await ask(store.set(key, JSON.stringify(answer), rememberMs)).catch(down);
        return new Response(answer.body || null, { status: answer.status, headers: response.headers });
    };
}

/** The most an event may carry: one keepalive request's share (64 KiB), as the tag itself holds to. */
const MAX_BODY = 64 * 1024;
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
const plain = (status, text) => new Response(text, { status, headers: { 'Content-Type': 'text/plain' } });
/**
 * Serves the handler with Node's `http` module, passing it the peer's address. It never rejects, so a server that
 * ignores its promise (as `http.createServer(toNodeHandler(proxy))` does) cannot be brought down by a request:
 * a method or Host the Fetch API refuses gets 400, an upload cut off midway no answer (no one is there to read it).
 */
function toNodeHandler(handler) {
    return async (req, res) => {
        let response;
        try {
            const method = (req.method || 'GET').toUpperCase();
            // methods `new Request` refuses (TRACE, CONNECT), and bodies never needed
            if (method != 'POST')
                response = new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } });
            else {
                const headers = new Headers();
                let url;
                try {
                    for (const [name, value] of Object.entries(req.headers)) {
                        if (value !== undefined)
                            headers.set(name, Array.isArray(value) ? value.join(', ') : value);
                    }
                    url = new URL(req.url || '/', 'http://' + (headers.get('Host') || 'localhost'));
                }
                catch {
                    response = plain(400, 'Bad Request: the Host or a header cannot be read');
                }
                response !== null && response !== void 0 ? response : (response = await readCapped$1(req).then((chunks) => handler(new Request(url, { method, headers, body: new Blob(chunks) }), { address: req.socket && req.socket.remoteAddress }), () => plain(400, 'Bad Request: the body was cut off')));
            }
        }
        catch {
            response = plain(500, 'Internal Server Error in the p13n proxy');
        }
        try {
            const out = {};
            response.headers.forEach((value, name) => (out[name] = value));
            const body = new Uint8Array(await response.arrayBuffer());
            res.writeHead(response.status, out);
            res.end(body);
        }
        catch {
            // the connection is gone: nothing to answer
        }
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
    };
}
// compare and delete in one step: Redis runs a script atomically
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
/**
 * In Redis, so every proxy instance that uses the same server deduplicates together. Pass a connected client of
 * the official `redis` package, made with `disableOfflineQueue: true` so that commands fail at once rather than
 * wait while it reconnects. Keys are `prefix` + `database/table/uuid`, each with its own expiry.
 */
function redisStore(client, { prefix = 'p13n:' } = {}) {
    if (!client || typeof client.sendCommand != 'function') {
        throw new Error('p13n proxy: redisStore needs a client of the `redis` package: redisStore(await createClient({ url }).connect())');
    }
    const run = (...args) => client.sendCommand(args);
    // Redis takes whole milliseconds only
    const px = (ms) => String(Math.ceil(ms));
    return {
        claim: async (key, value, ms) => (await run('SET', prefix + key, value, 'NX', 'PX', px(ms))) === 'OK',
        get: async (key) => {
            const value = await run('GET', prefix + key);
            return value == null ? null : String(value);
        },
        set: async (key, value, ms) => void (await run('SET', prefix + key, value, 'PX', px(ms))),
        release: async (key, value) => void (await run('EVAL', RELEASE, '1', prefix + key, value)),
    };
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
    const bytes = new Uint8Array(size);
    chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
    return bytes.buffer;
}
/** The headers among `names` that `from` has, as `[name, value]` pairs. */
const pick = (from, names) => names.flatMap((name) => {
    const value = from.get(name);
    return value ? [[name, value]] : [];
});
/** The event, when the body is a JSON object; what was wrong with it otherwise. */
function eventOf(bytes) {
    let event;
    try {
        event = JSON.parse(new TextDecoder().decode(bytes));
    }
    catch {
        return 'the body is not JSON';
    }
    return event && typeof event == 'object' && !Array.isArray(event) ? event : 'the body is not a JSON object';
}
function createProxy(options) {
    const { apiKey, token, tables, endpoint = 'https://us01.p13n.in.treasuredata.com', timeout = 10000, window: rememberMs = DAY } = options;
    const send = options.fetch || fetch;
    const log = options.log || ((message) => console.warn(message));
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
    const store = options.store === false ? undefined : options.store || memoryStore();
    // a claim outlives the longest forward, so only a crashed instance's claim ever lapses
    const once = store && deduplicate({ store, rememberMs, claimMs: timeout + 2000, log });
    async function forward(path, body, request, visitor) {
        const headers = {
            // fixed here, so a page may also send text/plain (navigator.sendBeacon can send nothing else)
            'Content-Type': MEDIA_TYPE,
            Accept: MEDIA_TYPE,
            Authorization: 'TD1 ' + apiKey,
            'WP13n-Token': token,
            // the service checks the page's Origin (3007) and may check the visitor's address (3005)
            ...Object.fromEntries(pick(request.headers, ['Origin', 'User-Agent'])),
        };
        if (visitor)
            headers['X-Forwarded-For'] = visitor;
        try {
            const upstream = await send(base + path, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeout) });
            const bytes = await upstream.arrayBuffer();
            // an empty body as null: a Response with a body cannot have status 204
            return new Response(bytes.byteLength ? bytes : null, { status: upstream.status, headers: pick(upstream.headers, ['Content-Type', 'Retry-After']) });
        }
        catch {
            // no JSON body: the tag reports `http` 502, retryable
            return new Response('Bad Gateway: the personalization service did not answer', { status: 502 });
        }
    }
    async function handle(request, peer) {
        if (request.method != 'POST') {
            return new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } });
        }
        const { pathname } = new URL(request.url);
        const path = /\/([0-9a-z_]{3,128})\/([0-9a-z_]{3,128})\/?$/.exec(pathname);
        if (!path || tables.indexOf(path[1] + '/' + path[2]) < 0)
            return apiError(404, 404, 'this proxy does not write to ' + pathname);
        const origin = request.headers.get('Origin');
        if (!allowed(origin)) {
            return apiError(403, 3007, `pages on ${origin ? JSON.stringify(origin) : 'an unnamed origin (no Origin header)'} may not use this proxy: add the origin to its origins`);
        }
        const tooLarge = () => apiError(413, 413, `an event may have ${MAX_BODY} bytes`);
        if (Number(request.headers.get('Content-Length')) > MAX_BODY)
            return tooLarge();
        const body = await readCapped(request);
        if (body.byteLength > MAX_BODY)
            return tooLarge();
        const event = eventOf(body);
        if (typeof event == 'string')
            return apiError(400, 3004, event + ': an event is a JSON object');
        const send = () => forward(`/${path[1]}/${path[2]}`, body, request, visitorAddress(peer && peer.address, request.headers.get('X-Forwarded-For'), trusted));
        const uuid = event.uuid;
        // no uuid to go by: forwarded as it is, every time
        return once && typeof uuid == 'string' && UUID.test(uuid) ? once(`${path[1]}/${path[2]}/${uuid.toLowerCase()}`, send) : send();
    }
    // never rejects: a runtime that does not catch (Node's http) must not go down for one request
    return (request, peer) => handle(request, peer).catch(() => apiError(500, 9999, 'internal error; the event was not forwarded'));
}

export { createProxy, memoryStore, redisStore, toNodeHandler };
