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

/** Up to one byte over the limit; the rest is read and discarded after, so a huge upload costs no memory. */
async function readCapped(req: NodeRequest) {
  const chunks: Uint8Array[] = [];
  const source = req[Symbol.asyncIterator]();
  let size = 0;
  while (size <= MAX_BODY) {
    const { value, done } = await source.next();
    if (done) return chunks;
    chunks.push(value.subarray(0, MAX_BODY + 1 - size));
    size += chunks[chunks.length - 1].length;
  }
  // answered (413) while the rest still arrives
  void (async () => {
    while (!(await source.next()).done);
  })().catch(() => {});
  return chunks;
}

const plain = (status: number, text: string) => new Response(text, { status, headers: { 'Content-Type': 'text/plain' } });

/**
 * Serves the handler with Node's `http` module, passing it the peer's address. It never rejects, so a server that
 * ignores its promise (as `http.createServer(toNodeHandler(proxy))` does) cannot be brought down by a request:
 * a method or Host the Fetch API refuses gets 400, an upload cut off midway no answer (no one is there to read it).
 */
export function toNodeHandler(handler: ProxyHandler) {
  return async (req: NodeRequest, res: NodeResponse) => {
    let response: Response;
    try {
      const method = (req.method || 'GET').toUpperCase();
      // methods `new Request` refuses (TRACE, CONNECT), and bodies never needed
      if (method != 'POST') response = new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } });
      else {
        const headers = new Headers();
        let url: URL;
        try {
          for (const [name, value] of Object.entries(req.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          url = new URL(req.url || '/', 'http://' + (headers.get('Host') || 'localhost'));
        } catch {
          response = plain(400, 'Bad Request: the Host or a header cannot be read');
        }
        response ??= await readCapped(req).then(
          (chunks) => handler(new Request(url, { method, headers, body: new Blob(chunks as BlobPart[]) }), { address: req.socket && req.socket.remoteAddress }),
          () => plain(400, 'Bad Request: the body was cut off'),
        );
      }
    } catch {
      response = plain(500, 'Internal Server Error in the p13n proxy');
    }
    try {
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => (out[name] = value));
      const body = new Uint8Array(await response.arrayBuffer());
      res.writeHead(response.status, out);
      res.end(body);
    } catch {
      // the connection is gone: nothing to answer
    }
  };
}
