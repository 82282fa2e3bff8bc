import { isObject, isString, own as read } from './config';
import type { Offers } from '../types';

const SLOT = '[data-p13n-offer]';
/** A region whose slots the tag leaves alone: a client framework renders it, and would find markup it did not write. */
const APP = '[data-p13n-app]';
const FIELD = '[data-p13n-attr],[data-p13n-attr-href],[data-p13n-attr-src]';
/** The elements whose `href` or `src` an offer may set: links and media, never a script, frame or object. */
const URL_TARGETS: Record<string, RegExp> = { href: /^(A|AREA)$/, src: /^(IMG|SOURCE|VIDEO|AUDIO|TRACK)$/ };

const own = (object: unknown, key: string | null): Record<string, unknown> | undefined => {
  const value = read(object, key);
  return isObject(value) ? value : undefined;
};

/** An absolute http(s) URL, resolved against the page; `javascript:`, `data:` and the like are refused. */
const webUrl = (value: unknown): string | undefined => {
  try {
    const url = new URL(value as string, location.href);
    return isString(value) && /^https?:$/.test(url.protocol) ? url.href : undefined;
  } catch {}
  return undefined;
};

/**
 * Fills one slot from `offers`, unless a `p13n:render` listener calls `preventDefault()` to render it itself.
 * The slot is shown when its offer came back and hidden when it did not; inside it (not inside a nested slot),
 * `data-p13n-attr` sets text, `data-p13n-attr-href` / `-src` set those attributes to http(s) URLs only. Only
 * `textContent` and `setAttribute` are used, so no offer value is parsed as HTML, and pages enforcing Trusted
 * Types need nothing more. A field whose value is missing or refused keeps what the page put there.
 */
function fill(slot: HTMLElement, offers: Offers, cached?: boolean) {
  // a region an app renders (and hydrates) itself: its slots are the app's, through the bindings
  if (slot.closest(APP)) return;
  const name = slot.getAttribute('data-p13n-offer');
  const offer = own(offers, name);
  const detail = { name, offer, cached: !!cached };
  if (!slot.dispatchEvent(new CustomEvent('p13n:render', { bubbles: true, cancelable: true, detail }))) return;
  slot.hidden = !offer;
  const attributes = offer && own(offer, 'attributes');
  slot.querySelectorAll(FIELD).forEach((field) => {
    if (field.parentElement!.closest(SLOT) != slot) return;
    const text = read(attributes, field.getAttribute('data-p13n-attr'));
    if (text != null && typeof text != 'object') field.textContent = '' + text;
    for (const target in URL_TARGETS) {
      const url = webUrl(read(attributes, field.getAttribute('data-p13n-attr-' + target)));
      if (url && URL_TARGETS[target].test(field.tagName)) field.setAttribute(target, url);
    }
  });
}

/**
 * Rendering without code. `render` fills every slot on the page from `offers`, and from then on a slot added
 * to the page later (a lazy section, a framework's view) or renamed is filled from the latest offers as it
 * comes: one MutationObserver, started by the first render.
 */
export function createRenderer() {
  let latest: Offers;
  let cached: boolean | undefined;
  let observer: MutationObserver | undefined;
  let added: ((records: MutationRecord[]) => void) | undefined; // the messages module's
  // a set: a slot added inside a section added in the same task is in two records, and is filled once
  const changed = (records: MutationRecord[]) => {
    const found = new Set<HTMLElement>();
    const take = (element: Element) => element.matches(SLOT) && found.add(element as HTMLElement);
    records.forEach((record) => {
      if (record.type == 'attributes') take(record.target as Element);
      // an added element's slots: itself, and those inside it
      else record.addedNodes.forEach((node) => node.nodeType == 1 && (take(node as Element), (node as Element).querySelectorAll(SLOT).forEach(take)));
    });
    found.forEach((slot) => slot.isConnected && fill(slot, latest, cached));
    if (added) added(records);
  };
  return {
    _render(offers: Offers, fromCache?: boolean) {
      latest = offers;
      cached = fromCache;
      document.querySelectorAll<HTMLElement>(SLOT).forEach((slot) => fill(slot, offers, fromCache));
      if (!observer) {
        observer = new MutationObserver(changed);
        observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-p13n-offer'] });
      }
    },
    /** Consent withdrawn: every slot filled so far is hidden again, and late slots get nothing personal. */
    _clear() {
      if (observer) this._render({});
    },
    /** The observer's batches go to `fn` as well (the messages module's late targets): one observer for the page. */
    _watch(fn: (records: MutationRecord[]) => void) {
      added = fn;
    },
  };
}
