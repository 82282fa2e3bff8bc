/**
 * The messages module: Treasure Data's in-browser content (its content editor's `td_in_browser.message_json`),
 * loaded by the first answer that carries a message. A replacement fills every element its selector matches, late
 * ones included (the core's one MutationObserver hands them over), and a later page view without it restores what
 * it replaced; a modal opens an accessible dialog, once per visit unless the offer says otherwise. The HTML is
 * sanitized (./sanitize.ts) and lives in shadow roots, so its styles stay inside. Each message is announced by a
 * cancelable `p13n:message` event first, then followed by more of them (README, "In-browser content").
 */
import type { MessageKit } from '../../seam';
import type { MessageDetail, Offers } from '../../types';
import { linkOf, openModal } from './modal';
import { readMessages, type Message } from './read';
import { hold } from './replace';
import { contentSheet, createSanitizer, type Content } from './sanitize';

/** The targets one replacement fills per answer, at most: a page that adds matching elements without end costs bounded work. */
export const MAX_TARGETS = 50;
/** sessionStorage: the offers whose modal this visit has shown, their names one a line. */
export const SHOWN_KEY = 'p13n:modals';

/** A `p13n:message` event on `target`: `show` comes first and is cancelable (the page renders it itself, or not at all). */
function announce(target: EventTarget, action: MessageDetail['action'], message: Message, href?: string): boolean {
  const detail: MessageDetail = { action, name: message.name, type: message.type, selector: message.selector, href };
  return target.dispatchEvent(new CustomEvent('p13n:message', { bubbles: true, cancelable: action == 'show', detail }));
}

/** The modals this visit has shown (plain text: a page's Array.prototype.toJSON cannot bend it). */
const shownModals = (): string[] => {
  try {
    return (sessionStorage.getItem(SHOWN_KEY) || '').split('\n');
  } catch {
    return []; // storage refused: a modal may show again on the next page
  }
};
const rememberModal = (name: string) => {
  try {
    sessionStorage.setItem(SHOWN_KEY, shownModals().concat(name).join('\n'));
  } catch {}
};

/** Never a target: the tag's own hosts (a selector such as `div *` would chase them), the root, what is in `<head>`. */
const refused = (target: Element) => target.localName.indexOf('p13n-') == 0 || target == document.documentElement || !!target.closest('head');

