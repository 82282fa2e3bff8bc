/** Node's `http` module in front of the handler: `http.createServer(toNodeHandler(proxy))`. */
import { answer, concat, encoder, MAX_BODY, notAllowed, SERVE, type Answer, type Incoming, type Serve } from './answer';
import type { ProxyHandler } from './types';

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

const textAnswer = (status: number, text: string) => answer(status, text, { 'content-type': 'text/plain' });

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

/**
 * Serves the handler with Node's `http` module, passing it the peer's address. It never rejects, so a server that
 * ignores its promise (as `http.createServer(toNodeHandler(proxy))` does) cannot be brought down by a request:
 * a method or Host the Fetch API refuses gets 400, an upload cut off midway no answer (no one is there to read it).
 * A handler of createProxy is served from Node's request and response directly; any other through a Web Request.
 */
export function toNodeHandler(handler: ProxyHandler) {
  const serve = (handler as { [SERVE]?: Serve })[SERVE];
  return async (req: NodeRequest, res: NodeResponse) => {
    let reply: Answer;
    try {
      const method = (req.method || 'GET').toUpperCase();
      // methods `new Request` refuses (TRACE, CONNECT), and bodies never needed
      if (method != 'POST') reply = notAllowed();
      else {
        const incoming = await incomingOf(req, method);
        reply = 'status' in incoming ? incoming : serve ? await serve(incoming) : await throughFetch(handler, req, incoming);
      }
    } catch {
      reply = textAnswer(500, 'Internal Server Error in the p13n proxy');
    }
    try {
      const body = typeof reply.body == 'string' ? encoder.encode(reply.body) : reply.body || new Uint8Array(0);
      res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
      res.end(body);
    } catch {
      // the connection is gone: nothing to answer
    }
    // answered; done once the answer is stored too (a server's graceful shutdown waits for this promise)
    await reply.settled;
  };
}

/** A header as the Fetch API reads it: Node's repeated ones joined. */
const headerOf = (req: NodeRequest) => (name: string) => {
  const value = req.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

/** The request as the proxy reads it, or the 400 for one that cannot be read. */
async function incomingOf(req: NodeRequest, method: string): Promise<Incoming | Answer> {
  const header = headerOf(req);
  let url: URL;
  try {
    url = new URL(req.url || '/', 'http://' + (header('host') || 'localhost'));
  } catch {
    return textAnswer(400, 'Bad Request: the Host or a header cannot be read');
  }
  const chunks = await readCapped(req).catch(() => undefined);
  if (!chunks) return textAnswer(400, 'Bad Request: the body was cut off');
  return { method, url, header, body: concat(chunks), peer: req.socket && req.socket.remoteAddress };
}

/** A handler that is not createProxy's, through a Fetch API Request and Response. */
async function throughFetch(handler: ProxyHandler, req: NodeRequest, { method, url, header, body, peer }: Incoming): Promise<Answer> {
  const headers = new Headers();
  try {
    for (const name of Object.keys(req.headers)) {
      const value = header(name);
      if (value !== null) headers.set(name, value);
    }
  } catch {
    return textAnswer(400, 'Bad Request: the Host or a header cannot be read');
  }
  const response = await handler(new Request(url, { method, headers, body }), { address: peer });
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => (out[name] = value));
  return answer(response.status, new Uint8Array(await response.arrayBuffer()), out);
}
