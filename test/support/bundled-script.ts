/**
 * Child processes of the tests that run TypeScript: each script is bundled once per test file with
 * esbuild into one ESM file under dist/test-scripts/, which `node` starts directly. Under
 * `node --import tsx` every module of the product passes through the loader hooks (about a second of
 * CPU per process on a 2-core machine); a bundle is one file read and compiled once. npm packages stay
 * imports, resolved from node_modules as in the product, and the bundle sits two levels below the root
 * like dist/config/, so the product finds prompts/ and .ai-agents/ from it.
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
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    sourcemap: 'inline',
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
