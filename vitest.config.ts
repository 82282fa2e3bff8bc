import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'demo/**/*.test.mjs'],
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'http://www.shop.test/home?q=1#top' } },
    restoreMocks: true,
    unstubGlobals: true,
  },
});
