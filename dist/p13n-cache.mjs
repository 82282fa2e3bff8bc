const isObject = (value) => !!value && typeof value == 'object' && !Array.isArray(value);
/** `object[key]` when it is the object's own: storage is page-writable, and a polluted prototype supplies nothing. */
const own = (object, key) => (isObject(object) && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined);
/** Paths kept: the pages a visitor comes back to, at a few KB each. */
const MAX_PATHS = 20;
/**
 * The offers cache (`cache: { ttl }`): the last page-view answer per path, kept `ttl` seconds in `localStorage`
 * under `p13n:cache:{request URL}` (or in memory where storage throws), at most MAX_PATHS paths, the oldest dropped first. A repeat
 * view renders from it as soon as the module is in, while the fresh answer, which wins, is on its way. The JSON is
 * written by the core's own writer (`toJSON`), which no `Array.prototype.toJSON` of the page's bends.
 */
function createCache(settings, { toJSON }) {
    const key = 'p13n:cache:' + settings.url;
    const ttl = settings.cache ? settings.cache.ttl : 0;
    let memory = {};
    let stored = true; // false from the first time storage throws: then the cache lives in memory
    /** The entry at `path` when it is whole and fresh, read from own properties only: storage is page-writable. */
    const entry = (all, path, now) => {
        const value = own(all, path);
        const t = own(value, 't');
        const answer = { t, offers: own(value, 'offers'), status: own(value, 'status'), uuid: own(value, 'uuid') };
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

export { MAX_PATHS, createCache as default };
