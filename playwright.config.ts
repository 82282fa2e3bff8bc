import { defineConfig } from '@playwright/test';
import type { Engine } from './e2e/engines/tab';

/**
 * One project per engine, all running the same test bodies (e2e/fixtures.ts gives each a `tab` of its engine).
 * A test named "(Chromium only)" needs Playwright's own Chromium objects and stays out of the other two; the
 * build checks of bundle.spec.ts and the house rules of house.spec.ts read files, not a browser, and run once, as
 * does proxy-server.spec.ts, whose subject is the proxy's servers under load.
 */
const engine = (name: Engine, only = process.env.E2E_ENGINES) => ({
  name,
  use: { engine: name },
  ...(name == 'chromium' ? {} : { grepInvert: /Chromium only/, testIgnore: ['bundle.spec.ts', 'house.spec.ts', 'proxy-server.spec.ts'] }),
  // E2E_ENGINES=firefox,webkit runs a subset while working on one engine
  ...(only && !only.split(',').includes(name) ? { testMatch: /^$/ } : {}),
});

export default defineConfig<{ engine: Engine }>({
  testDir: 'e2e',
  workers: 2,
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  reporter: [[process.env.CI ? 'line' : 'list'], ['./e2e/engines/report.ts']],
  projects: [engine('chromium'), engine('firefox'), engine('webkit')],
});
