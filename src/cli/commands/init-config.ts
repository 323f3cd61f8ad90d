import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { UsageError } from '../../errors/index.js';
import { errorCode } from '../../files/index.js';
import { EXAMPLE_ROLE_TASKS } from '../../solo/index.js';
import { println, type Terminal } from '../terminal.js';

/** Options of `agent-team init-config`. */
export interface InitConfigOptions {
  output?: string | undefined;
  force?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** `agent-team init-config -o agents.json`: writes an example agents.json for `queue run`; never overwrites without --force. */
export async function initConfig(options: InitConfigOptions): Promise<number> {
  const file = resolve(options.cwd, options.output ?? 'agents.json');
  const text = `${JSON.stringify(EXAMPLE_ROLE_TASKS, null, 2)}\n`;
  await mkdir(dirname(file), { recursive: true });
  try {
    // `wx` makes the existence check and the write one step.
    await writeFile(file, text, { flag: options.force === true ? 'w' : 'wx' });
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      throw new UsageError(`${file} already exists. Pass --force to overwrite it, or choose another file with -o.`);
    }
    throw error;
  }
  const shown = relative(options.cwd, file) || file;
  println(
    options.terminal,
    `Wrote ${shown} with ${EXAMPLE_ROLE_TASKS.length} agents (${EXAMPLE_ROLE_TASKS.map((entry) => entry.role).join(', ')}).`,
  );
  println(options.terminal, `Edit the tasks, then run: agent-team queue run ${shown} --workers 3 --project my-feature`);
  return 0;
}
