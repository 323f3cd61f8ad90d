import { resolve } from 'node:path';
import { loadTeamConfig } from '../../config/index.js';
import { writeRunRecord } from '../../report/index.js';
import { missingTeamState, readRunLedger, withTeamStore } from '../../team/index.js';
import { EXIT } from '../exit-codes.js';
import { storeChoice } from '../store-option.js';
import { printJson, println, type Terminal } from '../terminal.js';

/** Options of `agent-team export`. */
export interface ExportCommandOptions {
  /** The directory to write (default: the run's directory under runs_dir). */
  out?: string | undefined;
  store?: string | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/**
 * `agent-team export`: writes the run the store holds now as files people read — `team-communication.json`,
 * `run_ledger.jsonl`, `summary.json` and `report.md` — whether it lives in the state file or in PostgreSQL.
 */
export async function exportRun(options: ExportCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const state = await withTeamStore(config, async (store) => {
    if (!(await store.exists())) throw missingTeamState(config);
    return store.read();
  });
  const ledger = await readRunLedger(config);
  const { files, summary } = await writeRunRecord({
    config,
    state,
    ledger,
    dir: options.out === undefined ? undefined : resolve(options.cwd, options.out),
  });
  if (options.json === true) {
    printJson(terminal, { runId: state.run.id, status: state.run.status, events: ledger.length, files });
    return EXIT.ok;
  }
  println(
    terminal,
    `Exported run ${state.run.id} (${state.run.status}, ${ledger.length} ledger events, $${summary.costUsd.toFixed(4)}) to ${files.dir}`,
  );
  for (const file of [files.state, files.ledger, files.summary, files.report, files.plan, files.timeline, files.cost])
    println(terminal, `  ${file}`);
  return EXIT.ok;
}
