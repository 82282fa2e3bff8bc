import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // modules load as the ES module loads them, with import(): the IIFE's <script> loader is tested in browsers (e2e)
  resolve: { alias: [{ find: /^\.\/load$/, replacement: fileURLToPath(new URL('./src/core/load.esm.ts', import.meta.url)) }] },
  test: {
    include: ['src/**/*.test.ts', 'demo/**/*.test.mjs', 'bench/**/*.test.mjs', 'gtm/**/*.test.mjs'],
    environment: 'happy-dom',
    // a <script> the tag adds (the early snippet's bundle) is not fetched, quietly: browsers load it in e2e
    environmentOptions: { happyDOM: { url: 'http://www.shop.test/home?q=1#top', settings: { handleDisabledFileLoadingAsSuccess: true } } },
    restoreMocks: true,
    unstubGlobals: true,
  },
});
