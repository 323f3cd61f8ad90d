/**
 * Bundles the CLI (src/cli/main.ts and everything it imports, dependencies included) into
 * dist/bundle/ with esbuild: ESM, code splitting, so each lazy `import()` stays a lazily
 * loaded chunk. Start-up reads a few large files instead of ~580 small ones.
 *
 * Every output file sits directly in dist/bundle/, two levels below the package root like
 * dist/config/, so `packageRoot()` (from import.meta.url) finds prompts/, .ai-agents/ and
 * package.json from any chunk. Modules loaded on demand with `createRequire(import.meta.url)`
 * (winston, the tokenizer's data) resolve from node_modules as before.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Less to read and compile at start; names kept, so error classes and stack frames read as in the sources.
  minify: true,
  keepNames: true,
  // Which sources each output file holds (read by the start-up loading test).
  metafile: true,
  // Maps give file and line of the sources; without the sources' text they stay small.
  sourcesContent: false,
  // CommonJS dependencies (commander, proper-lockfile, graceful-fs, pg…) call require() for Node's modules.
  banner: {
    js: "import { createRequire as __agentTeamCreateRequire } from 'node:module'; const require = __agentTeamCreateRequire(import.meta.url);",
  },
  // pg's optional native binding: loaded only when asked for, never installed by us.
  external: ['pg-native'],
  logLevel: 'warning',
});
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
