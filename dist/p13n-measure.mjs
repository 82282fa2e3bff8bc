import { e as exposuresKey } from './p13n-seam.mjs';

/**
 * What the measure module keeps of a visitor's impressions, in `localStorage`, per endpoint and table: every
 * viewable impression of an offer shown (for frequency caps), and the offers seen within the attribution window
 * (for the core to name in `track` events, see `exposuresKey`). Read and written whole, both bounded: a cap counts
 * at most MAX_TIMES impressions of an offer, and nothing is kept past MAX_DAYS.
 */
const MAX_TIMES = 100;
const MAX_DAYS = 400;
const MAX_EXPOSURES = 10;
const DAY = 864e5;
/** What is kept under `key`, when it is of the shape `fallback` is (a list, or an object): storage is page-writable. */
const read = (key, fallback) => {
    try {
        const value = JSON.parse(localStorage.getItem(key) || 'null');
        return value && typeof value == 'object' && Array.isArray(value) == Array.isArray(fallback) ? value : fallback;
    }
    catch {
        return fallback; // storage refused, or not JSON
    }
};
/**
 * Written from strings and numbers only: a page's `Array.prototype.toJSON` (Prototype.js) is never called, so what
 * is kept always reads back.
 */
const write = (key, text) => {
    try {
        localStorage.setItem(key, text);
    }
    catch { } // full or refused: the next impression tries again
};
const pair = (name, value) => JSON.stringify(name) + ':' + value;
/** A cap as TD's offer attribute `p13n_cap` writes it, `N/Dd` (`3/7d`: at most 3 in 7 days); undefined when it is not one. */
function parseCap(cap) {
    const found = typeof cap == 'string' && /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(cap);
    return found ? [+found[1], +found[2]] : undefined;
}
function createRecords(settings) {
    const impressionsKey = 'p13n:impressions:' + settings.url;
    const seenKey = exposuresKey(settings);
    return {
        /** How many viewable impressions of offer `name` (shown, not held out) were recorded in the last `days`. */
        count(name, days, now = Date.now()) {
            const times = read(impressionsKey, {})[name];
            return Array.isArray(times) ? times.filter((time) => time > now - days * DAY).length : 0;
        },
        /** Records viewable impressions of `names` at `now`; `shown` when the visitor saw them (not a holdout). */
        add(names, shown, now = Date.now()) {
            if (shown) {
                const all = read(impressionsKey, {});
                const kept = {};
                for (const name of Object.keys(all)) {
                    const times = Array.isArray(all[name]) ? all[name].filter((time) => typeof time == 'number' && time > now - MAX_DAYS * DAY) : [];
                    if (times.length)
                        kept[name] = times;
                }
                for (const name of names)
                    kept[name] = [now].concat(kept[name] || []).slice(0, MAX_TIMES);
                write(impressionsKey, '{' + Object.keys(kept).map((name) => pair(name, '[' + kept[name].join() + ']')).join() + '}');
            }
            // held out or shown, an offer placed before the visitor names their later conversions: both groups compare
            const until = now + (settings.attribution || 7) * DAY;
            const earlier = read(seenKey, []).filter((seen) => Array.isArray(seen) && seen[1] > now && names.indexOf(seen[0]) < 0);
            const seen = names.map((name) => [name, until]).concat(earlier).slice(0, MAX_EXPOSURES);
            write(seenKey, '[' + seen.map(([name, time]) => '[' + JSON.stringify(name) + ',' + time + ']').join() + ']');
        },
        /** Consent denied: nothing of the visitor's impressions stays. */
        clear() {
            try {
                localStorage.removeItem(impressionsKey);
                localStorage.removeItem(seenKey);
            }
            catch { }
        },
    };
}

/**
 * The MRC/IAB display viewability rule, as a watcher of elements: an element is viewed once at least 50% of its
 * pixels (30% for an element over 242,500 CSS px^2) have been in the viewport for one continuous second, while the
 * tab is visible. One IntersectionObserver for every element. Its ratio is read, not `isIntersecting` (true below
 * the threshold on a first callback), and the second starts again when the tab comes back (Prebid's
 * bidViewabilityIO does neither).
 */
