/**
 * The example apps' bundles, built the way an app's bundler builds them: Vite, from the app's entry, with the
 * framework's development or production build (`mode`), so the hydration warnings of development and the
 * minified errors of production are both what a real app would show. Built once per entry, mode and options, in
 * memory. `ssr` builds the server's side the same way (Vite's SSR build, every dependency inlined), so that a
 * framework taken from elsewhere (`packages`) renders the server HTML too, not only the browser's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Rollup } from 'vite';

export type Mode = 'development' | 'production';

export interface BundleOptions {
  /** For Node, as a server renders, instead of the browser. */
  ssr?: boolean;
  /**
   * Packages from another folder than the root's node_modules, by name (its subpaths too): every import of them,
   * the app's and its dependencies' alike, so that a router and the binding share the app's one React.
   */
  packages?: Record<string, string>;
}

const built = new Map<string, Promise<string>>();

/** The entry's bundle (an ES module, every import inlined) in `mode`. */
export function bundle(entry: string, mode: Mode, { ssr = false, packages = {} }: BundleOptions = {}): Promise<string> {
  const key = JSON.stringify([entry, mode, ssr, packages]);
  if (!built.has(key)) {
    built.set(
      key,
      (async () => {
        const output = (await build({
          configFile: false,
          logLevel: 'silent',
          mode,
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
        })) as Rollup.RollupOutput | Rollup.RollupOutput[];
        const chunk = (Array.isArray(output) ? output[0] : output).output.find((file) => file.type == 'chunk') as Rollup.OutputChunk;
        return chunk.code;
      })(),
    );
  }
  return built.get(key)!;
}

const loaded = new Map<string, Promise<unknown>>();

/** The entry built for Node (`bundle` with `ssr`), loaded in this process: its exports. */
export function serverBundle<Exports>(entry: string, mode: Mode, options: Omit<BundleOptions, 'ssr'> = {}): Promise<Exports> {
  const key = JSON.stringify([entry, mode, options]);
  if (!loaded.has(key)) {
    loaded.set(
      key,
      (async () => {
        const code = await bundle(entry, mode, { ...options, ssr: true });
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
