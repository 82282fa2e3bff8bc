/**
 * The Vue SFC example app of the end-to-end tests (e2e/vue.spec.ts): one single-file component, vue-sfc-banner.vue,
 * whose `<Offer>` switches between slots that share a root tag. Rendered on the server (vue-sfc-server.ts) and
 * hydrated in the browser (vue-sfc-client.ts), both built by Vite with @vitejs/plugin-vue (bundle.ts).
 */
import { createSSRApp } from 'vue';
import Banner from './vue-sfc-banner.vue';

/** The app, for a visitor the server and the browser name alike. */
export const createBannerApp = () => createSSRApp(Banner, { visitor: 'guest' });
