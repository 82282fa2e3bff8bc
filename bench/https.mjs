// An HTTPS front for a demo server (demo/server.mjs's startServer, plain HTTP on loopback). td-js-sdk hard-codes
// `https://`, so both tags must meet the emulator over TLS: this terminates TLS on one port for every host name
// the bench uses, the pages' sites (`sN.shop.test`), the API (`aN.api.test`) and a third-party CDN that serves
// the bundles from an origin of its own (`cN.cdn.test`), and forwards each request to the
// demo server unchanged, except that an API request's Host becomes `localhost`, the name the demo answers as the
// emulator. It also adds what loopback lacks, a round-trip time:
//
// - a new connection waits 2 RTT before its TLS handshake is answered (TCP + TLS 1.3, one round trip each);
// - a page request (HTML, scripts, the first-party proxy, a CDN's bundle) is answered 1 RTT late here; an API request gets its
//   RTT from the emulator's own `latencyMs` (preflights too), so nothing is counted twice.
//
// Bandwidth is not modelled: a bundle's bytes cost no time here (the size table covers them).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { hostName } from '../demo/http.mjs';

/** The API's host names: `aN.api.test` (and `localhost`, the demo's own name for it). */
export const isApi = (host) => host === 'localhost' || /\.api\.test$/.test(host || '');
/** The CDN's host names: `cN.cdn.test`. */
export const isCdn = (host) => /\.cdn\.test$/.test(host || '');
const kind = (host) => (isApi(host) ? 'api' : isCdn(host) ? 'cdn' : 'site');
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding'];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function emptyStats() {
  return { connections: { api: 0, site: 0, cdn: 0 }, api: { OPTIONS: 0, POST: 0, ok: 0 }, site: 0, cdn: 0, lastOkAt: 0, answered: 0 };
}

/**
 * @param {{ upstreamPort: () => number, rttMs: number, key: string, cert: string }} options  the demo server's port,
 *   asked per request, so the front can start first (the server's proxy must know the front's port for `origins`)
 * @returns the port, `stats` (connections and requests since the last `resetStats()`), `close()`.
 */
export async function startFront({ upstreamPort, rttMs, key, cert }) {
  let stats = emptyStats();
  // keep-alive to the demo server: the hop behind the front should cost nothing
  const agent = new http.Agent({ keepAlive: true });

  async function forward(req, res) {
    const api = isApi(hostName(req));
    const cdn = isCdn(hostName(req));
    if (api) stats.api[req.method] = (stats.api[req.method] || 0) + 1;
    else if (cdn) stats.cdn++;
    else if (req.url !== '/favicon.ico') stats.site++; // headless Chromium asks for one; no site has to serve it
    // never answered: the main-thread table's early-snippet page, whose bundle is held back (see cost.mjs)
    if (!api && req.url.startsWith('/cdn/held/')) return;
    if (!api) await sleep(rttMs);
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort(), method: req.method, path: req.url, agent,
        headers: api ? { ...req.headers, host: `localhost:${upstreamPort()}` } : req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        for (const name of HOP_BY_HOP) delete headers[name];
        // td-js-sdk fetches with `credentials: 'include'`, which a browser accepts only with this header (on the
        // preflight too). The emulator, like the contract, never sends it, so td-js-sdk could not read a single
        // answer; the production API must send it for td-js-sdk to work at all, so the front adds it. p13n-tag
        // fetches with `credentials: 'omit'` and ignores it.
        if (api && req.headers.origin) headers['access-control-allow-credentials'] = 'true';
        // lets the pages' Resource Timing show connection phases of API and CDN requests (diagnostics only)
        if (api || cdn) headers['timing-allow-origin'] = '*';
        if (api && req.method === 'POST' && answer.statusCode < 300) stats.api.ok++, (stats.lastOkAt = Date.now());
        // a page view answered, direct or through the first-party proxy: network.mjs waits for it before it
        // touches the page
        if (req.method === 'POST' && /\/pageviews(\?|$)/.test(req.url) && answer.statusCode < 300) stats.answered++;
        res.writeHead(answer.statusCode, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // the browser gave up (a context closed on a hung request): let the emulator see the client leave
    res.on('close', () => res.writableFinished || upstream.destroy());
    req.pipe(upstream);
  }

  const tlsServer = https.createServer({ key, cert }, (req, res) => {
    forward(req, res).catch(() => res.destroy());
  });
  tlsServer.on('secureConnection', (socket) => stats.connections[kind(socket.servername)]++);
  // The kernel completes the TCP handshake at once; holding the socket back from TLS delays the ServerHello, so
  // the browser sees a connection take 2 RTT before its first request can go.
  const sockets = new Set();
  const tcp = (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    setTimeout(() => socket.destroyed || tlsServer.emit('connection', socket), 2 * rttMs);
  };
  // every host name is mapped to 127.0.0.1 in Chromium (--host-resolver-rules)
  const server = net.createServer(tcp);
  const port = await listen(server, 0, '127.0.0.1');

  return {
    port,
    get stats() {
      return stats;
    },
    resetStats() {
      stats = emptyStats();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}
