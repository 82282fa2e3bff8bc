/**
 * The IIFE entry: owns `window.p13n`. It replays the snippet's queue in call order, holds commands that need
 * a client until `init` arrives, and reads `data-p13n-init` for pages that allow no inline script.
 */
import { createClient, VERSION } from './client';
import type { Client, P13n, P13nError } from './types';

type Queued = ArrayLike<unknown>;
type Live = P13n & { q: { push(args: Queued): void } };

const COMMANDS = ['personalize', 'track', 'set', 'consent', 'spa', 'on', 'off', 'clientId', 'reset'];

type Kept = [args: Queued, answer?: (result: Promise<unknown>) => void];

function install(queued: Queued[]): Live {
  let done: Client | undefined; // the client whose init succeeded: every later init is refused
  let now: Client | undefined; // the latest init's client, once made: commands go to it at once
  let inits = 0;
  let checking: Promise<unknown> | undefined; // the latest init's outcome, while it may still be pending
  // on, off and set made before an init succeeded, replayed in order onto each new client, so the handlers a
  // page registered survive a corrected init; those made before any client are answered by that replay
  let kept: Kept[] = [];
  let made!: (client: Client) => void;
  // the client the latest init makes: commands made before it (before any init, say) wait for it
  let latest = new Promise<Client>((resolve) => (made = resolve));

  const call = (client: Client, args: Queued) =>
    (client[args[0] as keyof Client] as (...args: unknown[]) => Promise<unknown>)(...Array.prototype.slice.call(args, 1));
  const refuse = (code: 'config' | 'usage', message: string) => {
    const error: P13nError = { code, message: 'p13n: ' + message };
    console.error(error.message);
    return Promise.resolve({ ok: false, error });
  };

  /** A refused init leaves the page free for a corrected one; one that succeeded is the page's only one. */
  const init = (config: unknown) => {
    const n = ++inits;
    let mine = made;
    // a config still being checked decides first: this init then runs, or is refused after a success
    if (checking) (now = undefined), (latest = new Promise((resolve) => (mine = resolve)));
    const go = () => {
      const client = done || createClient(config);
      // at once, before the client's checks run a microtask later: the handlers see its ready, error and first view
      for (const entry of kept) {
        const answer = entry[1];
        if (client != done || answer) {
          const result = call(client, entry[0]);
          if (answer) (entry.length = 1), answer(result);
        }
      }
      if (n == inits) now = client;
      mine(client);
      if (done) return (kept = []), refuse('config', 'init already succeeded on this page; it runs once');
      return client.init().then((outcome) => {
        if (outcome.ok) (done = client), (kept = kept.filter((entry) => entry[1]));
        return outcome;
      });
    };
    const outcome = checking ? checking.then(go) : go();
    const settled: Promise<unknown> = (checking = outcome.then(() => {
      if (checking == settled) checking = undefined;
    }));
    return outcome;
  };

  const run = (args: Queued): Promise<unknown> => {
    const command = args[0] as string;
    if (command == 'init') return init(args[1]);
    if (COMMANDS.indexOf(command) < 0) return refuse('usage', `unknown command "${command}"; use init, ${COMMANDS.join(', ')}`);
    if (!done && /^(on|off|set)$/.test(command)) {
      if (!now) return new Promise((answer) => kept.push([args, answer]));
      kept.push([args]);
    }
    return now ? call(now, args) : latest.then((client) => call(client, args));
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
