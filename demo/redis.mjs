// A throwaway Redis server for the tests and the demo: Debian's redis-server on loopback, on a free port, with
// nothing written to disk. `.ci/run` installs the package; REDIS_SERVER may name another binary.
import { spawn } from 'node:child_process';
import net from 'node:net';

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
  const server = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${output}`)), 10_000);
    const done = (error) => (clearTimeout(timer), error ? reject(error) : resolve());
    server.once('error', (error) =>
      done(new Error(`cannot run ${binary} (${error.message}): install Debian's redis-server, or set REDIS_SERVER`)),
    );
    server.once('exit', (code) => done(new Error(`redis-server exited with ${code}:\n${output}`)));
    server.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) done();
    });
    server.stderr.on('data', (chunk) => (output += chunk));
  });
  server.removeAllListeners('exit');
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Stops the server and resolves once it is gone. */
    stop: () =>
      new Promise((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGKILL');
      }),
  };
}