/** CSS px^2 over which an element is large: 30% of it in view is enough. */
const LARGE_AREA = 242500;
/** How long it must stay in view. */
const VIEW_MS = 1000;
/** Calls `viewed(element)` once for each element watched, when it has been viewable by the rule; then lets it go. */
function watchViewability(viewed) {
    const watched = new Map();
    const check = (element, state) => {
        const inView = state.ratio >= (state.large ? 0.3 : 0.5) && document.visibilityState == 'visible';
        if (inView && !state.timer) {
            state.timer = setTimeout(() => {
                forget(element);
                viewed(element);
            }, VIEW_MS);
        }
        else if (!inView && state.timer) {
            clearTimeout(state.timer);
            state.timer = undefined;
        }
    };
    const observer = new IntersectionObserver((entries) => {
        for (const entry of entries) {
            const state = watched.get(entry.target);
            if (!state)
                continue;
            const { width, height } = entry.boundingClientRect;
            // an element with no box (hidden, display: none) is never in view, whatever ratio a browser reports for it
            state.ratio = width * height > 0 ? entry.intersectionRatio : 0;
            state.large = width * height > LARGE_AREA;
            check(entry.target, state);
        }
    }, { threshold: [0, 0.3, 0.5] });
    // the second is one continuous second of a visible tab: it starts again when the tab comes back
    const visibility = () => watched.forEach((state, element) => check(element, state));
    document.addEventListener('visibilitychange', visibility);
    function forget(element) {
        const state = watched.get(element);
        if (!state)
            return;
        clearTimeout(state.timer);
        watched.delete(element);
        observer.unobserve(element);
    }
    return {
        watch(element) {
            if (watched.has(element))
                return;
            watched.set(element, { ratio: 0, large: false });
            observer.observe(element);
        },
        forget,
        stop() {
            watched.forEach((state) => clearTimeout(state.timer));
            watched.clear();
            observer.disconnect();
            document.removeEventListener('visibilitychange', visibility);
        },
    };
}

