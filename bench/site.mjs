// The bench's sites: one demo server (demo/server.mjs startServer: the emulator, the shop's server, its
// first-party proxy at /p13n/) behind its own HTTPS front (https.mjs), with host names of their own for each load.
import { startServer } from '../demo/server.mjs';
import { startFront } from './https.mjs';

/**
 * Every load gets its own sN.shop.test, aN.api.test and cN.cdn.test (a third-party CDN's origin for the bundles,
 * see measure.mjs); the certificate covers them all.
 */
export const HOSTS = ['*.shop.test', '*.api.test', '*.cdn.test'];
let serial = 0;

/**
 * A site serving the bundles in `files` from /cdn/. `rttMs` 0 is the "fast" site, for main-thread and scaling
 * runs, where waiting on the network would only add noise; a round-trip time makes the "network" site, for the
 * time to offers.
 */
export async function startSite({ rttMs, rulesFile, tls, files }) {
  let server;
  const front = await startFront({ upstreamPort: () => server.port, rttMs, key: tls.key, cert: tls.cert });
  // the pages' origins are the front's: the first-party proxy accepts those
  server = await startServer({ port: 0, latencyMs: rttMs, rulesFile, origins: [`https://*.shop.test:${front.port}`] });
  for (const [file, page] of Object.entries(files)) server.pages.set(file, page);
  return {
    server,
    front,
    /**
     * A page for one load, on host names no load used before: `build(api, { cdn, origin })` makes it for its API
     * origin (and, if it loads its bundle from a CDN, that CDN's origin: the same server, which serves /cdn/ on
     * every host name but the API's). Returns the page's URL and origin, the API and CDN origins, and `remove()`
     * for when the load is over.
     */
    prepare(build) {
      const n = ++serial;
      const api = `https://a${n}.api.test:${front.port}`;
      const origin = `https://s${n}.shop.test:${front.port}`;
      const cdn = `https://c${n}.cdn.test:${front.port}`;
      const pathname = `/bench/page-${n}`;
      server.pages.set(pathname, { body: build(api, { cdn, origin }) });
      return { api, origin, cdn, url: origin + pathname, remove: () => server.pages.delete(pathname) };
    },
    close: async () => {
      await front.close();
      await server.close();
    },
  };
}
