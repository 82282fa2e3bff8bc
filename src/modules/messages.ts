/**
 * The messages module: Treasure Data's in-browser content (its content editor's `td_in_browser.message_json`),
 * loaded by the first answer that carries a message. A replacement fills every element its selector matches, late
 * ones included (the core's one MutationObserver hands them over), and a later page view without it restores what
 * it replaced; a modal opens an accessible dialog, once per visit unless the offer says otherwise. The HTML is
 * sanitized (./sanitize.ts) and lives in shadow roots, so its styles stay inside. Each message is announced by a
 * cancelable `p13n:message` event first, then followed by more of them (README, "In-browser content").
 */
import { MESSAGE_KEY, type MessageKit } from '../seam';
import type { MessageDetail, Offers } from '../types';
import { openModal, sheet } from './modal';
import { hold } from './replace';
import { createSanitizer, type Content } from './sanitize';

export interface Message {
  /** The offer's name. */
  name: string;
  type: MessageDetail['type'];
  selector?: string;
  html: string;
  /** The offer's name and the message as sent: a later answer with the same key shows the same thing. */
  key: string;
  /** A modal shown at every page view that carries it (the offer's `p13n_modal_frequency: 'page'`), not once a visit. */
  everyPage?: boolean;
  /** Targets filled since the page view that brought it. */
  count: number;
  sheet?: CSSStyleSheet;
}

/** The targets one replacement fills per page view, at most: a page that adds matching elements without end costs bounded work. */
export const MAX_TARGETS = 50;
/** sessionStorage: the offers whose modal this visit has shown, by name. */
export const SHOWN_KEY = 'p13n:modals';

const own = (object: unknown, key: string): unknown =>
  object && typeof object == 'object' && Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;

/** The message JSON as TD sends it; td-js-sdk halves doubled backslashes first, so a string only that reading parses is read so too. */
function parse(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = JSON.parse(raw.replace(/\\\\/g, '\\'));
  }
  // encoded twice
  return typeof value == 'string' ? JSON.parse(value) : value;
}

/** The messages `offers` carry, in the answer's order; one that cannot be shown is reported and left out. */
export function readMessages(offers: Offers, report: (why: string) => void): Message[] {
  const found: Message[] = [];
  for (const name of Object.keys(offers)) {
    const attributes = own(offers[name], 'attributes');
    const raw = own(attributes, MESSAGE_KEY);
    if (raw == null) continue;
    const wrong = (why: string) => report(`message ${name}: ${why}`);
    let message: unknown;
    try {
      message = parse(raw as string);
    } catch {
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
        document.querySelector(selector as string);
        if (typeof selector != 'string' || !selector.trim()) throw 0;
      } catch {
        wrong(`selector ${JSON.stringify(selector)} is not a CSS selector`);
        continue;
      }
    }
    found.push({ name, type: type as MessageDetail['type'], html, selector: type == 'replacement' ? (selector as string) : undefined, key: name + '\n' + raw, count: 0, everyPage: own(attributes, 'p13n_modal_frequency') == 'page' });
  }
  return found;
}

/** A `p13n:message` event on `target`: `show` comes first and is cancelable (the page renders it itself, or not at all). */
function announce(target: EventTarget, action: MessageDetail['action'], message: Message, href?: string): boolean {
  const detail: MessageDetail = { action, name: message.name, type: message.type, selector: message.selector, href };
  return target.dispatchEvent(new CustomEvent('p13n:message', { bubbles: true, cancelable: action == 'show', detail }));
}

const storage = (change?: (keys: string[]) => string[]): string[] => {
  try {
    const keys = JSON.parse(sessionStorage.getItem(SHOWN_KEY) || '[]') as string[];
    if (change) sessionStorage.setItem(SHOWN_KEY, JSON.stringify(change(keys)));
    return keys;
  } catch {
    return []; // storage refused: a modal may show again on the next page
  }
};

