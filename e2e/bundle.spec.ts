/**
 * What the built files promise, read from them rather than run: the size budget, what code is inside, what code
 * is never anywhere in the tag, and that the README shows the snippet that the tests load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { rollup, type RollupOptions } from 'rollup';
import configs, { moduleIntegrity, MODULES, sizes } from '../rollup.config.mjs';
import { expect, test } from './fixtures';

const read = (path: string) => readFileSync(new URL('../' + path, import.meta.url), 'utf8');
/**
 * Bytes gzip -9 that the core, dist/p13n.min.js, may have; every change that grows it must move this number, on
 * purpose. History: 9216 for the single file of issue 6 (goal then 4096); issue 11 moved it to 9640 (the refused-init
 * replay, the route title wait, the remembered cookie domain, Firefox's keepalive release); issue 13 first to 9752
 * (delivery built lazily, +91 B; the compile hint, +21 B), then down to 8589 with the split into a core and
 * modules (delivery, route changes and the long error texts out; the loader and a track's first send in), and to
 * 8598 (+9 B) when the core and the delivery module came to share one keepalive send (the module -46 B). Issue
 * 13's goal is GOAL_GZIP: README, Size, says what stands between. Issue 14 moved it to 8817 (+219 B): the core
 * takes over the page view the early snippet sent (its answer awaited in place of a first attempt, its visitor id
 * adopted). Issue 15 moved it to 9017, its ceiling (8817 + 200; the core measured 9,010 B): TD's in-browser content, the `messages` key, the
 * check of each answer for a message, the messages module's loading, the reveal held until a message is shown;
 * the manifest lost its file names and `sha256-` prefixes, and the purify module's hash is the messages module's.
 * Issue 16 moved it to 9030: `data-p13n-app`, the region whose slots a server-rendered app keeps (the core
 * measured 9,022 B, then 9,016 B as the messages module's hash changed). Issue 17 took the rest (9,027 B: no
 * loss at a page exit through the proxy), and its CI failure moved it to 9046: a page left before the delivery
 * module is in trusts no outage an earlier page saw, and the core counts its own failed attempts (the core
 * measured 9,043 B). Issue 24 brought it down to 8833, as measured: the core's own cookie reader and writer, which
 * the early snippet shares, in place of js-cookie (-383 B when measured alone), paid for the page view's life as a
 * piece of its own (core/pageview.ts, core/present.ts: +112 B) and the cookie followed as td-js-sdk writes it.
 * Issue 25 (measurement, the holdout) moved it to 8990: its hooks cost 454 B, the offer cache moved into a module
 * of its own paid 232 of them, smaller messages and a leaner page view more; the core measured 8,985-8,987 B as the
 * modules' hashes changed (a module rebuilt moves the core by a few bytes), 152-154 over issue 24's (goal: 150);
 * the outbox's records (the core writes one per event where it rewrote a list, and finds them by their prefix)
 * brought it to 8,967 and the gate to 8975, 142 over issue 24's at most. Issue 26's `consent: 'tcf'` hook (the tcf
 * module's hash, the `tcf` key, its load at init) moved it to 9,059-9,064 and the gate to 9065: 92-97 over 8,967, where the
 * issue's goal is 60 (see the CHANGELOG). Code golf, nothing a page sees changed, brought it to 8,909 (-155) and the
 * gate to 8911: a request made of the settings themselves, `_` names for the core's own methods (which the build
 * shortens), one `isString` and one `resolved`, and smaller ones (the commit lists each).
 * Not clearing the page's timer 1 after a keepalive request (a fix) cost 1 B: 8,910.
 */
export const BUDGET_GZIP = 8911;
/** Issue 13's goal for the core. */
export const GOAL_GZIP = 5632;
/**
 * Bytes gzip -9 of the early snippet, dist/p13n-early-snippet.js, which every page's HTML carries: the config's
 * checks, the page fields, the body's JSON and the POST, all the core's own code (issue 14: 2,743). Issue 24 moved it
 * to 3,058 (+315): a new visitor's id is written to the cookie at once, on the registrable domain (the probe, the
 * remembered domain, the cookie's encoding), so that td-js-sdk loading before the core finds it rather than make its
 * own; the cookie writer is the core's, which replaced js-cookie there. Issue 25's config keys (measure, holdout,
 * attribution) moved it to 3,089; issue 26's (consent: 'tcf', the tcf key) to 3,096.
 */