/** Impressions that become viewable within this long of the first of a batch go in one event. */
const BATCH_MS = 2000;
/** The places of an offer: a slot, an element the page marks, TD's content (a replacement's target, the modal). */
const PLACES = (name) => `[data-p13n-offer="${CSS.escape(name)}"],[data-p13n-measure="${CSS.escape(name)}"]`;
const MARKED = '[data-p13n-offer],[data-p13n-measure]';
const markOf = (element) => element.getAttribute('data-p13n-measure') || element.getAttribute('data-p13n-offer');
function createMeasure(kit, settings) {
    const measuring = settings.measure === true;
    const records = createRecords(settings);
    /** The offers of the latest answers, by name: which answer placed each, for whom. */
    let placed = new Map();
    /** Offers held out of the latest answer: their places keep what the page shows by default. */
    let held = new Set();
    /** `view name` of every impression recorded: once per offer per page view. */
    const counted = new Set();
    /** Elements watched or viewed for the answer that placed them (`view`): a re-render of one answer counts once. */
    const seenFor = new WeakMap();
    /** The offer each element watched is a place of (TD's content is named by its events, not by the page's markup). */
    const names = new WeakMap();
    /** Impressions waiting for their batch, by `view group`. */
    let batches = new Map();
    let timer;
    let stopped = false;
    /** The modal's offer between its `shown` and `closed`, and whether a click came. */
    let modal;
    const send = (event, names, { view, group }) => {
        if (!stopped)
            kit.request({ event, p13n_offers: names, p13n_view: view, p13n_group: group }, true);
    };
    /** Every batch out now: its window ended, or the page is being left. */
    const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        batches.forEach((names, key) => {
            const [view, group] = key.split(' ');
            send('p13n_impression', names, { view, group: group });
        });
        batches = new Map();
    };
    const impression = (name, at) => {
        const key = at.view + ' ' + name;
        if (counted.has(key) || stopped)
            return;
        counted.add(key);
        records.add([name], at.group == 'treated');
        const batch = at.view + ' ' + at.group;
        batches.set(batch, (batches.get(batch) || []).concat(name));
        timer = timer || setTimeout(flush, BATCH_MS);
    };
    const views = measuring
        ? watchViewability((element) => {
            const name = names.get(element);
            const at = name != null && placed.get(name);
            if (at && seenFor.get(element) == at.view)
                impression(name, at);
        })
        : undefined;
    /** Watches `element` as a place of offer `name`, for the answer `at` placed it with. */
    const watch = (element, name, at) => {
        if (!views || seenFor.get(element) == at.view || counted.has(at.view + ' ' + name))
            return;
        seenFor.set(element, at.view);
        names.set(element, name);
        // a new answer's second starts from now
        views.forget(element);
        views.watch(element);
    };
    /** Watches every place of the offers placed: what has no box (a hidden slot, say) is simply never in view. */
    const scan = () => {
        if (!stopped)
            placed.forEach((at, name) => document.querySelectorAll(PLACES(name)).forEach((element) => watch(element, name, at)));
    };
    let scanning;
    const later = () => (scanning = scanning || setTimeout(() => ((scanning = undefined), scan())));
    /** The offer a click in the page's DOM landed in, when it landed on a link or button of it. */
    const clicked = (event) => {
        const target = event.target;
        const control = target && target.closest && target.closest('a[href],button,[role="button"],input[type="submit"]');
        const place = control && control.closest(MARKED);
        const name = place && markOf(place);
        const at = name != null && placed.get(name);
        if (at && at.group == 'treated' && !held.has(name))
            send('p13n_click', [name], at);
    };
    /** TD's content tells of itself: the messages module's `p13n:message` events. */
    const message = (event) => {
        const detail = event.detail;
        const at = detail && placed.get(detail.name);
        if (!at)
            return;
        if (detail.action == 'shown') {
            const host = event.target == document ? document.querySelector('p13n-modal') : event.target;
            const place = host && host.shadowRoot ? host.shadowRoot.querySelector('dialog') || host : host;
            if (detail.type == 'modal')
                modal = { name: detail.name, clicked: false };
            if (place)
                watch(place, detail.name, at);
        }
        else if (detail.action == 'click') {
            if (modal && detail.type == 'modal')
                modal.clicked = true;
            send('p13n_click', [detail.name], at);
        }
        else if (detail.action == 'closed' && modal && modal.name == detail.name) {
            if (!modal.clicked)
                send('p13n_dismiss', [detail.name], at);
            modal = undefined;
        }
    };
    /** A slot of an offer held out keeps what the page shows by default: its rendering is declined. */
    const render = (event) => {
        const name = event.detail.name;
        if (held.has(name))
            event.preventDefault();
    };
    const leaving = () => document.visibilityState == 'hidden' && flush();
    document.addEventListener('p13n:render', render, true);
    let marks;
    if (measuring) {
        document.addEventListener('click', clicked, true);
        document.addEventListener('p13n:message', message);
        document.addEventListener('visibilitychange', leaving);
        addEventListener('pagehide', flush);
        // elements a framework renders after the answer (the bindings' <Offer>) or marks later
        marks = new MutationObserver(later);
        marks.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-p13n-measure', 'data-p13n-offer', 'hidden'] });
    }
    return {
        /**
         * An answer's `offers` (the request's `uuid`; a page view's when `view`), before the page is shown them: what
         * the page is shown (nothing in the control group; an offer held out
         * by its `p13n_holdout`, or past its `p13n_cap`, taken out), and `true` when a holdout withheld offers.
         */
        answer(offers, uuid, view) {
            const visible = {};
            const now = new Map();
            held = new Set();
            const id = kit.clientId();
            // the visitor's group, drawn as the core draws the p13n_group of its requests
            const control = !!settings.holdout && kit.fraction(id) < settings.holdout;
            for (const name of Object.keys(offers)) {
                const attributes = (offers[name] && offers[name].attributes) || {};
                const share = attributes.p13n_holdout;
                const cap = parseCap(attributes.p13n_cap);
                if (control || (typeof share == 'number' && kit.fraction(id + ' ' + name) < share))
                    held.add(name);
                else if (cap && measuring && records.count(name, cap[1]) >= cap[0])
                    continue; // past its cap: as if absent
                else
                    visible[name] = offers[name];
                now.set(name, { view: uuid, group: held.has(name) ? 'holdout' : 'treated' });
            }
            // a page view starts again from its own offers; a personalize adds its own to what is on the page
            placed = view ? now : new Map([...placed, ...now]);
            later();
            return held.size ? [visible, true] : [visible];
        },
        /** Consent denied: nothing more is measured, and nothing of the visitor's impressions stays. */
        clear() {
            stopped = true;
            clearTimeout(timer);
            batches = new Map();
            placed = new Map();
            held = new Set();
            if (views)
                views.stop();
            if (marks)
                marks.disconnect();
            document.removeEventListener('p13n:render', render, true);
            document.removeEventListener('click', clicked, true);
            document.removeEventListener('p13n:message', message);
            document.removeEventListener('visibilitychange', leaving);
            removeEventListener('pagehide', flush);
            records.clear();
        },
    };
}

export { BATCH_MS, createMeasure as default };
