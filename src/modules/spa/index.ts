/** How long a route change may settle before its page view is built: the view's title, a redirect's final URL. */
export const ROUTE_SETTLE_MS = 50;

/**
 * The longest a route's page view waits for the app to give the route its title, counted from the URL change:
 * React Router sets it up to 245 ms after the URL on a 4x throttled CPU, Turbo about 70 ms after.
 */
export const TITLE_WAIT_MS = 500;

const here = () => location.href.split('#')[0];

/**
 * Route changes of a single-page app: `pushState`, `replaceState` and `popstate`. History is wrapped, not
 * replaced: each wrapper calls whatever was there before (the browser's method or another library's wrapper)
 * with the page's own arguments, returns its result and lets its exceptions through, so the page and the
 * libraries that wrap history after or before the tag see no difference. The wrappers stay when tracking is
 * switched off (unwrapping would drop a wrapper added later by another library); they only stop reporting.
 * `onRoute` gets the URL left, once per new URL (a hash change, or a replaceState to the same URL, is none), as
 * the route settles, and a promise that settles once the route has its title: at once when the title already
 * changed, else when it changes, at most TITLE_WAIT_MS after the URL did, or when the visitor moves on.
 * `onMove(true)` comes at once when the URL changes; `onMove(false)` when it settles back on the URL it left.
 * `from` is the URL when route changes were asked for: the core loads this module then, and a route the app
 * moved to before it was in is a route change all the same.
 */
export default function watchRoutes(onRoute: (referrer: string, titled: Promise<unknown>) => void, onMove: (moving: boolean) => void = () => {}, from?: string) {
  let active = false;
  let wrapped = false;
  let last = from || here();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let moving = false;
  let title = document.title; // the last page view's
  let since = 0; // when the URL changed
  let before = title; // the title then
  // an app that has never given a route a new title, once a wait for one ran out, is not waited for again
  let titles = false;
  let patient = true;
  let done: (() => void) | undefined; // ends the wait of a route for its title
  const check = () => {
    const now = here();
    const was = moving;
    moving = false;
    if (active && now != last) {
      const referrer = last;
      last = now;
      const named = document.title != title || document.title != before;
      if (named) titles = patient = true;
      onRoute(referrer, named || !patient ? Promise.resolve((title = document.title)) : titled());
    } else if (was) {
      onMove(false); // left and come back to within the settle time: no new view, what was hidden shows again
    }
  };
  /** Settles when the title changes, TITLE_WAIT_MS after the URL did, or at the next history change. */
  const titled = () =>
    new Promise((resolve) => {
      // no polling: the title's element or text changing is a mutation of the head, watched only while a route waits
      const watcher = new MutationObserver(() => document.title != title && ((titles = true), end()));
      const cap = setTimeout(() => ((patient = titles), end()), since + TITLE_WAIT_MS - Date.now());
      const end = () => {
        watcher.disconnect();
        clearTimeout(cap);
        done = undefined;
        resolve((title = document.title));
      };
      done = end;
      watcher.observe(document.head || document.documentElement, { childList: true, characterData: true, subtree: true });
    });
  const changed = () => {
    // the visitor moved on: the route waiting for its title goes as it is
    if (done) done();
    // at once, so the last route's offers are hidden before the new route paints
    if (!moving && here() != last) {
      since = Date.now();
      before = document.title;
      onMove((moving = true));
    }
    clearTimeout(timer);
    // a redirect chain (push then replace) settles into one view of its final URL, with its new title
    timer = setTimeout(check, ROUTE_SETTLE_MS);
  };
  const wrap = (name: 'pushState' | 'replaceState') => {
    const original = history[name];
    try {
      history[name] = function (this: History) {
        const result = original.apply(this, arguments as unknown as Parameters<History['pushState']>);
        if (active) changed();
        return result;
      };
    } catch {} // a frozen history: popstate still tells of back and forward
  };
  return (on: boolean) => {
    if (on && !active) (last = from || here()), (title = document.title);
    active = on;
    if (on && !wrapped) {
      wrapped = true;
      wrap('pushState');
      wrap('replaceState');
      addEventListener('popstate', () => active && changed());
    }
    // the app moved on while this module loaded
    if (on && from) {
      if (from != here()) changed();
      from = undefined;
    }
  };
}
