/** The Vue example app rendered on the server, as an SSR app's server does: the HTML of `path` (under /vue/). */
import { renderToString } from '@vue/server-renderer';
import { createMemoryHistory } from 'vue-router';
import { BASE, createShop } from './vue-app';

export async function renderShop(path: string): Promise<string> {
  const { app, router } = createShop(createMemoryHistory(BASE));
  await router.push(path.slice(BASE.length - 1) || '/');
  await router.isReady();
  return renderToString(app);
}
