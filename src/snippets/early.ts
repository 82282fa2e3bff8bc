/**
 * The early snippet, `dist/p13n-early-snippet.js`, pasted inline: src/snippets/short.js's stub and loader, whose stub
 * also sends the first page view the moment it is given an `init` (src/snippets/early-view.ts), while the bundle is still on
 * its way. Nothing of it throws into the page.
 */
import { sendEarly, type Early } from './early-view';

type Stub = { (...args: unknown[]): void; q?: ArrayLike<unknown>[]; e?: Early };
const page = window as unknown as { p13n?: Stub };
page.p13n =
  page.p13n ||
  function () {
    // through the global, as the short snippet's stub: a copy page code kept pushes to the live tag's `q` later
    const p13n = page.p13n!;
    const queue = (p13n.q = p13n.q || []);
    queue.push(arguments);
    try {
      // only the page's first init, with nothing before it but on and off: a set or a consent would change the
      // page view, a second init may not be the one that succeeds; the core sends those page views itself (and
      // once the tag is live its `q` is no list: nothing is sent here)
      if (arguments[0] == 'init' && queue.every((args) => args == arguments || args[0] == 'on' || args[0] == 'off')) p13n.e = sendEarly(arguments[1]);
    } catch {}
  };
// the nonce a strict CSP gave this inline script serves the bundle too (read now: a microtask has no currentScript)
const current = document.currentScript as HTMLScriptElement | null;
// the bundle is added once this <script> has run, so the page view of the init that follows the snippet in it
// leaves first: adding a script element is milliseconds of main thread a request need not wait for
Promise.resolve().then(() => {
  try {
    const script = document.createElement('script');
    script.async = true;
    script.src = 'https://YOUR-CDN/p13n.min.js';
    if (current) script.nonce = current.nonce;
    document.head.appendChild(script);
  } catch {} // Trusted Types refuse a plain URL: load the bundle with a <script src> of the page's own
});
