import { M as MESSAGE_KEY } from './p13n-seam.mjs';

const CSS = `dialog{padding:0;border:0;border-radius:8px;max-width:min(92vw,640px);max-height:90vh;overflow:auto;box-shadow:0 12px 48px rgba(0,0,0,.35);color:#111;background:#fff}
dialog::backdrop{background:rgba(0,0,0,.55)}
.content{padding:24px}
.close{position:absolute;top:4px;right:4px;width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:#111;font:28px/1 sans-serif;cursor:pointer}
.close:focus-visible{outline:3px solid #1a5fff;outline-offset:-3px}`;
/** The style sheets of a shadow root: constructed, so no CSP nonce is needed. */
function sheet(css) {
    const made = new CSSStyleSheet();
    made.replaceSync(css);
    return made;
}
let own$1;
/**
 * Opens `content` as a modal dialog; `closed` runs once it is closed (by Escape, the close button, a click on the
 * backdrop, or `close()`), after the page has its scroll and its focus back. Returns `close`.
 */
function openModal(content, sheets, closed, clicked) {
    const host = document.createElement('p13n-modal');
    const root = host.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [(own$1 = own$1 || sheet(CSS)), ...sheets];
    const dialog = document.createElement('dialog');
    const body = document.createElement('div');
    const button = document.createElement('button');
    body.className = 'content';
    body.append(content.nodes);
    button.className = 'close';
    button.type = 'button';
    button.setAttribute('aria-label', 'Close');
    button.textContent = '\u00d7';
    dialog.append(body, button);
    dialog.setAttribute('aria-modal', 'true');
    // named by its first heading, else by the start of its text
    const heading = body.querySelector('h1,h2,h3,h4,h5,h6');
    if (heading)
        dialog.setAttribute('aria-labelledby', (heading.id = heading.id || 'p13n-message-title'));
    else
        dialog.setAttribute('aria-label', (body.textContent || '').trim().slice(0, 80) || 'Message');
    root.append(dialog);
    const page = document.documentElement;
    const overflow = page.style.overflow;
    const before = document.activeElement;
    dialog.addEventListener('close', () => {
        page.style.overflow = overflow;
        host.remove();
        if (before && before.isConnected && before.focus)
            before.focus();
        closed();
    });
    dialog.addEventListener('click', (event) => {
        // the dialog itself is the target only outside its content: on the backdrop
        if (event.target == dialog)
            dialog.close();
        const link = event.target.closest('a[href]');
        if (link)
            clicked(link.href);
    });
    button.addEventListener('click', () => dialog.close());
    // showModal() makes the page inert, but past the last control Chromium and Firefox let Tab leave for the
    // browser's own UI: the focus goes round inside the dialog instead
    dialog.addEventListener('keydown', (event) => {
        // keyCode too: WebKitGTK's driver sends Shift+Tab with the key 'Unidentified'
        if (event.key != 'Tab' && event.keyCode != 9)
            return;
        const stops = Array.from(dialog.querySelectorAll('a[href],button,summary,[tabindex]:not([tabindex="-1"])'));
        const at = root.activeElement;
        const edge = event.shiftKey ? (at == stops[0] || at == body ? stops[stops.length - 1] : null) : at == stops[stops.length - 1] ? stops[0] : null;
        if (edge) {
            event.preventDefault();
            edge.focus();
        }
    });
    (document.body || page).append(host);
    page.style.overflow = 'hidden';
    dialog.showModal();
    // the close button first in focus order would be read before the message: focus starts on the dialog's content
    body.tabIndex = -1;
    body.focus();
    return () => dialog.open && dialog.close();
}

// a shadow root cannot be taken off: the one attached to a target serves its every later message
const roots = new WeakMap();
/** Hides `target`'s content at once (an empty shadow root renders nothing) and gives the root its message goes into. */
function hold(target) {
    let root = roots.get(target);
    if (!root) {
        try {
            roots.set(target, (root = target.attachShadow({ mode: 'open' })));
        }
        catch { }
    }
    if (root) {
        const shadow = root;
        shadow.replaceChildren();
        return {
            root: shadow,
            restore() {
                shadow.adoptedStyleSheets = [];
                shadow.replaceChildren(document.createElement('slot'));
            },
        };
    }
    const kept = Array.from(target.childNodes);
    const host = document.createElement('p13n-message');
    target.replaceChildren(host);
    return { root: host.attachShadow({ mode: 'open' }), restore: () => host.parentNode == target && target.replaceChildren(...kept) };
}

