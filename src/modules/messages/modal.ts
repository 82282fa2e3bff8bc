/**
 * The modal message: a native modal `<dialog>` in a shadow root of its own, so that page styles neither leak in
 * nor out. `showModal()` gives it the top layer, makes the rest of the page inert and closes it on Escape; this
 * adds the label, the close button, the backdrop click, Tab going round inside it, the scroll lock and focus
 * returning to where it was.
 */
import { contentSheet, type Content } from './sanitize';

const CSS = `dialog{padding:0;border:0;border-radius:8px;max-width:min(92vw,640px);max-height:90vh;overflow:auto;box-shadow:0 12px 48px rgba(0,0,0,.35);color:#111;background:#fff}
dialog::backdrop{background:rgba(0,0,0,.55)}
.content{padding:24px}
.close{position:absolute;top:4px;right:4px;width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:#111;font:28px/1 sans-serif;cursor:pointer}
.close:focus-visible{outline:3px solid #1a5fff;outline-offset:-3px}`;

let baseSheet: CSSStyleSheet | undefined;

/** What a modal is made of, and what it tells. */
export interface ModalOptions {
  content: Content;
  /** The content's own style sheet. */
  sheet: CSSStyleSheet;
  /** Once it is closed (Escape, the close button, the backdrop, or `close()`), the page's scroll and focus given back. */
  closed(): void;
  /** A link in it was clicked. */
  clicked(href: string): void;
}

/** The link a click landed in, if any: a click dispatched on the shadow root itself has no element for a target. */
export const linkOf = (event: Event) => {
  const target = event.target as Element;
  return target && target.closest ? (target.closest('a[href]') as HTMLAnchorElement | null) : null;
};

/** The controls Tab stops at, as the visitor sees them: none hidden (a closed `<details>`, the content's own CSS). */
const stopsOf = (dialog: HTMLElement) =>
  Array.from(dialog.querySelectorAll<HTMLElement>('a[href],button,summary,[tabindex]:not([tabindex="-1"])')).filter((stop) => stop.getClientRects().length);

/** Opens a modal dialog with `content`; returns its `close`. Throws (leaving the page as it was) if it cannot open. */
export function openModal({ content, sheet, closed, clicked }: ModalOptions): () => void {
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
  if (heading) dialog.setAttribute('aria-labelledby', (heading.id = heading.id || 'p13n-message-title'));
  else dialog.setAttribute('aria-label', (body.textContent || '').trim().slice(0, 80) || 'Message');
  root.append(dialog);

  const page = document.documentElement;
  const overflow = page.style.overflow;
  const before = document.activeElement as HTMLElement | null;
  dialog.addEventListener('close', () => {
    page.style.overflow = overflow;
    host.remove();
    if (before && before.isConnected && before.focus) before.focus();
    closed();
  });
  // the backdrop: a click that both began and ended on the dialog itself, outside its content (a text selection
  // dragged out of the content ends there too, and must not close it)
  let downOnBackdrop = false;
  dialog.addEventListener('pointerdown', (event) => (downOnBackdrop = event.target == dialog));
  dialog.addEventListener('click', (event) => {
    if (event.target == dialog && downOnBackdrop) dialog.close();
    const link = linkOf(event);
    if (link) clicked(link.href);
  });
  button.addEventListener('click', () => dialog.close());
  // showModal() makes the page inert, but past the last control Chromium and Firefox let Tab leave for the
  // browser's own UI: the focus goes round inside the dialog instead
  dialog.addEventListener('keydown', (event) => {
    // keyCode too: WebKitGTK's driver sends Shift+Tab with the key 'Unidentified'
    if (event.key != 'Tab' && event.keyCode != 9) return;
    const stops = stopsOf(dialog);
    const first = stops[0];
    const last = stops[stops.length - 1];
    const at = root.activeElement;
    let next: HTMLElement | undefined;
    if (event.shiftKey && (at == first || at == body)) next = last;
    if (!event.shiftKey && at == last) next = first;
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
  (document.body || page).append(host);
  try {
    dialog.showModal();
  } catch (why) {
    host.remove();
    throw why;
  }
  page.style.overflow = 'hidden';
  body.focus();
  return () => dialog.open && dialog.close();
}
