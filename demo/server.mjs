// One HTTP port, two sites, told apart by the Host header: `localhost` is the Personalization API
// emulator, any other name (127.0.0.1, www.shop.test ...) is the demo shop. The shop's calls to the
// API are therefore cross-origin, and browsers send real CORS preflights, as in production.
import http from 'node:http';
import https from 'node:https';
import { lookup } from 'node:dns/promises';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createEmulator } from './emulator.mjs';
import { createProxy, toNodeHandler } from '../dist/proxy.mjs';
import { send, hostName } from './http.mjs';

const DEMO = path.dirname(fileURLToPath(import.meta.url));
const SHOP = path.join(DEMO, 'shop');
const SPA = path.join(DEMO, 'spa');
const DIST = path.join(DEMO, '..', 'dist');
export const DEFAULT_RULES = path.join(DEMO, 'rules.json');
/** The write key the demo's pages (direct mode) and its first-party proxy (server side) use. */
export const DEMO_API_KEY = '1/4d8a87c9b3e40e7380bf709c601f6f169a24a90d';
/** Where the site serves the reference first-party proxy: pages in proxy mode use `endpoint: '/p13n'`. */
export const PROXY_PATH = '/p13n/';
/** The origins the demo's pages are served from on `port`: the ones its proxy accepts. */
export const demoOrigins = (port) => [`http://127.0.0.1:${port}`, `http://[::1]:${port}`, `http://shop.test:${port}`, `http://*.shop.test:${port}`];

/**
 * The demo's first-party proxy as a Node handler: its credentials (the emulator's first token from `settings`)
 * and table, forwarding to `endpoint`; `options` adds or overrides the rest (origins, store, timeout ...).
 */
export const demoProxy = (settings, { endpoint, ...options }) =>
  toNodeHandler(createProxy({ apiKey: DEMO_API_KEY, token: settings.tokens[0], tables: ['demo_db/pageviews'], endpoint, ...options }));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
// The demo is for watching the tag change: a cached p13n.min.js after a rebuild would only confuse.
const NO_CACHE = { 'Cache-Control': 'no-store' };

/** Reads the settings file (`tokens` and `rules`), naming the file in any error. */
export async function loadSettings(file = DEFAULT_RULES) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read settings from ${file}: ${error.message}`);
  }
}

const INCLUDE = /<!--#include (file|snippet)="(\w[\w.-]*)"((?:\s+\w+="[^"]*")*)\s*-->/g;
/** Where the bundle is, for a snippet built for `https://YOUR-CDN/p13n.min.js`. */
const TAG_URL = '/dist/p13n.min.js';

/**
 * Server-side includes, as a static site's templates would do: `<!--#include file="_top.html" key="value" -->`
 * becomes demo/shop/_top.html with each {{key}} replaced, and `<!--#include snippet="p13n-early-snippet.js" -->`
 * the snippet as built in dist/, loading the bundle from this site, as a site pastes it. The shop's pages share
 * their head (with the tag's snippet), header and promotion slots this way instead of repeating them.
 */
async function expand(html) {
  const parts = await Promise.all([...html.matchAll(INCLUDE)].map(async ([, kind, file, params]) => {
    if (kind === 'snippet') return (await readFile(path.join(DIST, file), 'utf8')).trim().replace('https://YOUR-CDN/p13n.min.js', TAG_URL);
    let partial = await readFile(path.join(SHOP, file), 'utf8');
    for (const [, key, value] of params.matchAll(/(\w+)="([^"]*)"/g)) partial = partial.replaceAll(`{{${key}}}`, value);
    return expand(partial); // a partial may include a snippet
  }));
  return html.replace(INCLUDE, () => parts.shift());
}

function textError(res, status, message) {
  send(res, status, message + '\n', { ...NO_CACHE, 'Content-Type': 'text/plain; charset=utf-8' });
}

/**
 * Static files: the shop's pages from demo/shop/, the single-page app from demo/spa/ under /spa/, the built tag
 * from dist/ under /dist/. `pages` holds pages made at run time (path -> { body, headers }), so end-to-end tests
 * load theirs from this very server, as a site would, with the headers (CSP) they need.
 */