export default function createMessages(kit: MessageKit) {
  let sanitizer: Promise<(html: string) => Content> | undefined;
  /** The replacements in force: the latest page view's, and those of `personalize` answers since. */
  let active: Message[] = [];
  /** Each target filled, and how to give it its own content back; or left to the page (a cancelled `show`). */
  const placed = new Map<Element, { message: Message; restore?: () => void }>();
  let modal: { close(): void } | undefined;
  // the words are the module's: the core, which every page loads, carries none of them
  const report = (why: string) => kit.report({ code: 'message', message: `p13n: ${why}; see https://www.npmjs.com/package/p13n-tag#errors` });

  /** The sanitizer, loaded once; a failure is reported once, and tried again by the next answer. */
  const sanitize = () =>
    (sanitizer =
      sanitizer ||
      createSanitizer(kit.purify).catch((why) => {
        sanitizer = undefined;
        report('not shown: ' + why);
        throw 0;
      }));

  const restore = (target: Element) => {
    const was = placed.get(target);
    if (!was) return;
    placed.delete(target);
    if (!was.restore) return; // the page's own doing
    was.restore();
    if (target.isConnected) announce(target, 'restored', was.message);
  };

  /** Fills `target` with `message`, once: a target that shows it already is left alone, whatever a framework does to it. */
  function place(target: Element, message: Message): Promise<unknown> | undefined {
    const was = placed.get(target);
    if ((was && was.message.key == message.key) || message.count >= MAX_TARGETS || target.localName.startsWith('p13n-')) return;
    message.count++;
    restore(target);
    if (!announce(target, 'show', message)) return void placed.set(target, { message });
    const spot = hold(target);
    placed.set(target, { message, restore: spot.restore });
    const current = () => placed.has(target) && placed.get(target)!.message == message;
    return sanitize().then(
      (clean) => {
        if (!current()) return; // replaced or restored meanwhile
        try {
          const content = clean(message.html);
          spot.root.adoptedStyleSheets = [(message.sheet = message.sheet || sheet(content.css))];
          spot.root.replaceChildren(content.nodes);
        } catch (why) {
          report(`message ${message.name}: not shown: ${why}`);
          return restore(target);
        }
        spot.root.addEventListener('click', (event) => {
          const link = (event.target as Element).closest('a[href]');
          if (link && current()) announce(target, 'click', message, (link as HTMLAnchorElement).href);
        });
        announce(target, 'shown', message);
      },
      () => current() && restore(target),
    );
  }

  function open(message: Message): Promise<unknown> | undefined {
    // once a visit per offer, by its name: a modal whose text follows the profile is still the same one
    if (modal || (!message.everyPage && storage().indexOf(message.name) >= 0) || !announce(document, 'show', message)) return;
    const pending = (modal = { close() {} });
    return sanitize().then(
      (clean) => {
        if (modal != pending) return; // consent was denied meanwhile
        try {
          const content = clean(message.html);
          pending.close = openModal(
            content,
            [sheet(content.css)],
            () => {
              if (modal == pending) modal = undefined;
              announce(document, 'closed', message);
            },
            (href) => announce(document, 'click', message, href),
          );
        } catch (why) {
          modal = undefined;
          return report(`message ${message.name}: not shown: ${why}`);
        }
        storage((keys) => keys.concat(message.name));
        announce(document, 'shown', message);
      },
      () => modal == pending && (modal = undefined),
    );
  }

  /** Late targets: an added element that matches a replacement in force, or holds one that does. */
  kit.watch((records) => {
    try {
      records.forEach((record) =>
        record.addedNodes.forEach((node) => {
          // the tag's own hosts (p13n-message, p13n-modal) are never targets: a selector such as `div *` would chase them
          if (node.nodeType != 1 || !node.isConnected || (node as Element).localName.startsWith('p13n-')) return;
          for (const message of active) {
            if ((node as Element).matches(message.selector!)) place(node as Element, message);
            (node as Element).querySelectorAll(message.selector!).forEach((target) => place(target, message));
          }
        }),
      );
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
        const found = readMessages(offers, report);
        const replacements = found.filter((message) => message.type == 'replacement');
        if (view) {
          const kept = replacements.map((message) => message.key);
          placed.forEach((was, target) => (kept.indexOf(was.message.key) < 0 || !target.isConnected) && restore(target));
          active = [];
        }
        active = active.filter((message) => !replacements.some((next) => next.key == message.key)).concat(replacements);
        for (const message of found) {
          if (message.type == 'modal') filling.push(open(message));
          else document.querySelectorAll(message.selector!).forEach((target) => filling.push(place(target, message)));
        }
      } catch {} // whatever a page did to its DOM, the page view's other messages and the tag go on
      return Promise.all(filling).then(
        () => {},
        () => {},
      );
    },
    /** Consent denied: every target gets its own content back, the modal closes, and the visit's record goes. */
    clear() {
      active = [];
      placed.forEach((_, target) => restore(target));
      if (modal) modal.close();
      modal = undefined;
      try {
        sessionStorage.removeItem(SHOWN_KEY);
      } catch {}
    },
  };
}
