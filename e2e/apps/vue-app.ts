/**
 * The Vue example app of the end-to-end tests (e2e/vue.spec.ts): a shop with a header banner (`<Offer name="hero">`)
 * on every route and a sale page (`<Offer name="sale">`), routed by vue-router 4 under /vue/. Render functions,
 * no single-file components. The same module is rendered on the server (vue-server.ts) and hydrated in the browser
 * (vue-client.ts).
 */
import { createSSRApp, defineComponent, h } from 'vue';
import { createRouter, RouterLink, RouterView, type RouterHistory } from 'vue-router';
import { Offer } from '../../src/bindings/vue';

export const BASE = '/vue/';

type Attributes = { attributes?: Record<string, unknown> };
const text = (offer: Attributes, key: string) => String((offer.attributes || {})[key]);

const Home = defineComponent({ name: 'Home', render: () => h('h1', { id: 'page' }, 'Home') });

const Sale = defineComponent({
  name: 'Sale',
  render: () => [
    h('h1', { id: 'page' }, 'Sale'),
    h(Offer, { name: 'sale' }, {
      default: ({ offer }: { offer: Attributes }) => h('p', { id: 'sale', class: 'offer' }, text(offer, 'discount')),
      fallback: () => h('p', { id: 'sale' }, 'Every day low prices'),
    }),
  ],
});

/** `label` is the shop's name in the header; a test gives the client another one to check a mismatch is seen. */
const Layout = defineComponent({
  name: 'Layout',
  props: { label: { type: String, default: 'Shop' } },
  setup: (props) => () =>
    h('div', { class: 'shop' }, [
      h('header', [
        h('span', { id: 'label' }, props.label),
        h(Offer, { name: 'hero' }, {
          default: ({ offer }: { offer: Attributes }) => h('strong', { id: 'hero', class: 'offer' }, text(offer, 'headline')),
          fallback: () => h('strong', { id: 'hero' }, 'Welcome'),
          loading: () => h('strong', { id: 'hero', 'aria-busy': 'true' }, 'Welcome'),
        }),
        h('nav', [h(RouterLink, { to: '/', id: 'to-home' }, () => 'Home'), ' ', h(RouterLink, { to: '/sale', id: 'to-sale' }, () => 'Sale')]),
      ]),
      h('main', [h(RouterView)]),
    ]),
});

/** The app and its router, on `history` (memory on the server, web history in the browser). */
export function createShop(history: RouterHistory, label?: string) {
  const router = createRouter({
    history,
    routes: [
      { path: '/', component: Home },
      { path: '/sale', component: Sale },
    ],
  });
  const app = createSSRApp(Layout, { label });
  app.use(router);
  return { app, router };
}
