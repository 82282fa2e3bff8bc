/**
 * How the ES module loads a module: `import()`, so that a bundler splits each module into a chunk of its own that
 * the app fetches only when it is used.
 */
import type { ModuleName, Modules } from '../seam';

const MODULES: { [N in ModuleName]: () => Promise<{ default: Modules[N] }> } = {
  delivery: () => import('../modules/delivery'),
  spa: () => import('../modules/spa'),
  debug: () => import('../modules/debug'),
  messages: () => import('../modules/messages'),
  purify: () => import('../modules/purify'),
  measure: () => import('../modules/measure'),
  cache: () => import('../modules/cache'),
  tcf: () => import('../modules/tcf'),
};

/** Loads module `name` (a nonce and a hash are the bundler's and the page's business here). */
export const load = <N extends ModuleName>(name: N, _nonce?: string, _hash?: string): Promise<Modules[N]> => MODULES[name]().then((module) => module.default as Modules[N]);
