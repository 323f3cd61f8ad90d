/**
 * Child processes of the tests that run TypeScript: each script is bundled once per test file with
 * esbuild into one ESM file under dist/test-scripts/, which `node` starts directly. Under
 * `node --import tsx` every module of the product passes through the loader hooks (about a second of
 * CPU per process on a 2-core machine); a bundle is one file read and compiled once. npm packages are
 * bundled too, as in the CLI's bundle: loading yaml, zod and the rest file by file from node_modules
 * cost each process ~0.2 s more. No source map: an inline one made the file ten times larger and its
 * start as slow again; the bundle is left unminified, with esbuild's `// src/...` markers, so a stack
 * trace's line is read in the bundle itself. The bundle sits two levels below the root like dist/config/,
 * so the product finds prompts/ and .ai-agents/ from it, and node_modules/ for what it loads on demand.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../fixtures/worker-processes.js';

const bundles = new Map<string, Promise<string>>();

/** The path of `entry` (a TypeScript file) bundled with everything it imports from the repository. */
export function bundledScript(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (bundle === undefined) {
    bundle = bundleEntry(entry);
    bundles.set(entry, bundle);
  }
  return bundle;
}

async function bundleEntry(entry: string): Promise<string> {
  const result = await build({
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    bundle: true,
    // pg's optional native binding: loaded only when asked for, never installed.
    external: ['pg-native'],
    // CommonJS dependencies (proper-lockfile, graceful-fs, pg…) call require() for Node's modules.
    banner: {
      js: "import { createRequire as __testScriptRequire } from 'node:module'; const require = __testScriptRequire(import.meta.url);",
    },
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]?.text;
  if (text === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  const directory = join(projectRoot, 'dist', 'test-scripts');
  await mkdir(directory, { recursive: true });
  const hash = createHash('sha256').update(entry).update(text).digest('hex').slice(0, 12);
  const file = join(directory, `${basename(entry, '.ts')}-${hash}.mjs`);
  // Test files in other workers may bundle the same script at once: each writes its own copy, then renames.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
  return file;
}