/**
 * The purify module's SHA-256 SRI hash, without its `sha256-`: the build (rollup.config.mjs) writes it in, so the
 * messages module pins the sanitizer it loads, and every page's core need not carry the hash of a module only a
 * browser without `Element.setHTML` on a page with a message ever loads. Empty outside the IIFE build.
 */
const PURIFY_HASH = '';

/** What the content may be made of: the layout, text and media of an e-mail-style editor; no form, frame, script, SVG or MathML. */
const ELEMENTS = ('a abbr article aside b bdi bdo blockquote br caption center cite code col colgroup dd del details dfn div dl dt em ' +
    'figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark nav ol p picture pre q s samp ' +
    'section small source span strong style sub summary sup table tbody td tfoot th thead time tr u ul var wbr').split(' ');
/** The attributes any of them may carry; `href` and `src` are checked again below (web, mail and phone links only). */
const ATTRIBUTES = ('align alt aria-describedby aria-hidden aria-label aria-labelledby bgcolor border cellpadding cellspacing class color ' +
    'colspan datetime dir face height href hreflang id lang rel role rowspan sizes size span src srcset start style ' +
    'target title type valign width').split(' ');
const LINK = /^(https?|mailto|tel):$/;
/**
 * What the sanitizers leave, made ready for the page: links and sources that are not web, mail or phone URLs
 * go (`data:` stays for images), `<style>` elements become style sheet text, and each `style` attribute is moved
 * onto the element through CSSOM once it is in this document, where markup's inline styles would meet the CSP.
 */
function finish(inert) {
    let css = '';
    const styled = [];
    inert.querySelectorAll('*').forEach((element) => {
        for (const name of ['href', 'src']) {
            const value = element.getAttribute(name);
            if (value == null)
                continue;
            let url;
            try {
                url = new URL(value, location.href);
            }
            catch { }
            if (!url || !(LINK.test(url.protocol) || (name == 'src' && element.localName == 'img' && url.protocol == 'data:')))
                element.removeAttribute(name);
        }
        if (element.localName == 'style') {
            css += element.textContent + '\n';
            element.remove();
        }
        const style = element.getAttribute('style');
        if (style != null) {
            styled.push([element, style]);
            element.removeAttribute('style');
        }
    });
    const nodes = document.createDocumentFragment();
    nodes.append(...Array.from(inert.childNodes));
    styled.forEach(([element, style]) => (element.style.cssText = style));
    return { nodes, css };
}
/** The browser's own sanitizer, parsing into an inert document (nothing loads, nothing is styled there). */
function native(html) {
    const box = document.implementation.createHTMLDocument('').createElement('div');
    box.setHTML(html, { sanitizer: { elements: ELEMENTS, attributes: ATTRIBUTES } });
    return finish(box);
}
const hasSetHTML = () => 'setHTML' in Element.prototype;
/** A sanitizer: the native one at once, else once the `purify` module is in. */
function createSanitizer(loadPurify) {
    if (hasSetHTML())
        return Promise.resolve(native);
    return loadPurify(PURIFY_HASH).then((purify) => (html) => finish(purify(html, ELEMENTS, ATTRIBUTES)));
}

/**
 * The messages module: Treasure Data's in-browser content (its content editor's `td_in_browser.message_json`),
 * loaded by the first answer that carries a message. A replacement fills every element its selector matches, late
 * ones included (the core's one MutationObserver hands them over), and a later page view without it restores what
 * it replaced; a modal opens an accessible dialog, once per visit unless the offer says otherwise. The HTML is
 * sanitized (./sanitize.ts) and lives in shadow roots, so its styles stay inside. Each message is announced by a
 * cancelable `p13n:message` event first, then followed by more of them (README, "In-browser content").
 */
