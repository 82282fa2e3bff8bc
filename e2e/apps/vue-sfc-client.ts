/**
 * The Vue SFC example app's browser entry: hydrates the server's HTML in #app, and leaves `window.hydrated` with
 * what the banner was right after hydration; `window.banner()` tells the test what it is now.
 */
import { createBannerApp } from './vue-sfc-app';

/** What a visitor sees of the banner: its text, and whether it is still hidden or styled as a skeleton. */
export type BannerState = { text: string; className: string; hidden: boolean; background: string };
type Page = Window & { hydrated?: BannerState; banner?: () => BannerState };
const page = window as Page;

const banner = (): BannerState => {
  const element = document.getElementById('banner')!;
  const { backgroundColor } = getComputedStyle(element);
  return { text: element.textContent!, className: element.className, hidden: element.hasAttribute('hidden'), background: backgroundColor };
};

page.banner = banner;
createBannerApp().mount('#app');
page.hydrated = banner();
