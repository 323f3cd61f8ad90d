/**
 * Rebuilds dist/ when the compiled form of some source folders is missing or
 * older than the source, for test files that run built code in real
 * processes. A file lock keeps two test files from running tsc at once.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { acquireLock } from '../../src/files/index.js';
import { ROOT } from './cli.js';

function staleFiles(folders: readonly string[]): string[] {
  const stale: string[] = [];
  for (const folder of folders) {
    const entries = readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
      const source = join(entry.parentPath, entry.name);
      const built = join(ROOT, 'dist', relative(join(ROOT, 'src'), source)).replace(/\.ts$/, '.js');
      let builtAt: number;
      try {
        builtAt = statSync(built).mtimeMs;
      } catch {
        stale.push(source);
        continue;
      }
      if (builtAt < statSync(source).mtimeMs) stale.push(source);
    }
  }
  return stale;
}

/** Runs `tsc -p tsconfig.build.json` and bundles the CLI again if any `.ts` under `folders` (e.g. `src/memory`) is newer than its `.js` in dist/. */
export async function buildIfStale(folders: readonly string[]): Promise<void> {
  if (staleFiles(folders).length === 0) return;
  const release = await acquireLock({
    file: join(ROOT, 'dist', '.test-build'),
    timeoutMs: 120_000,
    staleMs: 60_000,
    onCompromised: () => undefined,
  });
  try {
    if (staleFiles(folders).length === 0) return; // another test file built it while we waited
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
        stdio: 'pipe',
      });
    } catch (error) {
      // tsc still emits when files elsewhere have type errors; only our folders matter here.
      const stale = staleFiles(folders);
      if (stale.length > 0)
        throw new Error(`tsc did not build ${stale.join(', ')}:\n${String((error as { stdout?: unknown }).stdout ?? error)}`);
    }
    // The bin runs the CLI's bundle, made from the same sources.
    execFileSync(process.execPath, [join(ROOT, 'bin', 'bundle.mjs')], { stdio: 'pipe' });
  } finally {
    await release();
  }
}
