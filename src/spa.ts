/** How long a route change may settle before its page view is built: the view's title, a redirect's final URL. */
export const ROUTE_SETTLE_MS = 50;

const here = () => location.href.split('#')[0];

/**
 * Route changes of a single-page app: `pushState`, `replaceState` and `popstate`. History is wrapped, not
 * replaced: each wrapper calls whatever was there before (the browser's method or another library's wrapper)
 * with the page's own arguments, returns its result and lets its exceptions through, so the page and the
 * libraries that wrap history after or before the tag see no difference. The wrappers stay when tracking is
 * switched off (unwrapping would drop a wrapper added later by another library); they only stop reporting.
 * `onRoute` gets the URL left, once per new URL: a hash change, or a replaceState to the same URL, is none.
 * `onMove(true)` comes at once when the URL changes; `onMove(false)` when it settles back on the URL it left.
 */
export function watchRoutes(onRoute: (referrer: string) => void, onMove: (moving: boolean) => void = () => {}) {
  let active = false;
  let wrapped = false;
  let last = here();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let moving = false;
  const check = () => {
    const now = here();
    const was = moving;
    moving = false;
    if (active && now != last) {
      const referrer = last;
      last = now;
      onRoute(referrer);
    } else if (was) {
      onMove(false); // left and come back to within the settle time: no new view, what was hidden shows again
    }
  };
  const changed = () => {
    // at once, so the last route's offers are hidden before the new route paints
    if (!moving && here() != last) onMove((moving = true));
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
    if (on && !active) last = here();
    active = on;
    if (on && !wrapped) {
      wrapped = true;
      wrap('pushState');
      wrap('replaceState');
      addEventListener('popstate', () => active && changed());
    }
  };
}
