/**
 * Path safety for agent file tools: every path an agent names must stay
 * inside its worktree, through `..` and through symbolic links alike; and
 * the file access behind the tools never follows a link it did not check.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FileSystemError } from '../errors/index.js';
import { errorCode } from '../files/index.js';
import { WorkspaceError } from './workspace-error.js';

// Dependencies would flood listings and searches; agents read them through the code that uses them.
const SKIPPED_NAMES = new Set(['.git', 'node_modules']);

/** True when `path` is `root` itself or below it (both absolute and normalized). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Resolves an agent's relative path to an absolute path inside `root` with
 * every symbolic link already resolved, or throws a `WorkspaceError`.
 * A path that does not exist yet is judged by its nearest existing parent.
 */
export async function resolveInside(root: string, requested: string): Promise<string> {
  if (requested.includes('\0')) throw refuse(requested, 'it contains a NUL byte');
  if (isAbsolute(requested)) throw refuse(requested, 'it is absolute; give a path relative to the worktree root');
  const rootReal = await realpath(root);
  const lexical = resolve(rootReal, requested);
  if (!isInside(rootReal, lexical)) throw refuse(requested, 'its ".." segments lead outside');
  const parts = relative(rootReal, lexical)
    .split(sep)
    .filter((part) => part !== '');
  // The worktree's .git file says where its repository lives; rewriting it would move the agent into another one.
  if (parts.includes('.git')) {
    throw new WorkspaceError({ code: 'workspace_path_escape', message: `path is not open to agents: "${requested}" is inside .git.` });
  }

  let current = rootReal;
  for (const [index, part] of parts.entries()) {
    const next = join(current, part);
    const stats = await lstat(next).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    // Nothing below a missing component exists, and `current` (its nearest existing parent) is inside.
    if (stats === undefined) return join(next, ...parts.slice(index + 1));
    if (!stats.isSymbolicLink()) {
      current = next;
      continue;
    }
    const linkName = relative(rootReal, next);
    const real = await realpath(next).catch((error: unknown) => {
      if (isMissing(error) || errorCode(error) === 'ELOOP') return undefined;
      throw error;
    });
    if (real === undefined) {
      // Writing through a dangling link would create its target, wherever that is; refuse either way.
      const target = resolve(current, await readlink(next));
      if (!isInside(rootReal, target)) throw refuse(requested, `the symbolic link "${linkName}" points outside`);
      throw new WorkspaceError({
        code: 'workspace_path_escape',
        message: `path is not open to agents: "${requested}" goes through the symbolic link "${linkName}", which points to nothing that exists.`,
      });
    }
    if (!isInside(rootReal, real)) throw refuse(requested, `the symbolic link "${linkName}" points outside, to ${real}`);
    current = real;
  }
  return current;
}

function refuse(requested: string, why: string): WorkspaceError {
  return new WorkspaceError({
    code: 'workspace_path_escape',
    message: `path escapes the worktree: "${requested}" is refused because ${why}.`,
  });
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Files and links under `start`, as paths relative to `root`, in a stable order; never enters links. */
export async function* walk(root: string, start: string): AsyncGenerator<{ path: string; symlink: boolean }> {
  const stats = await lstat(start);
  if (!stats.isDirectory()) {
    yield { path: toPosix(relative(root, start)), symlink: stats.isSymbolicLink() };
    return;
  }
  const entries = (await readdir(start, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    // A worktree's .git is a file, so skip by name whatever the entry is.
    if (SKIPPED_NAMES.has(entry.name)) continue;
    const path = join(start, entry.name);
    if (entry.isDirectory()) yield* walk(root, path);
    else if (entry.isFile() || entry.isSymbolicLink()) yield { path: toPosix(relative(root, path)), symlink: entry.isSymbolicLink() };
  }
}

/** Reads at most `limit` bytes without following a final symbolic link; `size` is the whole file's. */
export async function readCapped(file: string, limit: number): Promise<{ bytes: Buffer; size: number }> {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    // Linux opens a directory for reading; say so plainly rather than fail on read().
    if (!stats.isFile()) {
      const code = stats.isDirectory() ? 'EISDIR' : 'ENOTREGULAR';
      throw new FileSystemError({ code, syscall: 'read', path: file, message: `${code}: ${file}` });
    }
    const bytes = Buffer.alloc(Math.min(stats.size, limit));
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size: stats.size };
  } finally {
    await handle.close();
  }
}

/** Creates or truncates and writes `file`; O_NOFOLLOW refuses a link that appeared after the path was checked. */
export async function writeNoFollow(file: string, content: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/** A relative path with "/" separators, as agents and git write them. */
export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
