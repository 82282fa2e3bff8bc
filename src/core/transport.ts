import { isObject, isString, own } from './config';
import type { Offers, P13nError } from '../types';

export type Reply = { ok: true; status: number; offers: Offers } | { ok: false; error: P13nError; wait?: number };

export interface Request {
  url: string;
  headers: Record<string, string>;
  /** 'same-origin' to a first-party proxy on the page's origin; 'omit' (the default) anywhere else. */
  credentials?: RequestCredentials;
  body: string;
  /** Milliseconds for the whole call, retries included. */
  timeout: number;
  keepalive?: boolean;
  /** Retries within `timeout`; `track` leaves them to the outbox. Default RETRIES. */
  retries?: number;
  log?: (...data: unknown[]) => void;
}

/** At most this many retries after the first attempt. */
export const RETRIES = 2;

export const failure = (code: P13nError['code'], message: string, retryable?: boolean, status?: number, wait?: number) =>
  // the API's own messages pass through as they are; the tag's say where they come from
  ({ ok: false, error: { code, message: (isString(code) ? 'p13n: ' : '') + message, status, retryable }, wait }) as const;

/** The longest wait a `Retry-After` may ask for: a day. A larger (or infinite) one is a server's mistake. */
export const MAX_RETRY_AFTER = 864e5;

/** Milliseconds a `Retry-After` header asks for: delta-seconds or an HTTP date, at most MAX_RETRY_AFTER. */
export function retryAfter(header: string | null): number {
  const seconds = header ? +header : 0;
  return Math.min(MAX_RETRY_AFTER, seconds >= 0 ? seconds * 1000 : Math.max(0, Date.parse(header!) - Date.now()) || 0);
}

/** Exponential with jitter: attempt 0 waits 125-250 ms, attempt 1 waits 250-500 ms. */
export const backoff = (attempt: number) => 250 * 2 ** attempt * (0.5 + Math.random() / 2);

/** What a response means, following the contract's table. Only own properties of the body are read. */
export function readReply(status: number, text: string, retryAfterHeader: string | null = null): Reply {
  let data: unknown;
  try {
    data = text.trim() ? JSON.parse(text) : {};
  } catch {}
  const read = (key: string) => own(data, key);
  const sent = read('offers');
  // only a missing or null `offers` means none (`??`, which TypeScript writes out at length for ES2019)
  const offers = sent == null ? {} : sent;
  if (status > 199 && status < 300) {
    return isObject(data) && isObject(offers)
      ? { ok: true, status, offers }
      : failure('parse', 'the response is not {"offers":{...}}', false, status);
  }
  const code = read('code');
  const message = read('message');
  const numeric = typeof code == 'number';
  // 3xxx: the token or the event is wrong, so sending it again cannot help
  const retryable = (status == 429 || status > 499) && !(numeric && code > 2999 && code < 4000);
  return numeric
    ? failure(code, isString(message) ? message : '', retryable, status, retryAfter(retryAfterHeader))
    : failure('http', 'HTTP ' + status, retryable, status, retryAfter(retryAfterHeader));
}

/** A response as it came: status, body text and `Retry-After`; 0 when none came (offline, refused, aborted). */
export type Answer = [status: number, text: string, retryAfter: string | null] | 0;

/**
 * The POST itself, and all of it that the early snippet shares with the core: the snippet sends the first page
 * view with this, the core reads its answer (`post`'s `early`). Never rejects.
 */
export function exchange(request: Pick<Request, 'url' | 'headers' | 'credentials' | 'body' | 'keepalive'>, signal?: AbortSignal): Promise<Answer> {
  const { url, headers, credentials, body, keepalive } = request;
  // no prototype: fetch reads every option it knows (cache, integrity, priority ...), and a polluted
  // Object.prototype must not supply one
  const init: RequestInit = Object.assign(Object.create(null), { method: 'POST', mode: 'cors', credentials: credentials || 'omit', headers, body, keepalive, signal });
  // fetch may throw rather than reject (a page's own fetch wrapper): the executor makes that a rejection too
  return new Promise<Response>((resolve) => resolve(fetch(url, init)))
    .then((response) => response.text().then((text): Answer => [response.status, text, response.headers.get('Retry-After')]))
    .catch(() => 0);
}

/**
 * One POST, or the answer to one the early snippet sent (`early`), bounded by `deadline`, except with keepalive:
 * Chromium goes on with an aborted keepalive request (it belongs to the browser, not the page), so it is left to
 * settle, however long. Never throws.
 */
async function attempt(request: Request, deadline: number, early?: Promise<Answer>): Promise<Reply> {
  const controller = new AbortController();
  const { signal } = controller;
  // 0 rather than `keepalive || setTimeout(...)`: clearTimeout(true) is clearTimeout(1), which cancels the page's
  // first timer
  const timer = request.keepalive ? 0 : setTimeout(() => controller.abort(), deadline - Date.now());
  // the snippet's request has no signal of ours: the deadline cuts the wait for it instead
  const answer = await (early ? Promise.race([early, new Promise<0>((resolve) => signal.addEventListener('abort', () => resolve(0)))]) : exchange(request, signal));
  clearTimeout(timer as ReturnType<typeof setTimeout>);
  // arrows as escapes: the source and the bundle stay ASCII, whatever charset a CDN serves them with
  if (request.log) request.log('\u2190', answer ? answer[0] : 'no response', answer ? answer[1] : '');
  return answer
    ? readReply(...answer)
    : signal.aborted
      ? failure('timeout', `no answer within ${request.timeout} ms`, true)
      : failure('network', 'no response from ' + request.url, true);
}

/**
 * A `track` event's one attempt: keepalive, so it outlives the page; no timeout, since a keepalive request goes on
 * whatever the page does and is waited for, never doubled; no retries, which the outbox makes later.
 */
export const keepalive = (settings: Pick<Request, 'url' | 'headers' | 'credentials'>, body: string, log?: Request['log']) =>
  // the settings' url, headers and credentials: of a request's other options, they hold only the timeout, set here
  post({ ...settings, body, timeout: 0, keepalive: true, retries: 0, log });

/**
 * POST with retries: a retryable failure is tried again at most `RETRIES` times, after a backoff or the
 * `Retry-After` the server asked for, whichever is longer, and only while the deadline allows. When attempts
 * or time run out, the last real error is reported rather than a generic timeout. With `early`, the first attempt
 * is the one the early snippet made: its answer is awaited, not sent again.
 */
export async function post(options: Request, early?: Promise<Answer>): Promise<Reply> {
  // own properties only: an option the caller left out is not taken from a polluted Object.prototype
  const request = { keepalive: false, retries: RETRIES, log: undefined, ...options };
  const deadline = Date.now() + request.timeout;
  let last: Reply | undefined;
  for (let tries = 0; ; tries++) {
    const reply = await attempt(request, deadline, tries ? undefined : early);
    if (reply.ok) return reply;
    if (reply.error.code == 'timeout') return last || reply;
    const wait = Math.max(backoff(tries), reply.wait || 0);
    if (!reply.error.retryable || tries == request.retries || Date.now() + wait >= deadline) return reply;
    last = reply;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