async function serveSite(req, res, pages) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return textError(res, 405, 'Method Not Allowed');
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://site').pathname);
  } catch {
    return textError(res, 400, 'Bad Request');
  }
  const made = pages.get(pathname);
  if (made) return send(res, 200, made.body, { ...NO_CACHE, 'Content-Type': TYPES['.html'], ...made.headers });
  const inDist = pathname.startsWith('/dist/');
  const inSpa = /^\/spa(\/|$)/.test(pathname);
  const root = inDist ? DIST : inSpa ? SPA : SHOP;
  let file = path.join(root, inDist ? pathname.slice('/dist/'.length) : inSpa ? pathname.slice('/spa'.length) : pathname);
  // path.join has resolved any `..`; whatever lands outside the root is not ours to serve.
  if (file !== root && !file.startsWith(root + path.sep)) return textError(res, 403, 'Forbidden');
  // The app's routes (/spa/shoes, /spa/product/...) exist only in its JavaScript, so a reload or a shared link
  // must still get the app: a path without an extension that names no file gets its page, as SPA hosts'
  // "history API fallback" does. A missing /spa/x.js stays a 404, not HTML a script tag would choke on.
  if (inSpa && !path.extname(pathname) && !(await stat(file).catch(() => null))) file = path.join(SPA, 'index.html');
  try {
    if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
    const raw = await readFile(file);
    const body = path.extname(file) === '.html' ? Buffer.from(await expand(raw.toString('utf8'))) : raw;
    const headers = { ...NO_CACHE, 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' };
    // as a CDN serves the tag: the core loads its modules with crossorigin="anonymous", for their SRI hashes
    if (inDist) headers['Access-Control-Allow-Origin'] = '*';
    if (req.method === 'HEAD') return void res.writeHead(200, { ...headers, 'Content-Length': body.length }).end();
    send(res, 200, body, headers);
  } catch (error) {
    if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error;
    textError(res, 404, inDist ? `Not found: ${pathname} (run \`npm run build\` first)` : `Not found: ${pathname}`);
  }
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/**
 * The site's load balancer for proxy instances of their own (demo/proxy.mjs): each request to the next one in
 * turn, with the page's address appended to `X-Forwarded-For` as a balancer does. Counts what it relayed, and
 * how many of those the instances answered as duplicates.
 */
function balance(urls) {
  const agent = new http.Agent({ keepAlive: true });
  const stats = { requests: 0, duplicates: 0, failed: 0 };
  let next = 0;
  const handle = (req, res) => {
    const target = new URL(urls[next++ % urls.length]);
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    stats.requests++;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, agent, headers: { ...req.headers, 'x-forwarded-for': forwardedFor } },
      (answer) => {
        if (answer.headers['p13n-duplicate']) stats.duplicates++;
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      stats.failed++;
      if (!res.headersSent) textError(res, 502, `Bad Gateway: the proxy instance at ${target.origin} did not answer`);
      else res.destroy();
    });
    req.pipe(upstream);
  };
  return { handle, stats, close: () => agent.destroy() };
}

/**
 * Starts the emulator and the shop on one port of the loopback interface.
 * @param {{ port?: number, latencyMs?: number, rulesFile?: string, origins?: string[], tls?: { key: string, cert: string } }}
 *   options  port 0 picks a free one; `origins` are the pages the site's proxy accepts, by default
 *   demoOrigins(port); with `tls` (demo/cert.mjs's selfSigned) both sites are served over HTTPS too, on a port of
 *   their own (`securePort`): td-js-sdk's cookie is `Secure`, so only an https page keeps it.
 */
