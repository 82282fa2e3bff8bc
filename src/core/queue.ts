/**
 * The IIFE entry: owns `window.p13n`. It replays the snippet's queue in call order, holds commands that need
 * a client until `init` arrives, and reads `data-p13n-init` for pages that allow no inline script.
 */
import { openClient, VERSION } from './client';
import type { Early } from '../snippets/early-view';
import { problem, usage } from './errors';
import { createHub } from './hub';
import { reason, resolved } from './config';
import type { Hub } from './hub';
import type { Client, P13n, P13nError } from '../types';

type Queued = ArrayLike<unknown>;
type Live = P13n & { q: { push(args: Queued): void } };

const COMMANDS = ['personalize', 'track', 'consent', 'spa', 'clientId', 'reset'];

function install(queued: Queued[], early?: Early): Live {
  // the handlers and attributes of `on`, `off` and `set`: the page's, whichever init succeeds
  const hub = createHub();
  let done: Client | undefined; // the client whose init succeeded: every later init is refused
  let latest: Client | undefined; // the latest init's client: the other commands go to it
  let made!: (client: Client) => void;
  const first = new Promise<Client>((resolve) => (made = resolve)); // for commands made before any init

  const call = (target: Client | Hub, args: Queued) =>
    (target as unknown as Record<string, (...args: unknown[]) => unknown>)[args[0] as string](...Array.prototype.slice.call(args, 1));
  const refuse = (error: P13nError) => {
    console.error(error.message);
    return resolved({ ok: false, error });
  };

  const run = (args: Queued): unknown => {
    const command = args[0] as string;
    if (command == 'on' || command == 'off' || command == 'set') return resolved(call(hub, args));
    if (command == 'init') {
      // a refused init leaves the page free for a corrected one; one that succeeded is the page's only one
      if (done) return refuse(problem('config', 'init already succeeded on this page'));
      // the page view the early snippet sent is this init's, if it was sent for this very config
      const [client, valid] = openClient(args[1], hub, early && early.c === args[1] ? early : undefined);
      if (valid) done = client;
      made((latest = client));
      return client.init();
    }
    if (COMMANDS.indexOf(command) < 0) return refuse(usage(String(command), 'is not a command'));
    return latest ? call(latest, args) : first.then((client) => call(client, args));
  };

  const p13n = function () {
    try {
      return run(arguments);
    } catch (error) {
      return refuse(usage('p13n', 'failed: ' + reason(error)));
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
const existing = (window as unknown as { p13n?: { v?: string; q?: Queued[]; e?: Early } }).p13n;
// a second copy of the bundle finds the live function and changes nothing
// own properties of the function only: a polluted Object.prototype.v must not pass for a loaded tag
const mine = (key: 'v' | 'q' | 'e') => (existing && Object.prototype.hasOwnProperty.call(existing, key) ? existing[key] : undefined);
const live = mine('v') ? (existing as unknown as Live) : install((mine('q') as Queued[]) || [], mine('e') as Early | undefined);
const script = document.currentScript as HTMLScriptElement | null;
const inline = script && script.getAttribute('data-p13n-init');
if (inline) {
  try {
    live('init', JSON.parse(inline));
  } catch (error) {
    console.error(problem('config', 'data-p13n-init is not JSON: ' + error).message);
  }
}
