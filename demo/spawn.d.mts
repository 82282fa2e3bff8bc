// The types of spawn.mjs, for the TypeScript tests that start servers (e2e/proxy-server.spec.ts, e2e/chaos.spec.ts).
import type { ChildProcess } from 'node:child_process';

export interface Spawned {
  child: ChildProcess;
  /** `ready`'s match on the line that said the server was ready. */
  match: RegExpExecArray;
  /** All it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves, with its exit code or signal, once it has exited. */
  exited: Promise<number | string | null>;
  /** Sends `signal` (SIGTERM), then SIGKILL after `graceMs` (20 s); resolves once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}
export function spawnUntil(
  command: string,
  args: string[],
  options: { ready: RegExp; env?: NodeJS.ProcessEnv; name?: string; onLine?: (line: string) => void; timeoutMs?: number },
): Promise<Spawned>;