export async function startServer({ port = 0, latencyMs = 0, rulesFile = DEFAULT_RULES, origins, tls } = {}) {
  const settings = await loadSettings(rulesFile);
  const emulator = createEmulator({ tokens: settings.tokens, rules: settings.rules, latencyMs });
  const pages = new Map();
  let proxy; // made once the port is known: it forwards to the emulator as the real one does to the region
  let balancer; // set by routeProxy: instances of their own instead
  const handler = (req, res) => {
    const work = hostName(req) === 'localhost'
      ? emulator.handle(req, res)
      : req.url.startsWith(PROXY_PATH) ? (balancer ? balancer.handle(req, res) : proxy(req, res)) : serveSite(req, res, pages);
    Promise.resolve(work).catch((error) => textError(res, 500, `demo server error: ${error.message}`));
  };

  // Loopback only: the demo has no business on the LAN. Browsers may resolve `localhost` to ::1
  // first, so the same port is opened there too when the machine has IPv6.
  const servers = [http.createServer(handler)];
  const actualPort = await listen(servers[0], port, '127.0.0.1');
  const v6 = http.createServer(handler);
  try {
    await listen(v6, actualPort, '::1');
    servers.push(v6);
  } catch {
    // No IPv6 loopback (or the port is taken there): clients fall back to 127.0.0.1.
  }
  let securePort;
  if (tls) {
    const [secure, secureV6] = [https.createServer(tls, handler), https.createServer(tls, handler)];
    securePort = await listen(secure, 0, '127.0.0.1');
    servers.push(secure);
    // as for http: `localhost` may resolve to ::1 first
    if (servers.includes(v6)) await listen(secureV6, securePort, '::1').then(() => servers.push(secureV6), () => {});
  }
  proxy = demoProxy(settings, { endpoint: `http://localhost:${actualPort}/public`, origins: origins || demoOrigins(actualPort) });
  const addresses = await lookup('localhost', { all: true }).catch(() => []);
  if (!addresses.some((a) => a.address === '127.0.0.1' || (a.address === '::1' && servers.includes(v6)))) {
    console.warn(`warning: "localhost" resolves to ${JSON.stringify(addresses)}, not to an address this server listens on`);
  }

  return {
    port: actualPort,
    siteUrl: `http://127.0.0.1:${actualPort}`,
    apiUrl: `http://localhost:${actualPort}`,
    /** With `tls`: the port of both sites over HTTPS (`https://localhost:PORT` the emulator, any other name the shop). */
    securePort,
    emulator,
    pages,
    /**
     * Sends the site's /p13n/ to proxy instances of their own (demo/proxy.mjs, e.g. two sharing a Redis) in turn,
     * or back to its own in-process proxy with null. Returns the balancer's counts: requests, duplicates, failed.
     */
    routeProxy(urls) {
      if (balancer) balancer.close();
      balancer = urls && urls.length ? balance(urls) : undefined;
      return balancer && balancer.stats;
    },
    close() {
      if (balancer) balancer.close();
      // closeAllConnections: a `hang` fault or a keep-alive socket must not keep the tests waiting.
      return Promise.all(
        servers.map((server) => new Promise((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        })),
      );
    },
  };
}

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const server = await startServer({
    port: Number(option(args, '--port', 8080)),
    latencyMs: Number(option(args, '--latency', 0)),
    rulesFile: option(args, '--rules', DEFAULT_RULES),
  });
  const instances = option(args, '--proxies', '');
  if (instances) server.routeProxy(instances.split(','));
  console.log(`p13n-tag demo shop:  ${server.siteUrl}/`);
  console.log(`single-page app:     ${server.siteUrl}/spa/  (consent banner, client-side routes)`);
  console.log(`API emulator:        ${server.apiUrl}/  (log: ${server.apiUrl}/_emulator/log)`);
  console.log(`first-party proxy:   ${server.siteUrl}${PROXY_PATH}  (${instances ? 'balanced over ' + instances : 'in this process'})\n`);
  console.log(
    'Open the shop URL (127.0.0.1, not localhost: the shop and the API must be different origins so the ' +
      'browser sends real CORS preflights). Browse the categories, add to cart, and watch the offers change; ' +
      'the panel at the bottom right shows each event and what the emulator received and answered. The tag ' +
      'is served from dist/p13n.min.js, so run `npm run build` after changing src/. Offer rules and tokens ' +
      'live in demo/rules.json; faults can be injected with POST /_emulator/faults (see demo/README.md). Ctrl+C stops.',
  );
}
