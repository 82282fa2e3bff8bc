/**
 * Reading TD's message JSON out of an answer's offers: what a message is, and every way one can be unreadable
 * (each reported, naming the offer; the others are read).
 */
import { MESSAGE_KEY } from '../../seam';
import type { MessageDetail, Offers } from '../../types';

export interface Message {
  /** The offer's name. */
  name: string;
  type: MessageDetail['type'];
  selector?: string;
  html: string;
  /** The offer's name and the message as sent: a later answer with the same key shows the same thing. */
  key: string;
  /** A modal shown at every answer that carries it (the offer's `p13n_modal_frequency: 'page'`), not once a visit. */
  everyPage: boolean;
  /** Targets filled since the answer that brought it. */
  count: number;
  sheet?: CSSStyleSheet;
}

const own = (object: unknown, key: string): unknown =>
  object && typeof object == 'object' && Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;
// for error texts: a page's Array.prototype.toJSON must not run in them
const quote = (value: unknown) => (typeof value == 'string' ? `"${value}"` : typeof value);

/**
 * The message JSON as TD sends it. td-js-sdk halves doubled backslashes before it parses, which is how TD's
 * string is escaped: read so first, and as it is only when that reading is not JSON; a string encoded twice is
 * read twice.
 */
function parse(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw.replace(/\\\\/g, '\\'));
  } catch {
    value = JSON.parse(raw);
  }
  return typeof value == 'string' ? JSON.parse(value) : value;
}

/** A selector the page can be queried with (its syntax checked on a fragment: nothing of the page is walked). */
const isSelector = (selector: unknown): selector is string => {
  try {
    document.createDocumentFragment().querySelector(selector as string);
    return typeof selector == 'string' && !!selector.trim();
  } catch {
    return false;
  }
};

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
    if (type != 'replacement' && type != 'modal') wrong(`type ${quote(type)} is neither "replacement" nor "modal"`);
    else if (typeof html != 'string') wrong('content_html is not a string');
    else if (type == 'replacement' && !isSelector(selector)) wrong(`selector ${quote(selector)} is not a CSS selector`);
    else {
      const everyPage = own(attributes, 'p13n_modal_frequency') == 'page';
      found.push({ name, type: type as MessageDetail['type'], html, selector: type == 'replacement' ? (selector as string) : undefined, key: name + '\n' + raw, count: 0, everyPage });
    }
  }
  return found;
}
