/**
 * The example apps' bundles, built the way an app's bundler builds them: Vite, from the app's entry, with the
 * framework's development or production build (`mode`), so the hydration warnings of development and the
 * minified errors of production are both what a real app would show. Vue single-file components (`.vue`) are
 * compiled by @vitejs/plugin-vue, as in a Vue app; it compiles nothing else, so the apps without one are built as
 * they were. Built once per entry, mode and options, in memory. `serverBundle` builds the server's side the same
 * way (Vite's SSR build, every dependency inlined), so that a framework taken from elsewhere (`packages`) renders
 * the server HTML too, and a `.vue` file, which the test process cannot import itself, renders on the server.
 */
import vue from '@vitejs/plugin-vue';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Rollup } from 'vite';

export type Mode = 'development' | 'production';

export interface BundleOptions {
  /**
   * Packages from another folder than the root's node_modules, by name (its subpaths too): every import of them,
   * the app's and its dependencies' alike, so that a router and the binding share the app's one React.
   */
  packages?: Record<string, string>;
}

/** The entry's bundle (an ES module, every import inlined), and the CSS of its components (empty without). */
interface Built {
  code: string;
  css: string;
}
const built = new Map<string, Promise<Built>>();

function viteBuild(entry: string, mode: Mode, ssr: boolean, { packages = {} }: BundleOptions): Promise<Built> {
  const key = JSON.stringify([entry, mode, ssr, packages]);
  if (!built.has(key)) {
    built.set(
      key,
      (async () => {
        const result = await build({
          configFile: false,
          logLevel: 'silent',
          mode,
          plugins: [vue()],
          define: {
            'process.env.NODE_ENV': JSON.stringify(mode),
            // Vue's esm-bundler build asks its bundler for these flags
            __VUE_OPTIONS_API__: 'true',
            __VUE_PROD_DEVTOOLS__: 'false',
            __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'true',
          },
          resolve: { alias: packages },
          // a server build leaves node_modules to Node unless told: Node would then load the root's packages
          ssr: { noExternal: true, target: 'node' },
          build: {
            ssr,
            write: false,
            minify: mode == 'production',
            modulePreload: false,
            rollupOptions: { input: entry, output: { format: 'es', codeSplitting: false, entryFileNames: 'app.js' } as never },
          },
        });
        const output = (Array.isArray(result) ? result[0] : (result as Rollup.RollupOutput)).output;
        const chunk = output.find((file) => file.type == 'chunk') as Rollup.OutputChunk;
        const styles = output.filter((file): file is Rollup.OutputAsset => file.type == 'asset' && file.fileName.endsWith('.css'));
        return { code: chunk.code, css: styles.map((file) => String(file.source)).join('\n') };
      })(),
    );
  }
  return built.get(key)!;
}

/** The entry's browser bundle (an ES module, every import inlined) in `mode`. */
export const bundle = async (entry: string, mode: Mode, options: BundleOptions = {}) => (await viteBuild(entry, mode, false, options)).code;

/** The CSS that Vite takes out of the entry's components (their `<style>`), which an app links from its HTML. */
export const bundleCss = async (entry: string, mode: Mode, options: BundleOptions = {}) => (await viteBuild(entry, mode, false, options)).css;

const loaded = new Map<string, Promise<unknown>>();

/** The entry built for Node, as an SSR app's server build makes it, loaded in this process: its exports. */
export function serverBundle<Exports>(entry: string, mode: Mode, options: BundleOptions = {}): Promise<Exports> {
  const key = JSON.stringify([entry, mode, options]);
  if (!loaded.has(key)) {
    loaded.set(
      key,
      (async () => {
        const { code } = await viteBuild(entry, mode, true, options);
        // from a file, not a data: URL: the bundle requires Node's built-ins (react-dom/server's stream, util)
        // through createRequire(import.meta.url), which needs a file's URL
        const dir = await mkdtemp(join(tmpdir(), 'p13n-e2e-'));
        try {
          await writeFile(join(dir, 'server.mjs'), code);
          return await import(pathToFileURL(join(dir, 'server.mjs')).href);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      })(),
    );
  }
  return loaded.get(key) as Promise<Exports>;
}
