/**
 * The messages module's sanitizer: TD's content HTML becomes nodes that cannot run code, whichever sanitizer the
 * browser has. Both take the same allow-list, so a message renders the same everywhere: the browser's own
 * `Element.setHTML()` (the Sanitizer API) where it exists, DOMPurify (the `purify` module) elsewhere. Styles come
 * out as text, for constructed style sheets in the message's shadow root: they stay inside the message and need
 * no CSP nonce, as CSSOM is not subject to `style-src`.
 */
import type { Modules } from '../seam';
import { PURIFY_HASH } from './purify-hash';

/** What the content may be made of: the layout, text and media of an e-mail-style editor; no form, frame, script, SVG or MathML. */
export const ELEMENTS = (
  'a abbr article aside b bdi bdo blockquote br caption center cite code col colgroup dd del details dfn div dl dt em ' +
  'figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark nav ol p picture pre q s samp ' +
  'section small source span strong style sub summary sup table tbody td tfoot th thead time tr u ul var wbr'
).split(' ');
/** The attributes any of them may carry; `href` and `src` are checked again below (web, mail and phone links only). */
export const ATTRIBUTES = (
  'align alt aria-describedby aria-hidden aria-label aria-labelledby bgcolor border cellpadding cellspacing class color ' +
  'colspan datetime dir face height href hreflang id lang rel role rowspan sizes size span src srcset start style ' +
  'target title type valign width'
).split(' ');

const LINK = /^(https?|mailto|tel):$/;

/** Sanitized content: nodes of this document, and the text of the style sheets it brought. */
export interface Content {
  nodes: DocumentFragment;
  css: string;
}

type Purify = Modules['purify'];

/**
 * What the sanitizers leave, made ready for the page: links and sources that are not web, mail or phone URLs
 * go (`data:` stays for images), `<style>` elements become style sheet text, and each `style` attribute is moved
 * onto the element through CSSOM once it is in this document, where markup's inline styles would meet the CSP.
 */
function finish(inert: ParentNode): Content {
  let css = '';
  const styled: [HTMLElement, string][] = [];
  inert.querySelectorAll('*').forEach((element) => {
    for (const name of ['href', 'src']) {
      const value = element.getAttribute(name);
      if (value == null) continue;
      let url: URL | undefined;
      try {
        url = new URL(value, location.href);
      } catch {}
      if (!url || !(LINK.test(url.protocol) || (name == 'src' && element.localName == 'img' && url.protocol == 'data:'))) element.removeAttribute(name);
    }
    if (element.localName == 'style') {
      css += element.textContent + '\n';
      element.remove();
    }
    const style = element.getAttribute('style');
    if (style != null) {
      styled.push([element as HTMLElement, style]);
      element.removeAttribute('style');
    }
  });
  const nodes = document.createDocumentFragment();
  nodes.append(...Array.from(inert.childNodes));
  styled.forEach(([element, style]) => (element.style.cssText = style));
  return { nodes, css };
}

/** The browser's own sanitizer, parsing into an inert document (nothing loads, nothing is styled there). */
function native(html: string): Content {
  const box = document.implementation.createHTMLDocument('').createElement('div');
  (box as unknown as { setHTML(html: string, options: object): void }).setHTML(html, { sanitizer: { elements: ELEMENTS, attributes: ATTRIBUTES } });
  return finish(box);
}

export const hasSetHTML = () => 'setHTML' in Element.prototype;

/** A sanitizer: the native one at once, else once the `purify` module is in. */
export function createSanitizer(loadPurify: (hash: string) => Promise<Purify>): Promise<(html: string) => Content> {
  if (hasSetHTML()) return Promise.resolve(native);
  return loadPurify(PURIFY_HASH).then((purify) => (html: string) => finish(purify(html, ELEMENTS, ATTRIBUTES)));
}
