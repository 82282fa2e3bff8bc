// The Personalization API stand-in of `npm run bench:proxy`: answers every POST with 200 `{"offers":{}}` after a
// fixed delay (STANDIN_DELAY_MS, default 20), as a fast regional endpoint would. Run as a child process of its own
// (`node bench/api-standin.mjs`), so that its CPU is not the load generator's. It counts the requests and the
// distinct event uuids it saw (GET /stats): the bench's proof that every request carried a fresh uuid.
import http from 'node:http';

const DELAY_MS = Number(process.env.STANDIN_DELAY_MS ?? 20);
const BODY = JSON.stringify({ offers: {} });
const uuids = new Set();
let requests = 0;

const server = http.createServer((req, res) => {
  if (req.method == 'GET' && req.url == '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ requests, distinct: uuids.size }));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    requests++;
    try {
      const { uuid } = JSON.parse(Buffer.concat(chunks).toString());
      if (typeof uuid == 'string') uuids.add(uuid);
    } catch {}
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.treasuredata.v1+json' }).end(BODY);
    }, DELAY_MS);
  });
});
// longer than the clients' (undici's 4 s, autocannon's none): the server never closes a connection under a request
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`api stand-in: listening on http://127.0.0.1:${server.address().port} (answers after ${DELAY_MS} ms)`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
