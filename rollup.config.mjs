import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
export const integrity = (text) => 'sha384-' + createHash('sha384').update(text).digest('base64');

/**
 * Every byte of the IIFE is paid by every page view: print its size after each build, with the snippet's (pasted
 * into every page), and the SRI hash a site pins it with.
 */
const sizeReport = () => ({
  name: 'size-report',
  generateBundle(_options, bundle) {
    for (const file of Object.values(bundle)) {
      if (file.type != 'chunk') continue;
      const { raw, gzip, brotli } = sizes(file.code);
      console.log(`${file.fileName}: ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli; integrity="${integrity(file.code)}"`);
    }
    const snippet = readFileSync('src/snippet.js', 'utf8');
    const { raw, gzip } = sizes(snippet);
    console.log(`snippet (src/snippet.js, pasted into the page): ${raw} B raw, ${gzip} B gzip -9`);
  },
});

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

export default [
  // the tag: a <script> or a tag manager loads it; defines window.p13n only
  { input: 'src/queue.ts', output: { file: 'dist/p13n.min.js', format: 'iife', plugins: [minify, sizeReport()] }, plugins: plugins() },
  // the library: import { createClient } from 'p13n-tag'
  { input: 'src/index.ts', output: { file: 'dist/p13n.mjs', format: 'es' }, plugins: plugins() },
  { input: 'src/index.ts', output: { file: 'dist/p13n.d.ts', format: 'es' }, plugins: [dts()] },
  // the reference first-party proxy, for servers: import { createProxy } from 'p13n-tag/proxy'
  { input: 'src/proxy.ts', output: { file: 'dist/proxy.mjs', format: 'es' }, plugins: plugins() },
  { input: 'src/proxy.ts', output: { file: 'dist/proxy.d.ts', format: 'es' }, plugins: [dts()] },
];
