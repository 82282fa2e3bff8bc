/** Node's `http` module in front of the Web-standard handler: `http.createServer(toNodeHandler(proxy))`. */
import type { ProxyHandler } from './types';

/** The most an event may carry: one keepalive request's share (64 KiB), as the tag itself holds to. */
export const MAX_BODY = 64 * 1024;

/** What `toNodeHandler` needs of Node's `IncomingMessage` and `ServerResponse`. */
export interface NodeRequest extends AsyncIterable<Uint8Array> {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
}
export interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: Uint8Array): unknown;
}

/**
 * Serves the handler with Node's `http` module, passing it the peer's address. A body is buffered up to one byte
 * over the proxy's limit, and the rest read and discarded, so a huge upload costs no memory before its 413.
 */
export function toNodeHandler(handler: ProxyHandler) {
  return async (req: NodeRequest, res: NodeResponse) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of req) {
      if (size > MAX_BODY) continue;
      chunks.push(chunk.subarray(0, MAX_BODY + 1 - size));
      size += chunks[chunks.length - 1].length;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const method = req.method || 'GET';
    const url = new URL(req.url || '/', 'http://' + (headers.get('Host') || 'localhost'));
    const body = method == 'GET' || method == 'HEAD' ? undefined : new Blob(chunks as BlobPart[]);
    const response = await handler(new Request(url, { method, headers, body }), { address: req.socket && req.socket.remoteAddress });
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => (out[name] = value));
    res.writeHead(response.status, out);
    res.end(new Uint8Array(await response.arrayBuffer()));
  };
}
