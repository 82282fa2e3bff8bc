import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Every byte of the IIFE is paid by every page view: print its size after each build. */
const sizeReport = () => ({
  name: 'size-report',
  generateBundle(_options, bundle) {
    for (const file of Object.values(bundle)) {
      if (file.type != 'chunk') continue;
      const code = Buffer.from(file.code);
      const gzip = gzipSync(code, { level: 9 }).length;
      const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
      console.log(`${file.fileName}: ${code.length} B raw, ${gzip} B gzip -9, ${brotli} B brotli`);
    }
  },
});

const plugins = () => [nodeResolve(), typescript({ include: ['src/**/*.ts'], exclude: ['src/**/*.test.ts'] })];
const minify = terser({
  ecma: 2019,
  compress: { passes: 3 },
  // names that start with _ are private and may be shortened (style: web-vitals, preact)
  mangle: { properties: { regex: /^_/ } },
  format: { comments: false },
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
