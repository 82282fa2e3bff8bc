/**
 * The Vue SFC example app rendered on the server: the entry of its server bundle, which Vite builds as an SSR app's
 * server is built, with @vitejs/plugin-vue compiling the component's template for the server (bundle.ts,
 * `serverBundle`): the test process cannot import a `.vue` file itself.
 */
import { renderToString } from '@vue/server-renderer';
import { createBannerApp } from './vue-sfc-app';

export const renderBanner = () => renderToString(createBannerApp());
