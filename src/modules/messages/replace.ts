/**
 * Where a replacement message goes. A target shows its message in a shadow root attached to it: its own children
 * stay where they are, untouched (a framework that owns them never finds them gone), and are simply not rendered
 * while the root has no `<slot>`; restoring gives the root a slot. An element that takes no shadow root (a `td`, a
 * `li`, one with a shadow root of its own) gets a host element in place of its children, which come back on restore.
 */
export interface Placed {
  /** Where the message's nodes and style sheets go. */
  root: ShadowRoot;
  /** Shows the target's own content again. */
  restore(): void;
}

// a shadow root cannot be taken off: the one attached to a target serves its every later message
const roots = new WeakMap<Element, ShadowRoot>();

/** Hides `target`'s content at once (an empty shadow root renders nothing) and gives the root its message goes into. */
export function hold(target: Element): Placed {
  let root = roots.get(target);
  // a custom element may not be defined yet: a shadow root attached now would make its upgrade throw
  if (!root && target.localName.indexOf('-') < 0) {
    try {
      roots.set(target, (root = target.attachShadow({ mode: 'open' })));
    } catch {}
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
