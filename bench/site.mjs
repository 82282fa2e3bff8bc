// The bench's sites: one demo server (demo/server.mjs startServer: the emulator, the shop's server, its
// first-party proxy at /p13n/) behind its own HTTPS front (https.mjs), with host names of their own for each load.
import { startServer } from '../demo/server.mjs';
import { startFront } from './https.mjs';

/** Every load gets its own sN.shop.test and aN.api.test (see measure.mjs); the certificate covers them all. */
export const HOSTS = ['*.shop.test', '*.api.test'];
let serial = 0;

/**
 * A site serving the bundles in `files` from /cdn/. `rttMs` 0 is the "fast" site, for main-thread and scaling
 * runs, where waiting on the network would only add noise; a round-trip time makes the "network" site, for the
 * time to offers.
 */
export async function startSite({ rttMs, rulesFile, tls, files }) {
  const server = await startServer({ port: 0, latencyMs: rttMs, rulesFile });
  for (const [file, page] of Object.entries(files)) server.pages.set(file, page);
  const front = await startFront({ upstreamPort: server.port, rttMs, key: tls.key, cert: tls.cert });
  return {
    server,
    front,
    /**
     * A page for one load, on host names no load used before: `build(api)` makes it for its API origin. Returns
     * the page's URL and origin, the API origin, and `remove()` for when the load is over.
     */
    prepare(build) {
      const n = ++serial;
      const api = `https://a${n}.api.test:${front.port}`;
      const origin = `https://s${n}.shop.test:${front.port}`;
      const pathname = `/bench/page-${n}`;
      server.pages.set(pathname, { body: build(api) });
      return { api, origin, url: origin + pathname, remove: () => server.pages.delete(pathname) };
    },
    close: async () => {
      await front.close();
      await server.close();
    },
  };
}
