import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInside } from '../../src/workspace/sandbox.js';
import { WorkspaceError } from '../../src/workspace/workspace-error.js';

let base: string;
let root: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-sandbox-')));
  root = join(base, 'work');
  await mkdir(join(root, 'src'), { recursive: true });
  await mkdir(join(base, 'outside'));
  await writeFile(join(base, 'outside', 'secret.txt'), 'secret\n');
  await writeFile(join(root, 'src', 'a.txt'), 'a\n');
  await symlink('../outside', join(root, 'out-dir'));
  await symlink(join(base, 'outside', 'secret.txt'), join(root, 'out-file'));
  await symlink('../outside/not-yet.txt', join(root, 'out-dangling'));
  await symlink('src', join(root, 'in-dir'));
  await symlink('src/a.txt', join(root, 'in-file'));
  await symlink('src/not-yet.txt', join(root, 'in-dangling'));
  // A link below the root, not only at it.
  await symlink('../outside', join(root, 'src', 'up'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refusal(requested: string): Promise<WorkspaceError> {
  const error = await resolveInside(root, requested).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof WorkspaceError)) throw new Error(`expected "${requested}" to be refused, got ${String(error)}`);
  expect(error.code).toBe('workspace_path_escape');
  return error;
}

describe('resolveInside', () => {
  it('resolves plain paths, existing or not, to absolute paths inside the root', async () => {
    expect(await resolveInside(root, 'src/a.txt')).toBe(join(root, 'src', 'a.txt'));
    expect(await resolveInside(root, '.')).toBe(root);
    expect(await resolveInside(root, 'src/../src/a.txt')).toBe(join(root, 'src', 'a.txt'));
    expect(await resolveInside(root, 'new/dir/file.txt')).toBe(join(root, 'new', 'dir', 'file.txt'));
  });

  it('refuses absolute paths and ".." escapes', async () => {
    expect((await refusal('/etc/passwd')).message).toBe(
      'path escapes the worktree: "/etc/passwd" is refused because it is absolute; give a path relative to the worktree root.',
    );
    expect((await refusal('../x')).message).toContain('path escapes the worktree: "../x"');
    expect((await refusal('a/../../x')).message).toContain('".." segments lead outside');
    await refusal('src/../../outside/secret.txt');
    await refusal('..');
  });

  it('refuses symbolic links that resolve outside, wherever they sit in the path', async () => {
    expect((await refusal('out-dir/secret.txt')).message).toContain('the symbolic link "out-dir" points outside');
    await refusal('out-dir');
    await refusal('out-file');
    await refusal('out-dir/new-file.txt');
    await refusal('src/up/secret.txt');
    expect((await refusal('out-dangling')).message).toContain('points outside');
  });

  it('follows symbolic links that stay inside, returning the real path', async () => {
    expect(await resolveInside(root, 'in-dir/a.txt')).toBe(join(root, 'src', 'a.txt'));
    expect(await resolveInside(root, 'in-file')).toBe(join(root, 'src', 'a.txt'));
    expect(await resolveInside(root, 'in-dir/new.txt')).toBe(join(root, 'src', 'new.txt'));
  });

  it('refuses .git and dangling links, whose writes would land who knows where', async () => {
    expect((await refusal('.git')).message).toContain('is inside .git');
    await refusal('src/.git/config');
    expect((await refusal('in-dangling')).message).toContain('points to nothing that exists');
  });
});
