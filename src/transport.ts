import { isObject } from './config';
import type { Offers, P13nError } from './types';

export type Reply = { ok: true; status: number; offers: Offers } | { ok: false; error: P13nError; wait?: number };

export interface Request {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds for the whole call, retries included. */
  timeout: number;
  keepalive?: boolean;
  log?: (...data: unknown[]) => void;
}

/** At most this many retries after the first attempt. */
export const RETRIES = 2;
const BACKOFF_MS = 250;

const own = (o: Record<string, unknown>, key: string) => (Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined);
const failure = (error: P13nError): Reply => ({ ok: false, error });

/** Milliseconds a `Retry-After` header asks for: delta-seconds or an HTTP date. */
export function retryAfter(header: string | null): number {
  if (!header) return 0;
  const seconds = +header;
  return seconds >= 0 ? seconds * 1000 : Math.max(0, Date.parse(header) - Date.now()) || 0;
}

/** Exponential with jitter: attempt 0 waits 125-250 ms, attempt 1 waits 250-500 ms. */
export const backoff = (attempt: number) => BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2);

/** What a response means, following the contract's table. */
export function readReply(status: number, text: string, retryAfterHeader: string | null = null): Reply {
  let data: unknown;
  let json = true;
  try {
    data = text.trim() ? JSON.parse(text) : null;
  } catch {
    json = false;
  }
  if (status >= 200 && status < 300) {
    const offers = isObject(data) ? own(data, 'offers') : undefined;
    return json && (data === null || isObject(data)) && (offers == null || isObject(offers))
      ? { ok: true, status, offers: (offers || {}) as Offers }
      : failure({ code: 'parse', status, message: 'p13n: the response is not JSON of the form {"offers": {...}}' });
  }
  let retryable = status == 429 || status >= 500;
  const code = isObject(data) ? own(data, 'code') : undefined;
  if (typeof code == 'number') {
    // 3xxx: the token or the event is wrong; sending it again cannot help
    retryable = retryable && (code < 3000 || code > 3999);
    const message = own(data as Record<string, unknown>, 'message');
    return { ok: false, error: { code, status, message: typeof message == 'string' ? message : '', retryable }, wait: retryAfter(retryAfterHeader) };
  }
  return { ok: false, error: { code: 'http', status, message: 'p13n: HTTP ' + status, retryable }, wait: retryAfter(retryAfterHeader) };
}

/** One POST, bounded by `deadline`. Never throws. */
async function attempt(request: Request, deadline: number): Promise<Reply> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadline - Date.now());
  const { url, headers, body, keepalive, log } = request;
  try {
    const response = await fetch(url, {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers,
      body,
      keepalive,
      signal: controller.signal,
    });
    const text = await response.text();
    if (log) log('←', response.status, text);
    return readReply(response.status, text, response.headers.get('Retry-After'));
  } catch (error) {
    if (log) log('←', error);
    return controller.signal.aborted
      ? failure({ code: 'timeout', message: `p13n: no answer within ${request.timeout} ms`, retryable: true })
      : failure({ code: 'network', message: 'p13n: no response (offline, blocked, or refused by CORS) from ' + url, retryable: true });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * POST with retries: a retryable failure is tried again at most `RETRIES` times, after a backoff or the
 * `Retry-After` the server asked for, whichever is longer, and only while the deadline allows. When attempts
 * or time run out, the last real error is reported rather than a generic timeout.
 */
export async function post(request: Request): Promise<Reply> {
  const deadline = Date.now() + request.timeout;
  let last: Reply | undefined;
  for (let tries = 0; ; tries++) {
    const reply = await attempt(request, deadline);
    if (reply.ok) return reply;
    if (reply.error.code == 'timeout') return last || reply;
    const wait = Math.max(backoff(tries), reply.wait || 0);
    if (!reply.error.retryable || tries == RETRIES || Date.now() + wait >= deadline) return reply;
    last = reply;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