/** The targets one replacement fills per page view, at most: a page that adds matching elements without end costs bounded work. */
const MAX_TARGETS = 50;
/** sessionStorage: the offers whose modal this visit has shown, by name. */
const SHOWN_KEY = 'p13n:modals';
const own = (object, key) => object && typeof object == 'object' && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
/** The message JSON as TD sends it; td-js-sdk halves doubled backslashes first, so a string only that reading parses is read so too. */
function parse(raw) {
    let value;
    try {
        value = JSON.parse(raw);
    }
    catch {
        value = JSON.parse(raw.replace(/\\\\/g, '\\'));
    }
    // encoded twice
    return typeof value == 'string' ? JSON.parse(value) : value;
}
/** The messages `offers` carry, in the answer's order; one that cannot be shown is reported and left out. */
function readMessages(offers, report) {
    const found = [];
    for (const name of Object.keys(offers)) {
        const attributes = own(offers[name], 'attributes');
        const raw = own(attributes, MESSAGE_KEY);
        if (raw == null)
            continue;
        const wrong = (why) => report(`message ${name}: ${why}`);
        let message;
        try {
            message = parse(raw);
        }
        catch {
            wrong(MESSAGE_KEY + ' is not JSON');
            continue;
        }
        const type = own(message, 'type');
        const html = own(message, 'content_html');
        const selector = own(message, 'selector');
        if (type != 'replacement' && type != 'modal') {
            wrong(`type ${JSON.stringify(type)} is neither "replacement" nor "modal"`);
            continue;
        }
        if (typeof html != 'string') {
            wrong('content_html is not a string');
            continue;
        }
        if (type == 'replacement') {
            try {
                document.querySelector(selector);
                if (typeof selector != 'string' || !selector.trim())
                    throw 0;
            }
            catch {
                wrong(`selector ${JSON.stringify(selector)} is not a CSS selector`);
                continue;
            }
        }
        found.push({ name, type: type, html, selector: type == 'replacement' ? selector : undefined, key: name + '\n' + raw, count: 0, everyPage: own(attributes, 'p13n_modal_frequency') == 'page' });
    }
    return found;
}
/** A `p13n:message` event on `target`: `show` comes first and is cancelable (the page renders it itself, or not at all). */
function announce(target, action, message, href) {
    const detail = { action, name: message.name, type: message.type, selector: message.selector, href };
    return target.dispatchEvent(new CustomEvent('p13n:message', { bubbles: true, cancelable: action == 'show', detail }));
}
const storage = (change) => {
    try {
        const keys = JSON.parse(sessionStorage.getItem(SHOWN_KEY) || '[]');
        if (change)
            sessionStorage.setItem(SHOWN_KEY, JSON.stringify(change(keys)));
        return keys;
    }
    catch {
        return []; // storage refused: a modal may show again on the next page
    }
};
function createMessages(kit) {
    let sanitizer;
    /** The replacements in force: the latest page view's, and those of `personalize` answers since. */
    let active = [];
    /** Each target filled, and how to give it its own content back; or left to the page (a cancelled `show`). */
    const placed = new Map();
    let modal;
    // the words are the module's: the core, which every page loads, carries none of them
    const report = (why) => kit.report({ code: 'message', message: `p13n: ${why}; see https://www.npmjs.com/package/p13n-tag#errors` });
    /** The sanitizer, loaded once; a failure is reported once, and tried again by the next answer. */
    const sanitize = () => (sanitizer =
        sanitizer ||
            createSanitizer(kit.purify).catch((why) => {
                sanitizer = undefined;
                report('not shown: ' + why);
                throw 0;
            }));
    const restore = (target) => {
        const was = placed.get(target);
        if (!was)
            return;
        placed.delete(target);
        if (!was.restore)
            return; // the page's own doing
        was.restore();
        if (target.isConnected)
            announce(target, 'restored', was.message);
    };
    /** Fills `target` with `message`, once: a target that shows it already is left alone, whatever a framework does to it. */
    function place(target, message) {
        const was = placed.get(target);
        if ((was && was.message.key == message.key) || message.count >= MAX_TARGETS || target.localName.startsWith('p13n-'))
            return;
        message.count++;
        restore(target);
        if (!announce(target, 'show', message))
            return void placed.set(target, { message });
        const spot = hold(target);
        placed.set(target, { message, restore: spot.restore });
        const current = () => placed.has(target) && placed.get(target).message == message;
        return sanitize().then((clean) => {
            if (!current())
                return; // replaced or restored meanwhile
            try {
                const content = clean(message.html);
                spot.root.adoptedStyleSheets = [(message.sheet = message.sheet || sheet(content.css))];
                spot.root.replaceChildren(content.nodes);
            }
            catch (why) {
                report(`message ${message.name}: not shown: ${why}`);
                return restore(target);
            }
            spot.root.addEventListener('click', (event) => {
                const link = event.target.closest('a[href]');
                if (link && current())
                    announce(target, 'click', message, link.href);
            });
            announce(target, 'shown', message);
        }, () => current() && restore(target));
    }
    function open(message) {
        // once a visit per offer, by its name: a modal whose text follows the profile is still the same one
        if (modal || (!message.everyPage && storage().indexOf(message.name) >= 0) || !announce(document, 'show', message))
            return;
        const pending = (modal = { close() { } });
        return sanitize().then((clean) => {
            if (modal != pending)
                return; // consent was denied meanwhile
            try {
                const content = clean(message.html);
                pending.close = openModal(content, [sheet(content.css)], () => {
                    if (modal == pending)
                        modal = undefined;
                    announce(document, 'closed', message);
                }, (href) => announce(document, 'click', message, href));
            }
            catch (why) {
                modal = undefined;
                return report(`message ${message.name}: not shown: ${why}`);
            }
            storage((keys) => keys.concat(message.name));
            announce(document, 'shown', message);
        }, () => modal == pending && (modal = undefined));
    }
    /** Late targets: an added element that matches a replacement in force, or holds one that does. */
    kit.watch((records) => {
        try {
            records.forEach((record) => record.addedNodes.forEach((node) => {
                // the tag's own hosts (p13n-message, p13n-modal) are never targets: a selector such as `div *` would chase them
                if (node.nodeType != 1 || !node.isConnected || node.localName.startsWith('p13n-'))
                    return;
                for (const message of active) {
                    if (node.matches(message.selector))
                        place(node, message);
                    node.querySelectorAll(message.selector).forEach((target) => place(target, message));
                }
            }));
        }
        catch { } // a page's odd DOM must not cost it the rest
    });
    return {
        /**
         * Shows the messages of `offers`; a page view's (`view`) also restores the targets of the messages it no
         * longer carries. Settles (never rejects) once what is on the page now is filled.
         */
        show(offers, view) {
            const filling = [];
            try {
                const found = readMessages(offers, report);
                const replacements = found.filter((message) => message.type == 'replacement');
                if (view) {
                    const kept = replacements.map((message) => message.key);
                    placed.forEach((was, target) => (kept.indexOf(was.message.key) < 0 || !target.isConnected) && restore(target));
                    active = [];
                }
                active = active.filter((message) => !replacements.some((next) => next.key == message.key)).concat(replacements);
                for (const message of found) {
                    if (message.type == 'modal')
                        filling.push(open(message));
                    else
                        document.querySelectorAll(message.selector).forEach((target) => filling.push(place(target, message)));
                }
            }
            catch { } // whatever a page did to its DOM, the page view's other messages and the tag go on
            return Promise.all(filling).then(() => { }, () => { });
        },
        /** Consent denied: every target gets its own content back, the modal closes, and the visit's record goes. */
        clear() {
            active = [];
            placed.forEach((_, target) => restore(target));
            if (modal)
                modal.close();
            modal = undefined;
            try {
                sessionStorage.removeItem(SHOWN_KEY);
            }
            catch { }
        },
    };
}

export { MAX_TARGETS, SHOWN_KEY, createMessages as default, readMessages };
