/**
 * The purify module's SHA-256 SRI hash, without its `sha256-`: the build (rollup.config.mjs) writes it in, so the
 * messages module pins the sanitizer it loads, and every page's core need not carry the hash of a module only a
 * browser without `Element.setHTML` on a page with a message ever loads. Empty outside the IIFE build.
 */
export const PURIFY_HASH = '';
