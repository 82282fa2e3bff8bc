/**
 * The modal message: a native modal `<dialog>` in a shadow root of its own, so that page styles neither leak in
 * nor out. `showModal()` gives it the top layer, makes the rest of the page inert and closes it on Escape; this
 * adds the label, the close button, the backdrop click, Tab going round inside it, the scroll lock and focus
 * returning to where it was.
 */
import type { Content } from './sanitize';

const CSS = `dialog{padding:0;border:0;border-radius:8px;max-width:min(92vw,640px);max-height:90vh;overflow:auto;box-shadow:0 12px 48px rgba(0,0,0,.35);color:#111;background:#fff}
dialog::backdrop{background:rgba(0,0,0,.55)}
.content{padding:24px}
.close{position:absolute;top:4px;right:4px;width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:#111;font:28px/1 sans-serif;cursor:pointer}
.close:focus-visible{outline:3px solid #1a5fff;outline-offset:-3px}`;

/** The style sheets of a shadow root: constructed, so no CSP nonce is needed. */
export function sheet(css: string): CSSStyleSheet {
  const made = new CSSStyleSheet();
  made.replaceSync(css);
  return made;
}
let own: CSSStyleSheet | undefined;

/**
 * Opens `content` as a modal dialog; `closed` runs once it is closed (by Escape, the close button, a click on the
 * backdrop, or `close()`), after the page has its scroll and its focus back. Returns `close`.
 */
export function openModal(content: Content, sheets: CSSStyleSheet[], closed: () => void, clicked: (href: string) => void): () => void {
  const host = document.createElement('p13n-modal');
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [(own = own || sheet(CSS)), ...sheets];
  const dialog = document.createElement('dialog');
  const body = document.createElement('div');
  const button = document.createElement('button');
  body.className = 'content';
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
  dialog.addEventListener('click', (event) => {
    // the dialog itself is the target only outside its content: on the backdrop
    if (event.target == dialog) dialog.close();
    const link = (event.target as Element).closest('a[href]');
    if (link) clicked((link as HTMLAnchorElement).href);
  });
  button.addEventListener('click', () => dialog.close());
  // showModal() makes the page inert, but past the last control Chromium and Firefox let Tab leave for the
  // browser's own UI: the focus goes round inside the dialog instead
  dialog.addEventListener('keydown', (event) => {
    // keyCode too: WebKitGTK's driver sends Shift+Tab with the key 'Unidentified'
    if (event.key != 'Tab' && event.keyCode != 9) return;
    const stops = Array.from(dialog.querySelectorAll<HTMLElement>('a[href],button,summary,[tabindex]:not([tabindex="-1"])'));
    const at = root.activeElement;
    const edge = event.shiftKey ? (at == stops[0] || at == body ? stops[stops.length - 1] : null) : at == stops[stops.length - 1] ? stops[0] : null;
    if (edge) {
      event.preventDefault();
      edge.focus();
    }
  });
  (document.body || page).append(host);
  page.style.overflow = 'hidden';
  dialog.showModal();
  // the close button first in focus order would be read before the message: focus starts on the dialog's content
  body.tabIndex = -1;
  body.focus();
  return () => dialog.open && dialog.close();
}
