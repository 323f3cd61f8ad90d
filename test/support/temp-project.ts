import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A scratch project directory for one test, removed by `cleanup()`. */
export interface TempProject {
  dir: string;
  path(...parts: string[]): string;
  write(relativePath: string, content: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Creates a scratch project directory. */
export async function tempProject(prefix = 'agent-team-test-'): Promise<TempProject> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    path: (...parts) => join(dir, ...parts),
    async write(relativePath, content) {
      const file = join(dir, relativePath);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
