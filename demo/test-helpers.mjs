// Shared by the demo's tests: one real server per test file, requests through Node's own fetch, so
// what is tested is the HTTP exchange a browser would have, not a function call.
import { startServer } from './server.mjs';
import { MEDIA_TYPE } from './emulator.mjs';

export const KEY = '1/4d8a87c9b3e40e7380bf709c601f6f169a24a90d';
export const TOKEN = '1/2/6b6ea5f8df5845fa8e7962f9e1ba84a3';
export const ORIGIN = 'http://www.shop.test:8080';
export { MEDIA_TYPE };

/** Starts a server for a `describe` block; `ctx.server` is set in beforeAll. */
export async function start(options) {
  return startServer({ port: 0, ...options });
}

/**
 * POSTs an event like the tag does. `headers` override the defaults; a header set to `undefined`
 * is left out. A string body is sent as is.
 */
export function post(server, body, { path = '/demo_db/pageviews', headers = {}, signal } = {}) {
  const all = {
    Origin: ORIGIN,
    'Content-Type': MEDIA_TYPE,
    Accept: MEDIA_TYPE,
    Authorization: `TD1 ${KEY}`,
    'WP13n-Token': TOKEN,
    ...headers,
  };
  return fetch(server.apiUrl + path, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** A page view from visitor `id` on `path`, plus any extra attributes. */
export function view(server, id, path = '/', extra = {}) {
  return post(server, { td_client_id: id, td_path: path, td_url: 'http://www.shop.test' + path, ...extra });
}

/** The offer names of a response (none for the API's "200 without payload"). */
export async function offerNames(response) {
  const text = await response.text();
  return text ? Object.keys(JSON.parse(text).offers).sort() : [];
}

export function control(server, method, path, body) {
  return fetch(`${server.apiUrl}/_emulator/${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
}
