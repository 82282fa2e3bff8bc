/**
 * What every end-to-end test shares: one demo server per worker (the emulator on http://localhost:PORT, pages on
 * http://www.shop.test:PORT, so every call is cross-origin and CORS is real), pages built per test, and the
 * tag's public calls run inside the page.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { startServer } from '../demo/server.mjs';

export { expect };
export const API_KEY = '1/' + 'c0ffee'.repeat(6) + 'c0ff';
export const TOKEN = '1/2/6b6ea5f8df5845fa8e7962f9e1ba84a3';

type Server = Awaited<ReturnType<typeof startServer>>;
export type Emulator = Server['emulator'];
export interface LogEntry {
  t: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  status: number;
  response: unknown;
}

export interface PageOptions {
  /** Markup for `<head>`; `{{TAG}}` becomes the URL of dist/p13n.min.js. */
  head?: string;
  body?: string;
  /** A Content-Security-Policy header for the page. */
  csp?: string;
  /** Path on the site, default `/test`. */
  path?: string;
  host?: string;
}

export const test = base.extend<
  {
    emulator: Emulator;
    open: (options: PageOptions) => Promise<Page>;
    /** POST requests the emulator received, oldest first. */
    posts: () => LogEntry[];
    pageErrors: string[];
  },
  { server: Server }
>({
  server: [
    async ({}, use) => {
      const server = await startServer({ port: 0 });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  emulator: async ({ server }, use) => {
    server.pages.clear();
    server.emulator.reset();
    server.emulator.clearFaults();
    await use(server.emulator);
  },
  posts: async ({ emulator }, use) => {
    await use(() => (emulator.log as LogEntry[]).filter((entry) => entry.method == 'POST'));
  },
  pageErrors: async ({ page }, use) => {
    // uncaught errors and unhandled rejections of the page: a tag must never cause one
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await use(errors);
  },
  open: async ({ page, server, pageErrors }, use) => {
    void pageErrors;
    await use(async ({ head = '', body = '', csp, path = '/test', host = 'www.shop.test' }) => {
      const url = `http://${host}:${server.port}${path}`;
      const html = `<!doctype html><html><head><meta charset="utf-8"><title>Test page</title>${head}</head><body>${body}</body></html>`;
      server.pages.set(new URL(url).pathname, {
        headers: csp ? { 'Content-Security-Policy': csp } : {},
        body: html.replace(/\{\{TAG\}\}/g, `/dist/p13n.min.js`).replace(/\{\{API\}\}/g, server.apiUrl),
      });
      await page.goto(url);
      return page;
    });
  },
});

/** The documented snippet (src/snippet.js, byte for byte), loading the tag from this site. */
const SNIPPET = readFileSync(new URL('../src/snippet.js', import.meta.url), 'utf8').replace('https://YOUR-CDN/p13n.min.js', '{{TAG}}');
export const snippet = (calls: string) => `<script>
${SNIPPET}
  ${calls}
</script>`;

/** A config literal for page scripts, pointing at the emulator. */
export const config = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ database: 'demo_db', table: 'pageviews', apiKey: API_KEY, token: TOKEN, endpoint: '{{API}}', ...extra });

/** Calls `p13n(command, ...args)` in the page once the tag is live and returns what it resolved to. */
export async function call(page: Page, command: string, ...args: unknown[]) {
  await page.waitForFunction(() => typeof (window as { p13n?: { v?: string } }).p13n?.v == 'string');
  return page.evaluate(([command, args]) => (window as any).p13n(command, ...(args as unknown[])), [command, args] as const);
}

/** Waits until `count` POSTs reached the emulator. */
export async function waitForPosts(posts: () => LogEntry[], count: number) {
  await expect.poll(() => posts().length).toBeGreaterThanOrEqual(count);
  return posts();
}
