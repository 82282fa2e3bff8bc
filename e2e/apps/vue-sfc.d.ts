/**
 * What a `.vue` file is to TypeScript, as a Vue app's env.d.ts declares it (@vitejs/plugin-vue compiles it): here
 * the one single-file component, vue-sfc-banner.vue, which takes the visitor's name.
 */
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<{ visitor: string }>;
  export default component;
}
