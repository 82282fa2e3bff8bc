/**
 * The fallback sanitizer: DOMPurify, for the messages module on browsers without `Element.setHTML` (Safari, for
 * now). A module of its own, so that browsers with the Sanitizer API never download it.
 */
import DOMPurify from 'dompurify';

type Policy = { createHTML(html: string): string; createScriptURL(url: string): string };
let policy: Policy | undefined;
let refused = false;
let sanitizing = false; // the policy makes TrustedHTML for DOMPurify's parser, during purify() only

/**
 * Where the page enforces Trusted Types, DOMPurify must hand its parser TrustedHTML: the policy `p13n-html` makes
 * it, for DOMPurify alone (it passes the raw string to the parser, whose output DOMPurify then sanitizes), and
 * for nothing else: outside purify() it refuses. Asked for once: a CSP that refuses it is not asked again.
 */
function trusted(): Policy | undefined {
  const types = (window as { trustedTypes?: { createPolicy(name: string, rules: Policy): Policy } }).trustedTypes;
  if (refused) throw "this browser sanitizes with DOMPurify, which needs the Trusted Types policy p13n-html: the page's CSP does not allow it";
  if (!types || policy) return policy;
  const only = (html: string) => {
    if (!sanitizing) throw 'p13n-html serves DOMPurify only';
    return html;
  };
  try {
    return (policy = types.createPolicy('p13n-html', { createHTML: only, createScriptURL: () => '' }));
  } catch {
    refused = true;
    return trusted();
  }
}

/** `html` without anything but `elements` and `attributes`, as nodes of an inert document: no string goes back to a parser. */
export default function purify(html: string, elements: string[], attributes: string[]): DocumentFragment {
  // where DOMPurify finds the DOM it needs missing, it hands back its input as it was: never that
  if (!DOMPurify.isSupported) throw 'DOMPurify cannot sanitize in this browser';
  const policy = trusted();
  sanitizing = true;
  try {
    return sanitizeWith(html, elements, attributes, policy);
  } finally {
    sanitizing = false;
  }
}

function sanitizeWith(html: string, elements: string[], attributes: string[], policy: Policy | undefined): DocumentFragment {
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS: elements,
    ALLOWED_ATTR: attributes,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    // a leading <style> would be parsed into <head> and lost
    FORCE_BODY: true,
    RETURN_DOM_FRAGMENT: true,
    TRUSTED_TYPES_POLICY: policy as never,
  });
}
