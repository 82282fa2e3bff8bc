import { defineConfig } from '@playwright/test';

// Debian's Chromium where Playwright cannot download its own browser; CHROMIUM_PATH overrides, and an empty
// CHROMIUM_PATH= uses Playwright's own browser where one is installed.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  workers: 2,
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: executablePath || undefined,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        // real host names on this machine, for the registrable-domain cookie
        '--host-resolver-rules=MAP *.shop.test 127.0.0.1',
      ],
    },
  },
});