export default function createMessages(kit: MessageKit) {
  let sanitizer: Promise<(html: string) => Content> | undefined;
  let unsanitized = false; // the sanitizer did not load
  /** The replacements in force: the latest page view's, and those of `personalize` answers since (one per offer). */
  let active: Message[] = [];
  /** Each target filled, and how to give it its own content back; or left to the page (a cancelled `show`). */
  const placed = new Map<Element, { message: Message; restore?: () => void }>();
  const clickable = new WeakSet<ShadowRoot>();
  let modal: { close(): void } | undefined;
  // the words are the module's: the core, which every page loads, carries none of them
  const report = (why: string) => kit.report({ code: 'message', message: `p13n: ${why}; see https://www.npmjs.com/package/p13n-tag#errors` });
  const notShown = (message: Message, why: unknown) => report(`message ${message.name}: not shown: ${why}`);

  /** The sanitizer, loaded once; a load that failed is reported once, and tried again by the next answer (`show`). */
  const sanitize = () =>
    (sanitizer =
      sanitizer ||
      createSanitizer(kit.purify).catch((why) => {
        unsanitized = true;
        report('not shown: ' + why);
        throw 0; // reported: each message that waited for it gives its target back
      }));

  const restore = (target: Element) => {
    const was = placed.get(target);
    if (!was) return;
    placed.delete(target);
    if (!was.restore) return; // the page's own doing
    was.restore();
    if (target.isConnected) announce(target, 'restored', was.message);
  };
  const showing = (target: Element, message: Message) => placed.has(target) && placed.get(target)!.message == message;

  /** One listener a shadow root, for every message it will show: a click on a link is announced. */
  const listen = (root: ShadowRoot, target: Element) => {
    if (clickable.has(root)) return;
    clickable.add(root);
    root.addEventListener('click', (event) => {
      const link = linkOf(event);
      const now = placed.get(target);
      if (link && now && now.restore) announce(target, 'click', now.message, link.href);
    });
  };

  /** Fills the root `target` is held with, once the sanitizer is in; gives the target back if it cannot. */
  const fill = (target: Element, message: Message, root: ShadowRoot) =>
    sanitize().then(
      (clean) => {
        if (!showing(target, message)) return; // replaced or restored meanwhile
        try {
          const content = clean(message.html);
          root.adoptedStyleSheets = [(message.sheet = message.sheet || contentSheet(content.css))];
          root.replaceChildren(content.nodes);
        } catch (why) {
          notShown(message, why);
          return restore(target);
        }
        listen(root, target);
        announce(target, 'shown', message);
      },
      () => showing(target, message) && restore(target),
    );

  /** Puts `message` in `target`, once: a target that shows it already is left alone, whatever a framework does to it. */
  function place(target: Element, message: Message): Promise<unknown> | undefined {
    const was = placed.get(target);
    if ((was && was.message.key == message.key) || message.count >= MAX_TARGETS || refused(target)) return;
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

  function open(message: Message): Promise<unknown> | undefined {
    // once a visit per offer, by its name: a modal whose text follows the profile is still the same one
    if (modal || (!message.everyPage && shownModals().indexOf(message.name) >= 0)) return;
    if (!announce(document, 'show', message)) return;
    const pending = (modal = { close() {} });
    return sanitize().then(
      (clean) => {
        if (modal != pending) return; // consent was denied meanwhile
        try {
          const content = clean(message.html);
          pending.close = openModal({
            content,
            sheet: contentSheet(content.css),
            closed() {
              if (modal == pending) modal = undefined;
              announce(document, 'closed', message);
            },
            clicked: (href) => announce(document, 'click', message, href),
          });
        } catch (why) {
          modal = undefined;
          return notShown(message, why);
        }
        rememberModal(message.name);
        announce(document, 'shown', message);
      },
      () => modal == pending && (modal = undefined),
    );
  }

  /** Late targets: an added element that matches a replacement in force, or holds one that does. */
  kit.watch((records) => {
    try {
      for (const record of records) {
        record.addedNodes.forEach((node) => {
          const added = node as Element;
          if (node.nodeType != 1 || !node.isConnected || refused(added)) return;
          for (const message of active) {
            if (message.count >= MAX_TARGETS) continue;
            if (added.matches(message.selector!)) place(added, message);
            added.querySelectorAll(message.selector!).forEach((target) => place(target, message));
          }
        });
      }
    } catch {} // a page's odd DOM must not cost it the rest
  });

  return {
    /**
     * Shows the messages of `offers`; a page view's (`view`) also restores the targets of the messages it no
     * longer carries. Settles (never rejects) once what is on the page now is filled.
     */
    show(offers: Offers, view: boolean): Promise<unknown> {
      const filling: unknown[] = [];
      try {
        // a sanitizer that failed to load is tried again by the next answer, not by each late target
        if (unsanitized) sanitizer = undefined;
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
          if (message.type == 'modal') filling.push(open(message));
          else document.querySelectorAll(message.selector!).forEach((target) => filling.push(place(target, message)));
        }
      } catch {} // whatever a page did to its DOM, the answer's other messages and the tag go on
      return Promise.all(filling).then(
        () => {},
        () => {},
      );
    },
    /** Consent denied: every target gets its own content back, the modal closes, and the visit's record goes. */
    clear() {
      active = [];
      placed.forEach((_, target) => {
        try {
          restore(target);
        } catch {} // a page that moved the kept nodes: the others are restored all the same
      });
      if (modal) modal.close();
      modal = undefined;
      try {
        sessionStorage.removeItem(SHOWN_KEY);
      } catch {}
    },
  };
}
