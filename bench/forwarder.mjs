// The floor of `npm run bench:proxy`: a bare Node forwarder of the same request as the proxy's, with nothing of
// the proxy's own work (no validation, no rate limit, no deduplication, no metrics). It reads the body, sends it to
// UPSTREAM/{db}/{table} with the HTTP client the proxy server forwards with (nodeHttpFetch: Node's http module,
// half the CPU of the global fetch) and the headers the proxy adds, and passes the status and body back. Whatever
// the proxy costs beyond this is what its own features cost.
import http from 'node:http';
import { nodeHttpFetch } from '../dist/proxy-server.mjs';

const MEDIA_TYPE = 'application/vnd.treasuredata.v1+json';
const upstream = process.env.UPSTREAM.replace(/\/$/, '');
const fixed = {
  'Content-Type': MEDIA_TYPE,
  Accept: MEDIA_TYPE,
  Authorization: 'TD1 ' + process.env.TD_WRITE_KEY,
  'WP13n-Token': process.env.P13N_TOKEN,
};

async function forward(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const headers = { ...fixed };
  // what the proxy passes on: the page's Origin and User-Agent, and the visitor's address
  for (const name of ['origin', 'user-agent', 'x-forwarded-for']) if (req.headers[name]) headers[name] = req.headers[name];
  const table = /\/([^/]+\/[^/?]+)\/?(\?|$)/.exec(req.url)?.[1] ?? '';
  try {
    const answer = await nodeHttpFetch(`${upstream}/${table}`, { method: 'POST', headers, body: Buffer.concat(chunks) });
    const body = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, { 'Content-Type': answer.headers.get('Content-Type') || 'text/plain' }).end(body);
  } catch {
    res.writeHead(502).end();
  }
}

const server = http.createServer((req, res) => void forward(req, res));
server.keepAliveTimeout = 65_000; // as the proxy's
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`forwarder: listening on http://127.0.0.1:${server.address().port} (to ${upstream})`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
