/**
 * The MRC/IAB display viewability rule, as a watcher of elements: an element is viewed once at least 50% of its
 * pixels (30% for an element over 242,500 CSS px^2) have been in the viewport for one continuous second, while the
 * tab is visible. One IntersectionObserver for every element. Its ratio is read, not `isIntersecting` (true below
 * the threshold on a first callback), and the second starts again when the tab comes back (Prebid's
 * bidViewabilityIO does neither).
 */

/** CSS px^2 over which an element is large: 30% of it in view is enough. */
export const LARGE_AREA = 242_500;
/** How long it must stay in view. */
export const VIEW_MS = 1000;

interface Watched {
  ratio: number;
  large: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** Calls `viewed(element)` once for each element watched, when it has been viewable by the rule; then lets it go. */
export function watchViewability(viewed: (element: Element) => void) {
  const watched = new Map<Element, Watched>();
  const check = (element: Element, state: Watched) => {
    const inView = state.ratio >= (state.large ? 0.3 : 0.5) && document.visibilityState == 'visible';
    if (inView && !state.timer) {
      state.timer = setTimeout(() => {
        forget(element);
        viewed(element);
      }, VIEW_MS);
    } else if (!inView && state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
  };
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const state = watched.get(entry.target);
        if (!state) continue;
        const { width, height } = entry.boundingClientRect;
        // an element with no box (hidden, display: none) is never in view, whatever ratio a browser reports for it
        state.ratio = width * height > 0 ? entry.intersectionRatio : 0;
        state.large = width * height > LARGE_AREA;
        check(entry.target, state);
      }
    },
    { threshold: [0, 0.3, 0.5] },
  );
  // the second is one continuous second of a visible tab: it starts again when the tab comes back
  const visibility = () => watched.forEach((state, element) => check(element, state));
  document.addEventListener('visibilitychange', visibility);
  function forget(element: Element) {
    const state = watched.get(element);
    if (!state) return;
    clearTimeout(state.timer);
    watched.delete(element);
    observer.unobserve(element);
  }
  return {
    watch(element: Element) {
      if (watched.has(element)) return;
      watched.set(element, { ratio: 0, large: false });
      observer.observe(element);
    },
    forget,
    stop() {
      watched.forEach((state) => clearTimeout(state.timer));
      watched.clear();
      observer.disconnect();
      document.removeEventListener('visibilitychange', visibility);
    },
  };
}
