/**
 * Confines the commands agents run with bubblewrap: the whole filesystem
 * read-only, the worktree writable, a private /tmp, no network, no other
 * processes in sight, and killed with its parent. A command is an argv
 * handed to `bwrap`, so the process runner treats it like any other.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { runProcess } from '../files/index.js';
import { WorkspaceError } from './workspace-error.js';

/** How agents' commands run: confined by bubblewrap, or as plain processes (`workspace.sandbox`). */
export type SandboxMode = 'bwrap' | 'off';

/** Whether bubblewrap can confine commands on this machine, and if not, why. */
export type SandboxAvailability = { available: true; bwrap: string } | { available: false; reason: string };

/** Where commands see a writable temp dir and home: inside the private /tmp. */
export const SANDBOX_TMP = '/tmp';

/** How to turn the sandbox off, for every message that refuses a command. */
export const SANDBOX_OPT_OUT =
  'Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set "workspace.sandbox": "off" in orchestrator-config.json to run commands unconfined.';

// A probe that hangs (a broken setuid install waiting on something) must not hold a run up.
const PROBE_TIMEOUT_MS = 30_000;

// Namespaces and lifetime: no network, its own process ids, IPC and session, and gone when we are.
const ISOLATION = ['--unshare-net', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session'];

// One probe per PATH and process: bwrap does not appear or lose its namespaces while we run.
const probes = new Map<string, Promise<SandboxAvailability>>();

/** Finds bwrap on `PATH` and checks once that it can create the namespaces commands run in. */
export function probeSandbox(path: string = process.env['PATH'] ?? ''): Promise<SandboxAvailability> {
  let probe = probes.get(path);
  if (probe === undefined) {
    probe = detect(path);
    probes.set(path, probe);
  }
  return probe;
}

async function detect(path: string): Promise<SandboxAvailability> {
  const bwrap = await findExecutable('bwrap', path);
  if (bwrap === null) return { available: false, reason: 'bwrap (bubblewrap) is not on PATH' };
  const argv = [bwrap, ...filesystem([]), ...ISOLATION, '--', 'true'];
  const result = await runProcess({ argv, timeoutMs: PROBE_TIMEOUT_MS, capture: { interleaved: 2_000 } }).catch((error: unknown) => ({
    exitCode: null,
    stopped: undefined,
    interleaved: { text: error instanceof Error ? error.message : String(error) },
  }));
  if (result.exitCode === 0) return { available: true, bwrap };
  const said = result.interleaved.text.trim();
  const why = result.stopped === 'timeout' ? `did not answer within ${PROBE_TIMEOUT_MS / 1000} s` : said === '' ? 'failed' : said;
  return { available: false, reason: `${bwrap} cannot create the sandbox's namespaces (${why})` };
}

/**
 * The argv that runs `argv` confined to `worktree`, or throws a `WorkspaceError`
 * naming why no sandbox is available and how to opt out.
 */
export async function sandboxedArgv(input: { argv: readonly string[]; worktree: string }): Promise<string[]> {
  const sandbox = await probeSandbox();
  if (!sandbox.available) {
    throw new WorkspaceError({
      code: 'workspace_sandbox_unavailable',
      message: `Command refused: commands run in a sandbox, and none is available: ${sandbox.reason}. ${SANDBOX_OPT_OUT}`,
    });
  }
  const worktree = resolve(input.worktree);
  const binds = ['--bind', worktree, worktree];
  // Read-only, and bound after the private /tmp hides them: git reads the repository through the worktree's .git.
  for (const gitPath of await repositoryPaths(worktree)) binds.push('--ro-bind', gitPath, gitPath);
  return [sandbox.bwrap, ...filesystem(binds), ...ISOLATION, '--chdir', worktree, '--', ...input.argv];
}

/** Everything read-only, fresh /dev, /proc and /tmp, then `binds` on top (later mounts win). */
function filesystem(binds: readonly string[]): string[] {
  return ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', SANDBOX_TMP, ...binds];
}

/**
 * The worktree's `.git` (a file in a linked worktree, else the repository itself),
 * and for a linked worktree the repository's git directories it points to.
 */
async function repositoryPaths(worktree: string): Promise<string[]> {
  const dotGit = join(worktree, '.git');
  const stats = await stat(dotGit).catch(() => undefined);
  if (stats === undefined) return [];
  if (stats.isDirectory()) return [dotGit];
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, 'utf8'))?.[1];
  if (pointer === undefined) return [dotGit];
  const gitDir = resolve(worktree, pointer);
  const common = await readFile(join(gitDir, 'commondir'), 'utf8').then(
    (text) => resolve(gitDir, text.trim()),
    () => gitDir,
  );
  const paths = [common, gitDir, dotGit];
  const present = await Promise.all(
    paths.map((path) =>
      stat(path).then(
        () => path,
        () => null,
      ),
    ),
  );
  return present.filter((path): path is string => path !== null);
}

/** The file `name` runs: itself when it has a slash (relative to `cwd`), else the first executable on `path`. */
export async function findExecutable(name: string, path: string, cwd: string = process.cwd()): Promise<string | null> {
  const candidates = name.includes('/')
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : path
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => resolve(cwd, dir, name));
  for (const candidate of candidates) {
    const ok = await access(candidate, constants.X_OK).then(
      () => stat(candidate).then((stats) => stats.isFile()),
      () => false,
    );
    if (ok) return candidate;
  }
  return null;
}
