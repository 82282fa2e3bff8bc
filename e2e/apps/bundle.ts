/**
 * The example apps' bundles, built the way an app's bundler builds them: Vite, from the app's entry, with the
 * framework's development or production build (`mode`), so the hydration warnings of development and the
 * minified errors of production are both what a real app would show. Vue single-file components (`.vue`) are
 * compiled by @vitejs/plugin-vue, as in a Vue app; it compiles nothing else, so the apps without one are built as
 * they were (byte for byte, checked when it came in). Built once per entry and mode, in memory.
 */
import vue from '@vitejs/plugin-vue';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type InlineConfig, type Rollup } from 'vite';

type Mode = 'development' | 'production';

/** What every build shares: the mode, and the flags Vue's esm-bundler build asks its bundler for. */
const common = (mode: Mode): InlineConfig => ({
  configFile: false,
  logLevel: 'silent',
  mode,
  plugins: [vue()],
  define: {
    'process.env.NODE_ENV': JSON.stringify(mode),
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'true',
  },
});

/** The one output of a build that is not written. */
const outputOf = (result: Awaited<ReturnType<typeof build>>) => (Array.isArray(result) ? result[0] : (result as Rollup.RollupOutput)).output;

/** The entry's browser bundle (an ES module, every import inlined), and the CSS of its components (empty without). */
interface Browser {
  code: string;
  css: string;
}
const built = new Map<string, Promise<Browser>>();

function browserBuild(entry: string, mode: Mode): Promise<Browser> {
  const key = entry + ' ' + mode;
  if (!built.has(key)) {
    built.set(
      key,
      (async () => {
        const output = outputOf(
          await build({
            ...common(mode),
            build: {
              write: false,
              minify: mode == 'production',
              modulePreload: false,
              rollupOptions: { input: entry, output: { format: 'es', codeSplitting: false, entryFileNames: 'app.js' } as never },
            },
          }),
        );
        const chunk = output.find((file) => file.type == 'chunk') as Rollup.OutputChunk;
        const styles = output.filter((file): file is Rollup.OutputAsset => file.type == 'asset' && file.fileName.endsWith('.css'));
        return { code: chunk.code, css: styles.map((file) => String(file.source)).join('\n') };
      })(),
    );
  }
  return built.get(key)!;
}

/** The entry's bundle (an ES module, every import inlined) in `mode`. */
export const bundle = async (entry: string, mode: Mode) => (await browserBuild(entry, mode)).code;

/** The CSS that Vite takes out of the entry's components (their `<style>`), which an app links from its HTML. */
export const bundleCss = async (entry: string, mode: Mode) => (await browserBuild(entry, mode)).css;

/**
 * The entry as an SSR app's server build makes it (Vite's `build.ssr`, its dependencies left to Node), imported:
 * for an app whose server code the test process cannot import itself (a `.vue` file). The build is written
 * under node_modules for the import, as Vite writes a bundled config to load it, so that its `import 'vue'` is
 * this repository's Vue; removed once imported.
 */
export async function serverModule<T>(entry: string, mode: Mode): Promise<T> {
  const output = outputOf(await build({ ...common(mode), build: { ssr: entry, write: false, minify: false } }));
  const chunk = output.find((file) => file.type == 'chunk' && file.isEntry) as Rollup.OutputChunk;
  const folder = await mkdtemp(fileURLToPath(new URL('../../node_modules/.p13n-e2e-ssr-', import.meta.url)));
  const file = join(folder, 'server.mjs');
  try {
    await writeFile(file, chunk.code);
    return (await import(pathToFileURL(file).href)) as T;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
