import { isObject, own as read } from './config';
import type { Offers } from './types';

const own = (object: unknown, key: string | null): Record<string, unknown> | undefined => {
  const value = read(object, key);
  return isObject(value) ? value : undefined;
};

/**
 * Rendering without code: each `[data-p13n-offer="NAME"]` is shown (its `hidden` removed) when offer NAME came
 * back and hidden when it did not; inside it, each `[data-p13n-attr="KEY"]` gets `offers[NAME].attributes[KEY]`
 * as text. Only `textContent` is ever set, so no offer value is parsed as HTML, and pages enforcing Trusted Types
 * need nothing more. A field whose key the offer lacks keeps its default text.
 */
export function render(offers: Offers) {
  document.querySelectorAll<HTMLElement>('[data-p13n-offer]').forEach((slot) => {
    const offer = own(offers, slot.getAttribute('data-p13n-offer'));
    slot.hidden = !offer;
    const attributes = offer && own(offer, 'attributes');
    slot.querySelectorAll('[data-p13n-attr]').forEach((field) => {
      const value = read(attributes, field.getAttribute('data-p13n-attr'));
      if (value != null && typeof value != 'object') field.textContent = '' + value;
    });
  });
}
