// Small helpers shared by the emulator and the shop server, so neither repeats body reading or
// header plumbing. Node built-ins only: the demo must run straight from a fresh clone.

/** Largest request body accepted; an event is a few kB, anything bigger is a mistake or abuse. */
export const MAX_BODY = 1024 * 1024;

/**
 * Reads the whole request body as text. Resolves `null` when it exceeds `limit`, so the caller can
 * answer instead of buffering without bound.
 */
export function readBody(req, limit = MAX_BODY) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses JSON, returning `undefined` instead of throwing: bad JSON is a normal input here. */
export function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Ends a response. Headers already set on `res` (CORS) are kept; `body` may be a string, a Buffer,
 * an object (sent as JSON) or empty. A body that cannot be written after the client left is ignored.
 */
export function send(res, status, body = '', headers = {}) {
  if (res.headersSent || res.destroyed) return;
  let payload = body;
  const type = headers['Content-Type'];
  if (!Buffer.isBuffer(body) && (isPlainObject(body) || Array.isArray(body))) {
    payload = JSON.stringify(body);
    if (!type) headers = { ...headers, 'Content-Type': 'application/json' };
  }
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload), 'utf8');
  // RFC 9110 forbids Content-Length (and a body) on 204 and 304.
  if (status === 204 || status === 304) return void res.writeHead(status, headers).end();
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

/** Waits `ms` milliseconds (0 resolves on the next turn, which keeps ordering predictable). */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(ms) || 0)));
}

/** The host name of a request without port, `[::1]:8080` -> `::1`. */
export function hostName(req) {
  const host = String(req.headers.host || '').toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0];
}
