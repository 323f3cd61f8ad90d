/**
 * Setup of the test files that share one module context per worker (vitest.config.ts, project `shared`):
 * what one file changes of the process (its environment, its working directory) would reach the next
 * file in the same worker. A file that leaves either changed fails here, naming what it changed, and
 * the change is undone for the next one.
 */
import { afterAll, beforeAll } from 'vitest';

let env: Record<string, string | undefined> = {};
let cwd = '';

beforeAll(() => {
  env = { ...process.env };
  cwd = process.cwd();
});

afterAll(() => {
  const changed = [...new Set([...Object.keys(env), ...Object.keys(process.env)])].filter((key) => env[key] !== process.env[key]);
  for (const key of changed) {
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
  const movedFrom = process.cwd() !== cwd ? process.cwd() : undefined;
  if (movedFrom !== undefined) process.chdir(cwd);
  const problems = [
    ...(changed.length > 0 ? [`environment variables ${changed.join(', ')}`] : []),
    ...(movedFrom !== undefined ? [`the working directory (left in ${movedFrom})`] : []),
  ];
  if (problems.length > 0) {
    throw new Error(
      `This file changed ${problems.join(' and ')} and did not restore it; files of the shared project run in one process. ` +
        'Restore it in an afterEach/afterAll, or list the file in ISOLATED in vitest.config.ts.',
    );
  }
});
