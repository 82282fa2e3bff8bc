import { M as MESSAGE_KEY } from './p13n-seam.mjs';

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
/**
 * The attributes any of them may carry; `href` and `src` are checked again below (web, mail and phone links only),
 * `target` too (a link may open a new tab, never a frame of the page's, and never with `window.opener`).
 */
const ATTRIBUTES = ('align alt aria-describedby aria-hidden aria-label aria-labelledby bgcolor border cellpadding cellspacing class color ' +
    'colspan datetime dir face height href hreflang id lang role rowspan sizes size span src srcset start style ' +
    'target title type valign width').split(' ');
const LINK = /^(https?|mailto|tel):$/;
const TARGET = /^_(blank|self|parent|top)$/;
/** Whether a URL attribute's value is a web, mail or phone URL (or an image's `data:`). */
function allowed(element, name, value) {
    try {
        const { protocol } = new URL(value, location.href);
        return LINK.test(protocol) || (name == 'src' && element.localName == 'img' && protocol == 'data:');
    }
    catch {
        return false;
    }
}
/**
 * What the sanitizer leaves, made ready for the page, and held to the allow-list once more whichever sanitizer ran
 * (a page's own `setHTML` shim must not decide what survives): elements and attributes not on the lists go, links
 * and sources that are not web, mail or phone URLs go (`data:` stays for images), a `target` other than a tab's
 * goes and a new tab gets `rel="noopener noreferrer"`, `<style>` elements become style sheet text, and each `style`
 * attribute is moved onto the element through CSSOM once it is in this document, where markup's inline styles
 * would meet the CSP.
 */
