/**
 * The IIFE entry: owns `window.p13n`. It replays the snippet's queue in call order, holds commands that need
 * a client until `init` arrives, and reads `data-p13n-init` for pages that allow no inline script.
 */
import { createClient, VERSION } from './client';
import type { Client, P13n, P13nError } from './types';

type Queued = ArrayLike<unknown>;
type Live = P13n & { q: { push(args: Queued): void } };

const COMMANDS = ['personalize', 'track', 'set', 'consent', 'spa', 'on', 'off', 'clientId', 'reset'];

function install(queued: Queued[]): Live {
  let client: Client | undefined;
  let created: (client: Client) => void;
  // commands made before init wait on this, in call order
  const initialized = new Promise<Client>((resolve) => (created = resolve));

  const run = (args: Queued): Promise<unknown> => {
    const command = args[0] as string;
    const rest = Array.prototype.slice.call(args, 1) as [never, never];
    const refuse = (message: string) => {
      const error: P13nError = { code: command == 'init' ? 'config' : 'usage', message: 'p13n: ' + message };
      console.error(error.message);
      return Promise.resolve({ ok: false, error });
    };
    if (command == 'init') {
      if (client) return refuse('init was already called on this page; it runs once');
      created((client = createClient(rest[0])));
      return client.init();
    }
    if (COMMANDS.indexOf(command) < 0) return refuse(`unknown command "${command}"; use init, ${COMMANDS.join(', ')}`);
    const call = (client: Client) => (client[command as keyof Client] as (...args: never[]) => Promise<unknown>)(...rest);
    return client ? call(client) : initialized.then(call);
  };

  const p13n = function () {
    try {
      return run(arguments);
    } catch (error) {
      console.error('p13n:', error);
      return Promise.resolve({ ok: false, error: { code: 'usage', message: 'p13n: ' + error } });
    }
  } as unknown as Live;
  (p13n as { v: string }).v = VERSION;
  // a copy of the stub kept by page code pushes to `p13n.q`: make that a live call too
  p13n.q = { push: (args) => void p13n.apply(null, args as unknown as Parameters<P13n>) };
  (window as unknown as { p13n: Live }).p13n = p13n;
  queued.forEach((args) => p13n.q.push(args));
  return p13n;
}

// whatever `window.p13n` holds: the snippet's stub, a live copy, or nothing
const existing = (window as unknown as { p13n?: { v?: string; q?: Queued[] } }).p13n;
// a second copy of the bundle finds the live function and changes nothing
// own properties of the function only: a polluted Object.prototype.v must not pass for a loaded tag
const mine = (key: 'v' | 'q') => (existing && Object.prototype.hasOwnProperty.call(existing, key) ? existing[key] : undefined);
const live = mine('v') ? (existing as unknown as Live) : install((mine('q') as Queued[]) || []);
const script = document.currentScript as HTMLScriptElement | null;
const inline = script && script.getAttribute('data-p13n-init');
if (inline) {
  try {
    live('init', JSON.parse(inline));
  } catch (error) {
    console.error('p13n: data-p13n-init is not valid JSON: ' + error);
  }
}
