/**
 * The messages module's sanitizer: TD's content HTML becomes nodes that cannot run code, whichever sanitizer the
 * browser has. Both take the same allow-list, so a message renders the same everywhere: the browser's own
 * `Element.setHTML()` (the Sanitizer API) where it exists, DOMPurify (the `purify` module) elsewhere. Styles come
 * out as text, for constructed style sheets in the message's shadow root: they stay inside the message and need
 * no CSP nonce, as CSSOM is not subject to `style-src`.
 */
import type { Modules } from '../../seam';
import { PURIFY_HASH } from './purify-hash';

/** What the content may be made of: the layout, text and media of an e-mail-style editor; no form, frame, script, SVG or MathML. */
export const ELEMENTS = (
  'a abbr article aside b bdi bdo blockquote br caption center cite code col colgroup dd del details dfn div dl dt em ' +
  'figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark nav ol p picture pre q s samp ' +
  'section small source span strong style sub summary sup table tbody td tfoot th thead time tr u ul var wbr'
).split(' ');
/**
 * The attributes any of them may carry; `href` and `src` are checked again below (web, mail and phone links only),
 * `target` too (a link may open a new tab, never a frame of the page's, and never with `window.opener`).
 */
export const ATTRIBUTES = (
  'align alt aria-describedby aria-hidden aria-label aria-labelledby bgcolor border cellpadding cellspacing class color ' +
  'colspan datetime dir face height href hreflang id lang role rowspan sizes size span src srcset start style ' +
  'target title type valign width'
).split(' ');

const LINK = /^(https?|mailto|tel):$/;
const TARGET = /^_(blank|self|parent|top)$/;

/** Sanitized content: nodes of this document, and the text of the style sheets it brought. */
export interface Content {
  nodes: DocumentFragment;
  css: string;
}

type Purify = Modules['purify'];

/** Whether a URL attribute's value is a web, mail or phone URL (or an image's `data:`). */
function allowed(element: Element, name: string, value: string) {
  try {
    const { protocol } = new URL(value, location.href);
    return LINK.test(protocol) || (name == 'src' && element.localName == 'img' && protocol == 'data:');
  } catch {
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
function finish(inert: ParentNode): Content {
  let css = '';
  const styled: [HTMLElement, string][] = [];
  inert.querySelectorAll('*').forEach((element) => {
    if (ELEMENTS.indexOf(element.localName) < 0 || element.namespaceURI != 'http://www.w3.org/1999/xhtml') return element.remove();
    for (const { name, value } of Array.from(element.attributes)) {
      const keep = ATTRIBUTES.indexOf(name) >= 0 && (name == 'href' || name == 'src' ? allowed(element, name, value) : name != 'target' || TARGET.test(value));
      if (!keep) element.removeAttribute(name);
    }
    if (element.getAttribute('target') == '_blank') element.setAttribute('rel', 'noopener noreferrer');
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

/**
 * The content's style sheet, made for its shadow root (constructed: no CSP nonce needed; `@import` is ignored).
 * Rules that reach outside the shadow root go: `:host` and `:host-context` would style the page's own target,
 * or read its attributes and its ancestors' through the images a rule loads.
 */
export function contentSheet(css: string): CSSStyleSheet {
  const made = new CSSStyleSheet();
  made.replaceSync(css);
  // a rule's selector or prelude (`@scope (:host)`, nested rules alike): :scope there may stand for the host too
  const prune = (rules: CSSRuleList, owner: CSSStyleSheet | CSSGroupingRule) => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i] as CSSRule & { cssRules?: CSSRuleList };
      if (/:host|:scope/i.test(rule.cssText.slice(0, rule.cssText.indexOf('{')))) owner.deleteRule(i);
      else if (rule.cssRules) prune(rule.cssRules, rule as CSSGroupingRule);
    }
  };
  prune(made.cssRules, made);
  return made;
}

/** The browser's own sanitizer, parsing into an inert document (nothing loads, nothing is styled there). */
function native(html: string): Content {
  const box = document.implementation.createHTMLDocument('').createElement('div');
  (box as unknown as { setHTML(html: string, options: object): void }).setHTML(html, { sanitizer: { elements: ELEMENTS, attributes: ATTRIBUTES } });
  return finish(box);
}

/** A sanitizer: the native one at once, else once the `purify` module is in. */
export function createSanitizer(loadPurify: (hash: string) => Promise<Purify>): Promise<(html: string) => Content> {
  if ('setHTML' in Element.prototype) return Promise.resolve(native);
  return loadPurify(PURIFY_HASH).then((purify) => (html: string) => finish(purify(html, ELEMENTS, ATTRIBUTES)));
}