function finish(inert) {
    let css = '';
    const styled = [];
    inert.querySelectorAll('*').forEach((element) => {
        if (ELEMENTS.indexOf(element.localName) < 0 || element.namespaceURI != 'http://www.w3.org/1999/xhtml')
            return element.remove();
        for (const { name, value } of Array.from(element.attributes)) {
            const keep = ATTRIBUTES.indexOf(name) >= 0 && (name == 'href' || name == 'src' ? allowed(element, name, value) : name != 'target' || TARGET.test(value));
            if (!keep)
                element.removeAttribute(name);
        }
        if (element.getAttribute('target') == '_blank')
            element.setAttribute('rel', 'noopener noreferrer');
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
/**
 * The content's style sheet, made for its shadow root (constructed: no CSP nonce needed; `@import` is ignored).
 * Rules that reach outside the shadow root go: `:host` and `:host-context` would style the page's own target,
 * or read its attributes and its ancestors' through the images a rule loads.
 */
function contentSheet(css) {
    const made = new CSSStyleSheet();
    made.replaceSync(css);
    // a rule's selector or prelude (`@scope (:host)`, nested rules alike): :scope there may stand for the host too
    const prune = (rules, owner) => {
        for (let i = rules.length - 1; i >= 0; i--) {
            const rule = rules[i];
            if (/:host|:scope/i.test(rule.cssText.slice(0, rule.cssText.indexOf('{'))))
                owner.deleteRule(i);
            else if (rule.cssRules)
                prune(rule.cssRules, rule);
        }
    };
    prune(made.cssRules, made);
    return made;
}
/** The browser's own sanitizer, parsing into an inert document (nothing loads, nothing is styled there). */
function native(html) {
    const box = document.implementation.createHTMLDocument('').createElement('div');
    box.setHTML(html, { sanitizer: { elements: ELEMENTS, attributes: ATTRIBUTES } });
    return finish(box);
}
/** A sanitizer: the native one at once, else once the `purify` module is in. */
function createSanitizer(loadPurify) {
    if ('setHTML' in Element.prototype)
        return Promise.resolve(native);
    return loadPurify(PURIFY_HASH).then((purify) => (html) => finish(purify(html, ELEMENTS, ATTRIBUTES)));
}

/**
 * The modal message: a native modal `<dialog>` in a shadow root of its own, so that page styles neither leak in
 * nor out. `showModal()` gives it the top layer, makes the rest of the page inert and closes it on Escape; this
 * adds the label, the close button, the backdrop click, Tab going round inside it, the scroll lock and focus
 * returning to where it was.
 */
const CSS = `dialog{padding:0;border:0;border-radius:8px;max-width:min(92vw,640px);max-height:90vh;overflow:auto;box-shadow:0 12px 48px rgba(0,0,0,.35);color:#111;background:#fff}
dialog::backdrop{background:rgba(0,0,0,.55)}
.content{padding:24px}
.close{position:absolute;top:4px;right:4px;width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:#111;font:28px/1 sans-serif;cursor:pointer}
.close:focus-visible{outline:3px solid #1a5fff;outline-offset:-3px}`;
let baseSheet;
/** The link a click landed in, if any: a click dispatched on the shadow root itself has no element for a target. */
const linkOf = (event) => {
    const target = event.target;
    return target && target.closest ? target.closest('a[href]') : null;
};
/** The controls Tab stops at, as the visitor sees them: none hidden (a closed `<details>`, the content's own CSS). */
const stopsOf = (dialog) => Array.from(dialog.querySelectorAll('a[href],button,summary,[tabindex]:not([tabindex="-1"])')).filter((stop) => stop.getClientRects().length);
/** Opens a modal dialog with `content`; returns its `close`. Throws (leaving the page as it was) if it cannot open. */
function openModal({ content, sheet, closed, clicked }) {
    const host = document.createElement('p13n-modal');
    const root = host.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [(baseSheet = baseSheet || contentSheet(CSS)), sheet];
    const dialog = document.createElement('dialog');
    const body = document.createElement('div');
    const button = document.createElement('button');
    body.className = 'content';
    // the close button first in focus order would be read before the message: focus starts on the content
    body.tabIndex = -1;
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
    // the backdrop: a click that both began and ended on the dialog itself, outside its content (a text selection
    // dragged out of the content ends there too, and must not close it)
    let downOnBackdrop = false;
    dialog.addEventListener('pointerdown', (event) => (downOnBackdrop = event.target == dialog));
    dialog.addEventListener('click', (event) => {
        if (event.target == dialog && downOnBackdrop)
            dialog.close();
        const link = linkOf(event);
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
        const stops = stopsOf(dialog);
        const first = stops[0];
        const last = stops[stops.length - 1];
        const at = root.activeElement;
        let next;
        if (event.shiftKey && (at == first || at == body))
            next = last;
        if (!event.shiftKey && at == last)
            next = first;
        if (next) {
            event.preventDefault();
            next.focus();
        }
    });
    (document.body || page).append(host);
    try {
        dialog.showModal();
    }
    catch (why) {
        host.remove();
        throw why;
    }
    page.style.overflow = 'hidden';
    body.focus();
    return () => dialog.open && dialog.close();
}

/**
 * Reading TD's message JSON out of an answer's offers: what a message is, and every way one can be unreadable
 * (each reported, naming the offer; the others are read).
 */
const own = (object, key) => object && typeof object == 'object' && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
// for error texts: a page's Array.prototype.toJSON must not run in them
const quote = (value) => (typeof value == 'string' ? `"${value}"` : typeof value);
/**
 * The message JSON as TD sends it. td-js-sdk halves doubled backslashes before it parses, which is how TD's
 * string is escaped: read so first, and as it is only when that reading is not JSON; a string encoded twice is
 * read twice.
 */
function parse(raw) {
    let value;
    try {
        value = JSON.parse(raw.replace(/\\\\/g, '\\'));
    }
    catch {
        value = JSON.parse(raw);
    }
    return typeof value == 'string' ? JSON.parse(value) : value;
}
/** A selector the page can be queried with (its syntax checked on a fragment: nothing of the page is walked). */
const isSelector = (selector) => {
    try {
        document.createDocumentFragment().querySelector(selector);
        return typeof selector == 'string' && !!selector.trim();
    }
    catch {
        return false;
    }
};
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
        if (type != 'replacement' && type != 'modal')
            wrong(`type ${quote(type)} is neither "replacement" nor "modal"`);
        else if (typeof html != 'string')
            wrong('content_html is not a string');
        else if (type == 'replacement' && !isSelector(selector))
            wrong(`selector ${quote(selector)} is not a CSS selector`);
        else {
            const everyPage = own(attributes, 'p13n_modal_frequency') == 'page';
            found.push({ name, type: type, html, selector: type == 'replacement' ? selector : undefined, key: name + '\n' + raw, count: 0, everyPage });
        }
    }
    return found;
}

// a shadow root cannot be taken off: the one attached to a target serves its every later message
const roots = new WeakMap();
/** Hides `target`'s content at once (an empty shadow root renders nothing) and gives the root its message goes into. */
function hold(target) {
    let root = roots.get(target);
    // a custom element may not be defined yet: a shadow root attached now would make its upgrade throw
    if (!root && target.localName.indexOf('-') < 0) {
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

/** The targets one replacement fills per answer, at most: a page that adds matching elements without end costs bounded work. */
const MAX_TARGETS = 50;
/** sessionStorage: the offers whose modal this visit has shown, their names one a line. */
const SHOWN_KEY = 'p13n:modals';
/** A `p13n:message` event on `target`: `show` comes first and is cancelable (the page renders it itself, or not at all). */
function announce(target, action, message, href) {
    const detail = { action, name: message.name, type: message.type, selector: message.selector, href };
    return target.dispatchEvent(new CustomEvent('p13n:message', { bubbles: true, cancelable: action == 'show', detail }));
}
/** The modals this visit has shown (plain text: a page's Array.prototype.toJSON cannot bend it). */
const shownModals = () => {
    try {
        return (sessionStorage.getItem(SHOWN_KEY) || '').split('\n');
    }
    catch {
        return []; // storage refused: a modal may show again on the next page
    }
};
const rememberModal = (name) => {
    try {
        sessionStorage.setItem(SHOWN_KEY, shownModals().concat(name).join('\n'));
    }
    catch { }
};
/** Never a target: the tag's own hosts (a selector such as `div *` would chase them), the root, what is in `<head>`. */
const refused = (target) => target.localName.indexOf('p13n-') == 0 || target == document.documentElement || !!target.closest('head');
function createMessages(kit) {
    let sanitizer;
    let unsanitized = false; // the sanitizer did not load
    /** The replacements in force: the latest page view's, and those of `personalize` answers since (one per offer). */
    let active = [];
    /** Each target filled, and how to give it its own content back; or left to the page (a cancelled `show`). */
    const placed = new Map();
    const clickable = new WeakSet();
    let modal;
    // the words are the module's: the core, which every page loads, carries none of them
    const report = (why) => kit.report({ code: 'message', message: `p13n: ${why}; see https://www.npmjs.com/package/p13n-tag#errors` });
    const notShown = (message, why) => report(`message ${message.name}: not shown: ${why}`);
    /** The sanitizer, loaded once; a load that failed is reported once, and tried again by the next answer (`show`). */
    const sanitize = () => (sanitizer =
        sanitizer ||
            createSanitizer(kit.purify).catch((why) => {
                unsanitized = true;
                report('not shown: ' + why);
                throw 0; // reported: each message that waited for it gives its target back
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
    const showing = (target, message) => placed.has(target) && placed.get(target).message == message;
    /** One listener a shadow root, for every message it will show: a click on a link is announced. */
    const listen = (root, target) => {
        if (clickable.has(root))
            return;
        clickable.add(root);
        root.addEventListener('click', (event) => {
            const link = linkOf(event);
            const now = placed.get(target);
            if (link && now && now.restore)
                announce(target, 'click', now.message, link.href);
        });
    };
    /** Fills the root `target` is held with, once the sanitizer is in; gives the target back if it cannot. */
    const fill = (target, message, root) => sanitize().then((clean) => {
        if (!showing(target, message))
            return; // replaced or restored meanwhile
        try {
            const content = clean(message.html);
            root.adoptedStyleSheets = [(message.sheet = message.sheet || contentSheet(content.css))];
            root.replaceChildren(content.nodes);
        }
        catch (why) {
            notShown(message, why);
            return restore(target);
        }
        listen(root, target);
        announce(target, 'shown', message);
    }, () => showing(target, message) && restore(target));
    /** Puts `message` in `target`, once: a target that shows it already is left alone, whatever a framework does to it. */
    function place(target, message) {
        const was = placed.get(target);
        if ((was && was.message.key == message.key) || message.count >= MAX_TARGETS || refused(target))
            return;
        message.count++;
        restore(target);
        if (!announce(target, 'show', message)) {
            placed.set(target, { message });
            return;
        }
        // hidden at once: an empty shadow root renders nothing until the content is in
        const spot = hold(target);
        placed.set(target, { message, restore: spot.restore });
        return fill(target, message, spot.root);
    }
    function open(message) {
        // once a visit per offer, by its name: a modal whose text follows the profile is still the same one
        if (modal || (!message.everyPage && shownModals().indexOf(message.name) >= 0))
            return;
        if (!announce(document, 'show', message))
            return;
        const pending = (modal = { close() { } });
        return sanitize().then((clean) => {
            if (modal != pending)
                return; // consent was denied meanwhile
            try {
                const content = clean(message.html);
                pending.close = openModal({
                    content,
                    sheet: contentSheet(content.css),
                    closed() {
                        if (modal == pending)
                            modal = undefined;
                        announce(document, 'closed', message);
                    },
                    clicked: (href) => announce(document, 'click', message, href),
                });
            }
            catch (why) {
                modal = undefined;
                return notShown(message, why);
            }
            rememberModal(message.name);
            announce(document, 'shown', message);
        }, () => modal == pending && (modal = undefined));
    }
    /** Late targets: an added element that matches a replacement in force, or holds one that does. */
    kit.watch((records) => {
        try {
            for (const record of records) {
                record.addedNodes.forEach((node) => {
                    const added = node;
                    if (node.nodeType != 1 || !node.isConnected || refused(added))
                        return;
                    for (const message of active) {
                        if (message.count >= MAX_TARGETS)
                            continue;
                        if (added.matches(message.selector))
                            place(added, message);
                        added.querySelectorAll(message.selector).forEach((target) => place(target, message));
                    }
                });
            }
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
                // a sanitizer that failed to load is tried again by the next answer, not by each late target
                if (unsanitized)
                    sanitizer = undefined;
                unsanitized = false;
                const found = readMessages(offers, report);
                const replacements = found.filter((message) => message.type == 'replacement');
                const names = replacements.map((message) => message.name);
                if (view) {
                    const kept = replacements.map((message) => message.key);
                    placed.forEach((was, target) => (kept.indexOf(was.message.key) < 0 || !target.isConnected) && restore(target));
                    active = [];
                }
                // a later answer's version of an offer's message replaces the earlier one
                active = active.filter((message) => names.indexOf(message.name) < 0).concat(replacements);
                for (const message of found) {
                    if (message.type == 'modal')
                        filling.push(open(message));
                    else
                        document.querySelectorAll(message.selector).forEach((target) => filling.push(place(target, message)));
                }
            }
            catch { } // whatever a page did to its DOM, the answer's other messages and the tag go on
            return Promise.all(filling).then(() => { }, () => { });
        },
        /** Consent denied: every target gets its own content back, the modal closes, and the visit's record goes. */
        clear() {
            active = [];
            placed.forEach((_, target) => {
                try {
                    restore(target);
                }
                catch { } // a page that moved the kept nodes: the others are restored all the same
            });
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

export { MAX_TARGETS, SHOWN_KEY, createMessages as default };
