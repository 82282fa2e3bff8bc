import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // modules load as the ES module loads them, with import(): the IIFE's <script> loader is tested in browsers (e2e)
  resolve: { alias: [{ find: /^\.\/load$/, replacement: fileURLToPath(new URL('./src/load.esm.ts', import.meta.url)) }] },
  test: {
    include: ['src/**/*.test.ts', 'demo/**/*.test.mjs'],
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'http://www.shop.test/home?q=1#top' } },
    restoreMocks: true,
    unstubGlobals: true,
  },
});
