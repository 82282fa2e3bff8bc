/** The one style element pre-hiding uses; the snippet may add it first, so hiding starts before the bundle. */
export const PREHIDE_ID = 'p13n-prehide';

/**
 * Pre-hiding: `selector` is hidden (`visibility`, so the layout is kept and nothing shifts when it shows) from
 * now until `reveal` is called, at most `timeout` ms. Only the elements named are hidden, never the whole page.
 * A style element the snippet already added is adopted, so its rule holds until the answer is in; `nonce` lets
 * the one this adds pass a CSP without `'unsafe-inline'` styles. Calling it again (a route change) hides again.
 */
export function createPrehide(selector: string | undefined, timeout: number, nonce?: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reveal = () => {
    clearTimeout(timer);
    const style = document.getElementById(PREHIDE_ID);
    if (style) style.remove();
  };
  const hide = () => {
    let style = document.getElementById(PREHIDE_ID);
    if (!style && selector) {
      style = document.createElement('style');
      style.id = PREHIDE_ID;
      if (nonce) style.setAttribute('nonce', nonce);
      style.textContent = selector + '{visibility:hidden!important}';
      (document.head || document.documentElement).appendChild(style);
    }
    clearTimeout(timer);
    if (style) timer = setTimeout(reveal, timeout);
  };
  return { _hide: hide, _reveal: reveal };
}

export type Prehide = ReturnType<typeof createPrehide>;
