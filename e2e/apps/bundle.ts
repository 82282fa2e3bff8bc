/**
 * The example apps' browser bundles, built the way an app's bundler builds them: Vite, from the app's entry, with
 * the framework's development or production build (`mode`), so the hydration warnings of development and the
 * minified errors of production are both what a real app would show. Built once per entry and mode, in memory.
 */
import { build, type Rollup } from 'vite';

const built = new Map<string, Promise<string>>();

/** The entry's bundle (an ES module, every import inlined) in `mode`. */
export function bundle(entry: string, mode: 'development' | 'production'): Promise<string> {
  const key = entry + ' ' + mode;
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
          build: {
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
