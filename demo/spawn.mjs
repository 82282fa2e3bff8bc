// The servers the tests, the demo and the bench start as child processes (the proxy, redis-server, the bench's
// stand-in): one way to wait until a server says it is ready, and to say what it printed when it did not.
import { spawn } from 'node:child_process';

/**
 * Runs `command` with `args` and resolves once a line it prints (stdout or stderr) matches `ready`:
 * `{ child, match, output(), exited, stop() }`, `match` being `ready`'s match. Rejects, with all it printed, if it
 * cannot be run (with spawn's error as its `cause`), exits first, or says nothing that matches within `timeoutMs`
 * (then it is killed). Every other line goes to `onLine`, before and after.
 */
export function spawnUntil(command, args, { ready, env = process.env, name = command, onLine = () => {}, timeoutMs = 10_000 }) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  /** SIGTERM (or `signal`), then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
  const stop = async (signal = 'SIGTERM', graceMs = 20_000) => {
    if (gone()) return;
    child.kill(signal);
    const late = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(late);
  };
  return new Promise((resolve, reject) => {
    let match;
    const fail = (why, cause) => {
      clearTimeout(timer);
      if (!gone()) child.kill('SIGKILL');
      reject(new Error(`${name} ${why}${output ? ':\n' + output : ''}`, { cause }));
    };
    const timer = setTimeout(() => fail(`did not start in ${timeoutMs / 1000} s`), timeoutMs);
    // `cause`: spawn's own error, for a caller with advice on what to install
    child.once('error', (error) => match || fail(`cannot be run (${error.message})`, error));
    void exited.then((code) => match || fail(`exited with ${code} before it was ready`));
    const lines = (stream) => {
      let rest = '';
      stream.setEncoding('utf8').on('data', (chunk) => {
        output += chunk;
        const parts = (rest + chunk).split('\n');
        rest = parts.pop();
        for (const line of parts) {
          if (match || !(match = ready.exec(line))) {
            onLine(line);
            continue;
          }
          clearTimeout(timer);
          resolve({ child, match, output: () => output, exited, stop });
        }
      });
    };
    lines(child.stdout);
    lines(child.stderr);
  });
}
