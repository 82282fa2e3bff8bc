/**
 * The Vue example app's browser entry: hydrates the server's HTML in #app. The page tells it when: at once, or
 * (`window.hydrateAfterOffers`) once the tag's answer is in, so the offers arrive before hydration. Leaves
 * `window.hydrated` with what the banner showed right after hydration.
 */
import { createWebHistory } from 'vue-router';
import { BASE, createShop } from './vue-app';

type Page = Window & { hydrateAfterOffers?: boolean; shopLabel?: string; hydrated?: { hero: string } };
const page = window as Page;
const p13n = (window as unknown as { p13n: (...args: unknown[]) => void }).p13n;

const { app, router } = createShop(createWebHistory(BASE), page.shopLabel);
const hydrate = () => {
  app.mount('#app');
  page.hydrated = { hero: document.getElementById('hero')!.textContent! };
};

router.isReady().then(() => {
  if (!page.hydrateAfterOffers) return hydrate();
  // the tag hands a late listener the offers already in
  const ready = () => {
    p13n('off', 'offers', ready);
    hydrate();
  };
  p13n('on', 'offers', ready);
});
