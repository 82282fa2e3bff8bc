/**
 * The part of `fetch` the proxy forwards with, on Node's own `http`/`https` client: the server's default. Node's
 * global fetch (undici) builds Web streams, a Request, Headers and an AbortController for every call; at 1,000
 * events a second on two cores that was well over half of a forwarder's CPU (bench/PROXY.md: 830 µs a request
 * through fetch, 340 through this). Node only; other runtimes keep their fetch.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';

/**
 * Sockets kept open between requests, as fetch keeps them; one unused for 4 s is closed (fetch's own default) so
 * that a request never goes out on a socket the service has just closed at its end.
 */
const IDLE_MS = 4000;
const agents = { 'http:': new http.Agent({ keepAlive: true, timeout: IDLE_MS }), 'https:': new https.Agent({ keepAlive: true, timeout: IDLE_MS }) };
const REDIRECTS = [301, 302, 303, 307, 308];

/** What the proxy reads of an answer: a Response to the type system, a small object at run time. */
interface Answered {
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * `fetch(url, { method, headers, body, signal, redirect })` for the proxy's forwards: the body bytes in, the whole
 * answer read before it resolves. It rejects as fetch does: the connection failed or was cut, the signal aborted,
 * or a redirect came with `redirect: 'error'` (a redirect is never followed).
 */
export const nodeHttpFetch = ((url: string, init: RequestInit = {}) =>
  new Promise<Answered>((resolve, reject) => {
    const target = new URL(url);
    const agent = agents[target.protocol as keyof typeof agents];
    if (!agent) return reject(new TypeError(`p13n proxy: cannot forward to ${target.protocol} URLs, only http: and https:`));
    const body = init.body as Uint8Array | undefined;
    const headers = { ...(init.headers as Record<string, string>), ...(body ? { 'Content-Length': String(body.length) } : {}) };
    const request = (target.protocol == 'https:' ? https : http).request(target, { method: init.method || 'GET', headers, agent }, (response) => {
      const status = response.statusCode || 0;
      if (init.redirect == 'error' && REDIRECTS.includes(status) && response.headers.location) {
        response.resume();
        return reject(new TypeError('p13n proxy: the service answered a redirect, which is not followed'));
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const all = Buffer.concat(chunks);
        // a copy of its own: a small Buffer is a view of a larger one Node shares
        const bytes = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
        const header = (name: string) => {
          const value = response.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        resolve({ status, headers: { get: header }, arrayBuffer: async () => bytes as ArrayBuffer });
      });
      // cut off before its end: no answer to pass on
      response.on('close', () => !response.complete && reject(new TypeError('p13n proxy: the answer was cut off')));
      response.on('error', reject);
    });
    request.on('error', reject);
    const signal = init.signal;
    if (signal) {
      if (signal.aborted) return request.destroy(signal.reason);
      // the proxy's forwards share a signal (index.ts): Node would warn of a leak past 10 listeners
      setMaxListeners(0, signal);
      const abort = () => request.destroy(signal.reason);
      signal.addEventListener('abort', abort);
      request.once('close', () => signal.removeEventListener('abort', abort));
    }
    request.end(body);
  })) as unknown as typeof fetch;
