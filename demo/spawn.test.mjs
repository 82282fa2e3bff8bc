// @vitest-environment node
// spawnUntil: waiting for a child server to say it is ready, and saying why when it does not.
import { describe, expect, it } from 'vitest';
import { spawnUntil } from './spawn.mjs';

const node = (code, options) => spawnUntil(process.execPath, ['-e', code], { name: 'child', ...options });

describe('spawnUntil', () => {
  it("resolves with the ready line's match; other lines, either stream, before and after, go to onLine", async () => {
    const lines = [];
    const child = await node(
      `console.error('warming up'); console.log('listening on http://127.0.0.1:1234'); setTimeout(() => console.error('later'), 50); setInterval(() => {}, 1000)`,
      { ready: /listening on (http:\S+)/, onLine: (line) => lines.push(line) },
    );
    try {
      expect(child.match[1]).toBe('http://127.0.0.1:1234');
      await expect.poll(() => lines).toEqual(['warming up', 'later']);
      expect(child.output()).toContain('listening on http://127.0.0.1:1234');
    } finally {
      await child.stop();
    }
    expect(await child.exited).toBe('SIGTERM');
  });

  it('rejects with all it printed when it exits before it is ready', async () => {
    await expect(node(`console.error('no key given'); process.exit(3)`, { ready: /listening/ })).rejects.toThrow(/child exited with 3 before it was ready:\nno key given/);
  });

  it('rejects when the command cannot be run', async () => {
    const started = spawnUntil('/nonexistent/server', [], { ready: /ready/, name: 'server' });
    await expect(started).rejects.toThrow(/server cannot be run \(spawn \/nonexistent\/server ENOENT\)/);
    await expect(started).rejects.toMatchObject({ cause: { code: 'ENOENT' } });
  });

  it('rejects, and kills it, when it says nothing that matches in time', async () => {
    let pid;
    const started = node(`console.log('pid ' + process.pid); setInterval(() => {}, 1000)`, { ready: /listening/, timeoutMs: 500, onLine: (line) => (pid = Number(line.slice(4))) });
    await expect(started).rejects.toThrow(/child did not start in 0.5 s:\npid \d+/);
    await expect.poll(() => { try { process.kill(pid, 0); return 'alive'; } catch { return 'gone'; } }).toBe('gone');
  });

  it('stop: SIGTERM, then SIGKILL after the grace period for one that ignores it', async () => {
    const child = await node(`process.on('SIGTERM', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000)`, { ready: /^ready$/ });
    await child.stop('SIGTERM', 300);
    expect(await child.exited).toBe('SIGKILL');
    expect(child.output()).toContain('ignored');
    await child.stop(); // already gone: nothing to do
  });
});
