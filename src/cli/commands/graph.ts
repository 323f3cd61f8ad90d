import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadTeamConfig, type TeamConfig } from '../../config/index.js';
import { StateCorruptedError, UsageError } from '../../errors/index.js';
import { writeFileAtomic } from '../../files/index.js';
import { type DiagramFormat, planDiagram, runFiles } from '../../report/index.js';
import { type TeamState, teamStateSchema } from '../../state/index.js';
import { missingTeamState, withTeamStore } from '../../team/index.js';
import { EXIT } from '../exit-codes.js';
import { storeChoice } from '../store-option.js';
import { println, type Terminal } from '../terminal.js';

/** Options of `agent-team graph`. */
export interface GraphCommandOptions {
  /** A finished run's id (its record under runs_dir); default: the live run in the store. */
  run?: string | undefined;
  format?: DiagramFormat | undefined;
  /** Write to this file instead of stdout. */
  out?: string | undefined;
  store?: string | undefined;
  config?: string | undefined;
  cwd: string;
  terminal: Terminal;
}

async function recordedState(config: TeamConfig, runId: string): Promise<TeamState> {
  const file = runFiles(join(config.runsDir, runId)).state;
  if (!/^[\w.-]+$/.test(runId) || !existsSync(file)) {
    const known = existsSync(config.runsDir)
      ? readdirSync(config.runsDir)
          .filter((name) => existsSync(runFiles(join(config.runsDir, name)).state))
          .sort()
          .slice(-5)
      : [];
    throw new UsageError(
      `--run ${runId}: no run record ${file}. ` +
        (known.length === 0 ? `${config.runsDir} holds no run yet.` : `Recent runs: ${known.join(', ')}.`),
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new StateCorruptedError({ file, problem: `not JSON (${(error as Error).message})`, cause: error });
  }
  const result = teamStateSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new StateCorruptedError({ file, problem: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` });
  }
  return result.data;
}

/** `agent-team graph`: the plan of the live run, or of a recorded one, as Mermaid, DOT or SVG. */
export async function graph(options: GraphCommandOptions): Promise<number> {
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const state =
    options.run === undefined
      ? await withTeamStore(config, async (store) => {
          if (!(await store.exists())) throw missingTeamState(config);
          return store.read();
        })
      : await recordedState(config, options.run);
  const text = planDiagram(state, options.format ?? 'mermaid');
  if (options.out === undefined) {
    options.terminal.out.write(text);
    return EXIT.ok;
  }
  const file = resolve(options.cwd, options.out);
  await writeFileAtomic(file, text);
  println(
    options.terminal,
    `Wrote the plan of run ${state.run.id} (${state.tasks.length} tasks, ${options.format ?? 'mermaid'}) to ${file}`,
  );
  return EXIT.ok;
}
