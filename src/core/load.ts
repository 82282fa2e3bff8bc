/**
 * How the IIFE core loads a module: a `<script>` from the core's own location, pinned by its SRI hash, with the
 * core's CSP nonce, its URL made through the Trusted Types policy `p13n` where the page enforces them. The
 * module's script fires MODULE_EVENT on its own element as it runs; anything else (blocked, offline, a hash that
 * does not match, a policy the page's CSP does not allow) rejects.
 */
import { MANIFEST } from './manifest';
import { MODULE_EVENT, type ModuleName, type Modules } from '../seam';

type Policy = { createScriptURL(url: string): string };

// the core's own script, while it runs: its folder is where the modules are, its nonce theirs
const core = document.currentScript as HTMLScriptElement | null;
const base = core && core.src.replace(/[^/]*([?#].*)?$/, '');
const own = core && core.nonce;
let policy: Policy | undefined;

/** The URL as a TrustedScriptURL where the page has Trusted Types; the policy only ever sees MANIFEST's files. */
const trusted = (url: string) => {
  try {
    const types = (window as { trustedTypes?: { createPolicy(name: string, rules: Policy): Policy } }).trustedTypes;
    policy = policy || (types && types.createPolicy('p13n', { createScriptURL: (allowed) => allowed }));
  } catch {} // the page's CSP allows no policy of that name: a plain URL, which works unless Trusted Types are enforced
  return policy ? policy.createScriptURL(url) : url;
};

/**
 * Loads module `name`; `nonce` (the config's) serves when the core's own script had none. `hash` is for a module
 * the core has no hash of: one that a module loads (purify, whose hash the messages module carries).
 */
export function load<N extends ModuleName>(name: N, nonce?: string, hash = MANIFEST[name]): Promise<Modules[N]> {
  return new Promise((resolve, reject) => {
    const url = base + 'p13n-' + name + '.min.js';
    // the debug module says what each means, at length
    if (!base) return reject(`the ${name} module has no URL`);
    const script = document.createElement('script');
    const fail = () => (script.remove(), reject(`the ${name} module did not load from ${url}`));
    script.addEventListener(MODULE_EVENT, (event) => resolve((event as CustomEvent).detail));
    // onload comes after the module ran: a no-op once it is in
    script.onload = script.onerror = fail;
    script.integrity = 'sha256-' + hash;
    script.crossOrigin = 'anonymous';
    nonce = own || nonce;
    if (nonce) script.nonce = nonce;
    try {
      script.src = trusted(url);
    } catch {
      return reject(`the ${name} module needs the Trusted Types policy p13n`);
    }
    (document.head || document.documentElement).appendChild(script);
  });
}
