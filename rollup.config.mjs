import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Raw, gzip -9 and brotli bytes: what a visitor downloads, whichever encoding the CDN serves. */
export const sizes = (text) => {
  const code = Buffer.from(text);
  return {
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};
/** Subresource Integrity for a CDN's <script integrity>: the hash of the file as served. */
export const integrity = (text, algorithm = 'sha384') => `${algorithm}-` + createHash(algorithm).update(text).digest('base64');
/**
 * The hash the core pins each module with: SHA-256, which SRI accepts as it does SHA-384, since its 44 random
 * characters do not compress and every visitor downloads them in the core (three modules: 81 bytes fewer).
 */
export const moduleIntegrity = (text) => integrity(text, 'sha256');

/**
 * The modules the core loads when a page uses them, one folder each: `src/modules/{name}/`, whose `index.ts` becomes
 * dist/p13n-{name}.min.js (name -> source). Purify first: the messages module is built with its hash.
 */
export const MODULES = Object.fromEntries(
  readdirSync('src/modules', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (b == 'purify') - (a == 'purify') || (a < b ? -1 : 1))
    .map((name) => [name, `src/modules/${name}/index.ts`]),
);
/** Each module's SRI hash, as just built: the core's build writes them into src/core/manifest.ts. */
const manifest = {};

/** Prints each file's size after each build (every byte of the core is paid by every page view), and its SRI hash. */
const sizeReport = () => ({
  name: 'size-report',
  generateBundle(_options, bundle) {
    for (const file of Object.values(bundle)) {
      if (file.type != 'chunk') continue;
      const { raw, gzip, brotli } = sizes(file.code);
      console.log(`${file.fileName}: ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli; integrity="${integrity(file.code)}"`);
    }
  },
});
/** After the core: the snippet (pasted into every page), and what a page that uses every module loads. */
const totalReport = () => ({
  name: 'total-report',
  generateBundle(_options, bundle) {
    const core = Object.values(bundle)[0].code;
    const all = [core, ...Object.keys(manifest).map((name) => readFileSync(`dist/p13n-${name}.min.js`, 'utf8'))];
    const gzip = all.reduce((total, code) => total + sizes(code).gzip, 0);
    console.log(`core and every module: ${gzip} B gzip -9 in ${all.length} files`);
    const snippet = readFileSync('src/snippets/short.js', 'utf8');
    console.log(`snippet (src/snippets/short.js, pasted into the page): ${sizes(snippet).raw} B raw, ${sizes(snippet).gzip} B gzip -9`);
  },
});
/** The early snippet's bytes: every page's HTML carries them, uncached. */
const snippetReport = () => ({
  name: 'snippet-report',
  generateBundle(_options, bundle) {
    const { raw, gzip, brotli } = sizes(Object.values(bundle)[0].code);
    console.log(`p13n-early-snippet.js (pasted into the page): ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli`);
  },
});
/** Keeps a module's hash for the core's manifest. */
const record = (name) => ({
  name: 'record',
  generateBundle(_options, bundle) {
    const file = Object.values(bundle)[0];
    // the core makes the file name from the module's name (src/core/load.ts)
    if (file.fileName != `p13n-${name}.min.js`) throw new Error(`module ${name} must be built as p13n-${name}.min.js`);
    manifest[name] = moduleIntegrity(file.code).slice('sha256-'.length);
  },
});
/**
 * Writes the hashes of the modules just built into the core (src/core/manifest.ts is empty in the source), and the
 * purify module's into the messages module, which loads it (src/modules/messages/purify-hash.ts).
 */
const withManifest = () => ({
  name: 'manifest',
  transform(code, id) {
    if (id.endsWith('/src/core/manifest.ts')) return `export const MANIFEST = ${JSON.stringify({ ...manifest, purify: undefined })};`;
    // built alone (e2e/bundle.spec.ts reads its inputs), the messages module has no purify hash: a digest that
    // matches nothing, never an empty one (integrity="sha256-" is no integrity at all: any file would run)
    if (id.endsWith('/src/modules/messages/purify-hash.ts')) return `export const PURIFY_HASH = ${JSON.stringify(manifest.purify || 'unbuilt')};`;
  },
});
/**
 * A module's IIFE: it runs its source and hands the one function it exports to the core, as an event on its own
 * <script> element (src/core/load.ts listens there): no global of its own.
 */
const moduleEntry = (source) => ({
  name: 'module-entry',
  resolveId: (id) => (id == 'module-entry' ? id : null),
  load: (id) =>
    id == 'module-entry'
      ? `import run from ${JSON.stringify('./' + source)}; import { MODULE_EVENT } from './src/seam.ts';
         const script = document.currentScript; if (script) script.dispatchEvent(new CustomEvent(MODULE_EVENT, { detail: run }));`
      : null,
});
/**
 * The early snippet reports nothing (it sends nothing when something is wrong, and the core, which reads the
 * config again, reports it): its build takes errors.ts without the messages, which every page's HTML would carry.
 */
const wordless = () => ({
  name: 'wordless',
  transform: (code, id) => (id.endsWith('/src/core/errors.ts') ? 'export const problem = (code) => ({ code }); export const usage = problem;' : null),
});
/** The ES module loads modules with import() (src/core/load.esm.ts); the IIFE with a <script> (src/core/load.ts). */
const esmLoader = () => ({
  name: 'esm-loader',
  resolveId: (id, importer) => (id == './load' && importer && importer.includes('/src/') ? new URL('./src/core/load.esm.ts', import.meta.url).pathname : null),
});

/** A module's chunk is named for its folder (`src/modules/delivery/index.ts` -> p13n-delivery.mjs), the seam's `p13n-seam.mjs`. */
const moduleChunkName = (chunk) => `p13n-${(/\/src\/modules\/([^/]+)\/index\.ts$/.exec(chunk.facadeModuleId || '') || [])[1] || chunk.name}.mjs`;
const plugins = () => [nodeResolve(), typescript({ include: ['src/**/*.ts'], exclude: ['src/**/*.test.ts'] })];
const minify = terser({
  ecma: 2019,
  compress: { passes: 3 },
  // names that start with _ are private and may be shortened (style: web-vitals, preact)
  mangle: { properties: { regex: /^_/ } },
  // ASCII only: a CDN or page that serves the file without charset=utf-8 must not garble a string
  // V8's explicit compile hint: compile every function of the file eagerly, on a background thread as the script
  // streams in, rather than lazily on first call on the main thread (the tag calls most of its functions at once)
  format: { comments: false, ascii_only: true, preamble: '//# allFunctionsCalledOnLoad' },
});
// pasted into every page's HTML, where it is parsed and run at once: no compile hint, no comment at all
const minifySnippet = terser({ ecma: 2019, compress: { passes: 3 }, mangle: true, format: { comments: false, ascii_only: true } });
// a module's functions are not all called at once: no compile hint; DOMPurify's licence line stays in its module
const minifyModule = terser({ ecma: 2019, compress: { passes: 3 }, mangle: { properties: { regex: /^_/ } }, format: { comments: /@license/, ascii_only: true } });

export default [
  // the modules first: the core pins each by the hash of the file built here
  ...Object.entries(MODULES).map(([name, source]) => ({
    input: 'module-entry',
    output: { file: `dist/p13n-${name}.min.js`, format: 'iife', plugins: [minifyModule, sizeReport(), record(name)] },
    plugins: [moduleEntry(source), withManifest(), ...plugins()],
  })),
  // the core: a <script> or a tag manager loads it; defines window.p13n only
  { input: 'src/core/queue.ts', output: { file: 'dist/p13n.min.js', format: 'iife', plugins: [minify, sizeReport(), totalReport()] }, plugins: [withManifest(), ...plugins()] },
  // the early snippet, pasted inline: the stub and loader, and the first page view sent from the core's own code
  { input: 'src/snippets/early.ts', output: { file: 'dist/p13n-early-snippet.js', format: 'iife', plugins: [minifySnippet, snippetReport()] }, plugins: [wordless(), ...plugins()] },
  // the library: import { createClient } from 'p13n-tag'; each module a chunk of its own, loaded with import()
  {
    input: { p13n: 'src/index.ts' },
    // the seam's few constants, which the core and the delivery module share, in a chunk of their own: the entry
    // then holds the core itself rather than re-exporting it from a chunk
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: moduleChunkName, manualChunks: (id) => (id.endsWith('/src/seam.ts') ? 'seam' : undefined) },
    plugins: [esmLoader(), ...plugins()],
  },
  { input: 'src/index.ts', output: { file: 'dist/p13n.d.ts', format: 'es' }, plugins: [dts()] },
  // the framework bindings: import { useOffer, Offer } from 'p13n-tag/react' (or 'p13n-tag/vue'); the framework is
  // the app's (a peer dependency), never bundled
  ...['react', 'vue'].flatMap((name) => [
    { input: `src/bindings/${name}.ts`, external: [name], output: { file: `dist/${name}.mjs`, format: 'es' }, plugins: plugins() },
    { input: `src/bindings/${name}.ts`, external: [name], output: { file: `dist/${name}.d.ts`, format: 'es' }, plugins: [dts()] },
  ]),
  // the reference first-party proxy, for servers: import { createProxy } from 'p13n-tag/proxy'; the server to run,
  // `npx p13n-proxy` (import { startProxyServer } from 'p13n-tag/proxy/server'); what they share in a chunk
  {
    input: { proxy: 'src/proxy/index.ts', 'proxy-server': 'src/proxy/server.ts', 'p13n-proxy': 'src/proxy/cli.ts' },
    external: (id) => id.startsWith('node:') || id == 'redis' || id == 'prom-client',
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].mjs',
      chunkFileNames: 'proxy-[name].mjs',
      banner: (chunk) => (chunk.name == 'p13n-proxy' ? '#!/usr/bin/env node' : ''),
    },
    plugins: plugins(),
  },
  { input: 'src/proxy/index.ts', output: { file: 'dist/proxy.d.ts', format: 'es' }, plugins: [dts()] },
  { input: 'src/proxy/server.ts', external: ['redis', 'prom-client'], output: { file: 'dist/proxy-server.d.ts', format: 'es' }, plugins: [dts()] },
];
