/**
 * What the proxy reads and answers, in plain objects rather than the Fetch API's `Request` and `Response`: a Node
 * server reads and writes these directly (node.ts), and only the Web-standard handler turns them into a Response.
 * Building a Request and a Response for every event, and reading their bodies back through Web streams, cost Node
 * about a third of the proxy's CPU.
 */

/** The most an event may carry: one keepalive request's share (64 KiB), as the tag itself holds to. */
export const MAX_BODY = 64 * 1024;

/** Bytes in memory of their own (the Fetch API takes no view of a shared buffer). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** A request as the proxy reads it, its body already read (to one byte past the limit at most). */
export interface Incoming {
  method: string;
  url: URL;
  /** A header's value (the name in lower case), or null. */
  header(name: string): string | null;
  body: Bytes;
  /** The peer's address, where the runtime knows it. */
  peer?: string;
}

/** An answer: header names in lower case; a body of text or bytes, or none. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Bytes | string | null;
  /**
   * The store's work that follows the answer (remembering it): a server may answer first, and must await this
   * before it counts the request done (a graceful shutdown waits for it).
   */
  settled?: Promise<unknown>;
}

/** The proxy's own work on a request, which a handler of createProxy carries under this key for toNodeHandler. */
export const SERVE = Symbol.for('p13n-tag proxy serve');
export type Serve = (incoming: Incoming) => Promise<Answer>;

export const answer = (status: number, body: Answer['body'], headers: Record<string, string> = {}): Answer => ({ status, headers, body });

/** Anything but a POST: refused before its body is read, whichever way the request came. */
export const notAllowed = () => answer(405, 'Method Not Allowed', { allow: 'POST' });

/** An error the proxy answers itself, in the API's own shape, `{code, message}`, so the tag reads it as the service's. */
export const apiError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  answer(status, JSON.stringify({ code, message: 'p13n proxy: ' + message }), { 'content-type': 'application/json', ...headers });

/** The answer as a Fetch API Response (an empty body as none: a Response with a body cannot have status 204). */
export const toResponse = ({ status, headers, body }: Answer) => new Response(body && body.length ? body : null, { status, headers });

/** One of each for every request: making one costs more than an event's decoding. */
export const decoder = new TextDecoder();
export const encoder = new TextEncoder();

/** Chunks as one run of bytes. */
export function concat(chunks: Uint8Array[]): Bytes {
  const bytes = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0);
  return bytes;
}