export const EARLY_BUDGET_GZIP = 3096;
const EARLY = 'dist/p13n-early-snippet.js';

const CORE = 'dist/p13n.min.js';
/** Every file a browser may load: the core, and the modules it loads on demand. */
const TAG_FILES = [CORE, ...Object.keys(MODULES).map((name) => `dist/p13n-${name}.min.js`)];
const configFor = (file: string) => (configs as RollupOptions[]).find((config) => (config.output as { file?: string }).file == file)!;
/** The source files a build takes in, relative to the repository. */
async function inputsOf(file: string) {
  const build = await rollup(configFor(file));
  const { output } = await build.generate({ format: 'iife' });
  return Object.keys(output[0].modules).map((id) => id.replace(/^.*?\/(src|node_modules)\//, '$1/'));
}

test('the core stays within its size budget; every module is measured', () => {
  for (const file of TAG_FILES) {
    const { raw, gzip, brotli } = sizes(read(file));
    console.log(`${file}: ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli`);
  }
  const { gzip } = sizes(read(CORE));
  console.log(`budget of ${CORE}: ${BUDGET_GZIP} B gzip -9 (goal ${GOAL_GZIP})`);
  expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP);
});

test('the core pins each module by the SRI hash of the very file built beside it; the messages module pins purify', () => {
  const core = read(CORE);
  const hash = (name: string) => JSON.stringify(moduleIntegrity(read(`dist/p13n-${name}.min.js`)).slice('sha256-'.length));
  for (const name of Object.keys(MODULES).filter((name) => name != 'purify')) expect(core, name).toContain(`${name}:${hash(name)}`);
  // the fallback sanitizer is loaded by the messages module: every page's core need not carry its hash
  expect(core).not.toContain(hash('purify'));
  expect(read('dist/p13n-messages.min.js')).toContain(hash('purify'));
});

test('the ES module loads each module as a chunk of its own, with import()', () => {
  const entry = read('dist/p13n.mjs');
  for (const name of Object.keys(MODULES)) {
    expect(entry, name).toContain(`import('./p13n-${name}.mjs')`);
    expect(read(`dist/p13n-${name}.mjs`).length, name).toBeGreaterThan(0);
  }
  // the module's code is in its chunk only
  expect(entry).not.toContain('function createDelivery');
  expect(read('dist/p13n-delivery.mjs')).toContain('function createDelivery');
});

test('each framework binding is a few hundred bytes, as an app bundler minifies it, and imports nothing but its framework', async () => {
  const { minify } = await import('terser');
  for (const name of ['react', 'vue']) {
    const code = read(`dist/${name}.mjs`);
    const { gzip } = sizes((await minify(code, { module: true, compress: { passes: 3 }, mangle: true })).code!);
    console.log(`dist/${name}.mjs, minified: ${gzip} B gzip -9 (the offers source it shares with the other binding included)`);
    expect(gzip, name).toBeLessThanOrEqual(1024);
    expect(code.match(/^import .* from '([^']+)';$/gm)!.map((line) => line.replace(/^.* from '|';$/g, '')), name).toEqual([name]);
  }
});

test("the proxy imports nothing: it runs on any runtime, and a Redis client is the site's own, passed in", () => {
  const code = readFileSync(new URL('../dist/proxy.mjs', import.meta.url), 'utf8');
  expect(code).not.toMatch(/^\s*import\b|\bimport\(|\brequire\(/m);
  expect(code).toContain("'SET', prefix + key, value, 'NX', 'PX'");
});

test('the bundles are ASCII: served without charset=utf-8, no string is garbled', () => {
  const files = readdirSync(new URL('../dist/', import.meta.url)).filter((file) => /\.(m?js)$/.test(file) && !file.startsWith('proxy'));
  expect(files).toContain('p13n.mjs');
  for (const file of files) {
    const bytes = readFileSync(new URL('../dist/' + file, import.meta.url));
    expect(bytes.length, file).toBeGreaterThan(0);
    expect(bytes.findIndex((byte) => byte > 0x7f), file).toBe(-1);
  }
});

test('the snippet is short enough to paste, and the README shows it byte for byte', () => {
  const snippet = read('src/snippets/short.js');
  expect(sizes(snippet).raw).toBeLessThanOrEqual(300);
  // as it stands in the README's snippet, indented inside its <script>
  const flat = (text: string) => text.replace(/^[ \t]+/gm, '');
  expect(flat(read('README.md'))).toContain(flat(snippet));
});

test('the early snippet is measured, holds only what its request needs, and the README shows it byte for byte', async () => {
  const { raw, gzip, brotli } = sizes(read(EARLY));
  console.log(`${EARLY}: ${raw} B raw, ${gzip} B gzip -9, ${brotli} B brotli (budget ${EARLY_BUDGET_GZIP} B gzip -9)`);
  expect(gzip).toBeLessThanOrEqual(EARLY_BUDGET_GZIP);
  expect(read(EARLY)).toContain("'https://YOUR-CDN/p13n.min.js'".replace(/'/g, '"'));
  expect(read('README.md')).toContain(read(EARLY).trim());
  // no rendering, no loader of modules, no cookie removal: those wait for the core
  expect((await inputsOf(EARLY)).sort()).toEqual(
    [
      ...['early', 'early-view'].map((name) => `src/snippets/${name}.ts`),
      ...['config', 'consent', 'context', 'cookie', 'errors', 'event', 'identity', 'payload', 'transport'].map((name) => `src/core/${name}.ts`),
    ].sort(),
  );
});

test('the core holds src/core/ and the seam; each module its own folder and the seam, no core code', async () => {
  test.setTimeout(180_000); // six builds through TypeScript
  const core = await inputsOf(CORE);
  expect(core.filter((id) => !/^src\/core\/[a-z.]+\.ts$/.test(id))).toEqual(['src/seam.ts']);
  for (const name of Object.keys(MODULES)) {
    const inputs = (await inputsOf(`dist/p13n-${name}.min.js`)).filter((id) => id != 'module-entry');
    // DOMPurify is the purify module's, and only its
    const third = name == 'purify' ? ['node_modules/dompurify/dist/purify.es.mjs'] : [];
    expect(inputs.filter((id) => !id.startsWith(`src/modules/${name}/`)).sort(), name).toEqual([...(inputs.includes('src/seam.ts') ? ['src/seam.ts'] : []), ...third].sort());
  }
});

test('no eval, no Function, no string timer, no HTML sink anywhere in the tag', () => {
  // every file of the tag: the core, the snippets, the modules and the seam (the bindings and the proxy never reach a page's tag)
  const sources = ['src/core/', 'src/snippets/', 'src/modules/', 'src/seam.ts']
    .flatMap((path) => (path.endsWith('/') ? (readdirSync(new URL('../' + path, import.meta.url), { recursive: true }) as string[]).map((file) => path + file) : [path]))
    .filter((file) => file.endsWith('.ts') && !/\.test(ing)?\.ts$/.test(file))
    .map((file) => [file, read(file)]);
  // DOMPurify parses HTML, by design: its module is the one file exempt, and only the messages module calls it
  for (const file of TAG_FILES.filter((file) => file != 'dist/p13n-purify.min.js')) sources.push([file, read(file)]);
  // code from strings (eval, Function, string timers) and the HTML sinks Trusted Types guards
  // (setHTML, the Sanitizer API's safe method, is allowed: its unsafe twins and the plain parsers are not)
  const forbidden =
    /\beval\s*\(|\bFunction\s*\(|new\s+Function\b|set(Timeout|Interval)\(\s*['"`]|\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|createContextualFragment|srcdoc|setHTMLUnsafe|parseHTMLUnsafe|DOMParser|parseFromString/;
  expect(sources.length).toBeGreaterThan(20);
  for (const [file, text] of sources) expect(text.match(forbidden), file).toBeNull();
});
