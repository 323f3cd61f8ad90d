import { git, splitNul } from './git.js';

/** What a task branch changed, for a gate to read. */
export interface BranchDiff {
  /** The unified diff, cut at the cap (on a line boundary). */
  diff: string;
  files: string[];
  truncated: boolean;
  /** Size of the whole diff in bytes, before any cut. */
  bytes: number;
}

/**
 * The diff of `branch` against the point where it left `base` (`base...branch`),
 * so that work merged into the base since does not show as the task's. Binary
 * files show as "Binary files differ"; no rename detection, so each path is plain.
 */
export async function branchDiff(input: { repo: string; base: string; branch: string; capBytes: number }): Promise<BranchDiff> {
  const range = `${input.base}...${input.branch}`;
  const [patch, names] = await Promise.all([
    git({ cwd: input.repo, args: ['diff', '--no-color', '--no-ext-diff', '--no-renames', range] }),
    git({ cwd: input.repo, args: ['diff', '--name-only', '-z', '--no-renames', range] }),
  ]);
  const bytes = Buffer.byteLength(patch.stdout);
  if (bytes <= input.capBytes) return { diff: patch.stdout, files: splitNul(names.stdout), truncated: false, bytes };
  const cut = Buffer.from(patch.stdout).subarray(0, input.capBytes).toString('utf8');
  const lastLine = cut.lastIndexOf('\n');
  return { diff: lastLine > 0 ? cut.slice(0, lastLine + 1) : cut, files: splitNul(names.stdout), truncated: true, bytes };
}
