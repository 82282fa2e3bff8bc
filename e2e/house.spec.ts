/**
 * The house: what the repository's root may hold, and what each room of `src/` may import (docs/architecture.md).
 * Read from the files, not run, so it runs once (playwright.config.ts keeps it out of the other engines).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures';

const ROOT = new URL('../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, ROOT), 'utf8');

/** The tools' own configuration, which lives at the root by their convention, and the README that documents the rest. */
const CONFIG = /^(package(-lock)?\.json|tsconfig(\.[a-z0-9]+)?\.json|[a-z]+\.config\.(ts|mjs)|\.gitignore|\.ci|README\.md)$/;

test('the root holds configuration and what the README documents, nothing else', () => {
  // committed or about to be: what git tracks, and what it would add (ignored files, node_modules and reports, aside)
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  const entries = [...new Set(files.filter((file) => file && existsSync(new URL(file, ROOT))).map((file) => file.split('/')[0]))];
  // README, Development: a table row per entry, its path in backquotes (`src/`, `SECURITY.md`)
  const documented = [...read('README.md').matchAll(/^\| `([^`/]+)\/?` \|/gm)].map((match) => match[1]);
  const stray = entries.filter((entry) => !CONFIG.test(entry) && !documented.includes(entry));
  expect(stray, 'files at the root that are neither configuration nor in the README\'s Development table: document them there, move them, or delete them').toEqual([]);
  expect(entries).toContain('src');
});

/** Every TypeScript file under `folder`, tests included, relative to src/. */
const sources = (folder: string): string[] =>
  (readdirSync(new URL('../src/' + folder, import.meta.url), { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.posix.join(folder, file));

/** The room a file of src/ lives in: its first folder, or the file itself at src/'s top. */
const roomOf = (file: string) => (file.includes('/') ? file.split('/')[0] + '/' : file);

/** The imports of `file` (relative to src/): what they resolve to (relative to src/, or a package name), and whether only types. */
function importsOf(file: string) {
  const text = read('src/' + file);
  return [...text.matchAll(/^(import|export)( type)?[^'"]*?from '([^']+)'|import\('([^']+)'\)/gm)].map((match) => {
    const spec = match[3] || match[4];
    const target = spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec;
    return { target, typeOnly: !!match[2] };
  });
}

/**
 * What each room may import at run time, beside its own files (types may come from anywhere in src/). The core is
 * what every page loads; a module reaches the core only through the seam's Kit; the bindings only through the
 * public types; the proxy is for servers and shares nothing with the tag.
 */
const ALLOWED: Record<string, (target: string, file: string) => boolean> = {
  'core/': (target, file) =>
    target == 'seam' ||
    // the ES module's loader: each module a chunk of its own, loaded with import()
    (file == 'core/load.esm.ts' && /^modules\/[a-z]+$/.test(target)),
  'snippets/': (target) => /^core\/(config|consent|context|cookie|event|identity|transport)$/.test(target),
  'modules/': (target, file) => target == 'seam' || (file == 'modules/purify/index.ts' && target == 'dompurify'),
  'bindings/': (target) => target == 'react' || target == 'vue',
  // the handler runs on any runtime; only the server to run (and the Node HTTP client it forwards with) takes
  // Node's modules, Redis and Prometheus
  'proxy/': (target, file) => /^proxy\/(server|metrics|cli|node-http-fetch)\.ts$/.test(file) && /^(node:\w+|redis|prom-client)$/.test(target),
  'seam.ts': () => false,
  'types.ts': () => false,
  'index.ts': (target) => target == 'core/client',
};

test("each room of src/ imports only what docs/architecture.md allows it; tests import what they test", () => {
  const files = [...sources('.').filter((file) => !file.includes('/')), ...['core', 'snippets', 'modules', 'bindings', 'proxy'].flatMap(sources)];
  expect(files.map(roomOf).filter((room) => !(room in ALLOWED)), 'a new room: add it to ALLOWED and to docs/architecture.md').toEqual([]);
  const broken: string[] = [];
  for (const file of files) {
    if (/\.(test|testing|types)\.ts$/.test(file)) continue;
    const room = roomOf(file);
    for (const { target, typeOnly } of importsOf(file)) {
      // a module's own folder, not another module's
      const own = room.endsWith('/') && target.startsWith(room == 'modules/' ? file.split('/').slice(0, 2).join('/') + '/' : room);
      if (typeOnly || own || ALLOWED[room](target, file)) continue;
      broken.push(`${file} imports ${target}`);
    }
  }
  expect(broken).toEqual([]);
});
