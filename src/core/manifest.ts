import type { ModuleName } from '../seam';

/**
 * Each module's SHA-256 Subresource Integrity hash, without its `sha256-` (module `name` is the file
 * `p13n-{name}.min.js`): the build (rollup.config.mjs) writes them here from the files it has just built, so a
 * core loads only the modules it was built with. Empty outside the IIFE build, which is the only one that loads
 * modules by URL.
 */
export const MANIFEST: Partial<Record<ModuleName, string>> = {};
