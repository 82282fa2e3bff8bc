// A throwaway Redis server for the tests and the demo: Debian's redis-server on loopback, on a free port, with
// nothing written to disk. `.ci/run` installs the package; REDIS_SERVER may name another binary.
import net from 'node:net';
import { spawnUntil } from './spawn.mjs';

/** A port on 127.0.0.1 that nothing listens on now (for a server that must come back on the same one). */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Starts redis-server (on `port`, or a free one) and resolves once it accepts connections: `{ url, port, stop() }`. */
export async function startRedis({ port = 0, binary = process.env.REDIS_SERVER || 'redis-server' } = {}) {
  port = port || (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = await spawnUntil(binary, args, { ready: /Ready to accept connections/, name: 'redis-server' }).catch((error) => {
    throw error.cause ? new Error(`${error.message}: install Debian's redis-server, or set REDIS_SERVER`) : error;
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Stops the server and resolves once it is gone. */
    stop: () => server.stop('SIGKILL'),
  };
}
