/**
 * Runs one cell: a normal team run in the cell's own directory, started, or
 * resumed when an earlier session was stopped in the middle of it. A cell
 * whose run ended writes `cell.json` (its result row), and is never run again.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { TeamConfig } from '../config/index.js';
import { writeFileAtomic, safeParseDataText } from '../files/index.js';
import { StateCorruptedError } from '../errors/index.js';
import type { RunSummary } from '../report/index.js';
import { createSimProvider, type LlmProvider } from '../providers/index.js';
import { readTeamStateAt, runTeam } from '../team/index.js';
import { cellStarted, type ExperimentCell } from './experiment-cells.js';
import { type ResultRecord, resultRow } from './result-row.js';

const cellFileSchema = z.object({
  version: z.literal(1),
  cellId: z.string(),
  record: z.looseObject({ design: z.string(), seed: z.number(), repetition: z.number(), status: z.string(), costUsd: z.number() }),
});

/** The cassette a cell records its calls to (and a replay answers them from). */
export function cellCassette(cellDir: string): string {
  return join(cellDir, 'cassette.jsonl');
}

/** The `cell.json` of a cell. */
export function cellFile(cell: ExperimentCell): string {
  return join(cell.dir, 'cell.json');
}

/** The recorded result of a finished cell, or null when it has not finished. */
export async function readCellRecord(cell: ExperimentCell): Promise<ResultRecord | null> {
  let text: string;
  try {
    text = await readFile(cellFile(cell), 'utf8');
  } catch {
    return null;
  }
  const parsed = safeParseDataText({ text, where: cellFile(cell), format: 'json', schema: cellFileSchema });
  if (!parsed.ok) {
    throw new StateCorruptedError({
      file: cellFile(cell),
      problem: `${parsed.error.message}; delete it to run the cell again`,
    });
  }
  return parsed.value.record as unknown as ResultRecord;
}

/** How a cell session ended: a row, or stopped before its run ended (resume continues it). */
export type CellOutcome = { finished: true; record: ResultRecord } | { finished: false; spentUsd: number };

/** Runs (or continues) a cell's run within `budgetUsd` and records its row. */
export async function runCell(input: {
  cell: ExperimentCell;
  config: TeamConfig;
  feature: string;
  timeScale: number;
  budgetUsd: number;
  experimentDir: string;
  signal: AbortSignal;
  /** Answer every call on the sim, whatever provider the design names (a pilot, a forecast). */
  simulate?: boolean | undefined;
  /** Record every call of a new run to this cassette. */
  record?: string | undefined;
  /** Answer every call of a new run from this cassette. */
  replay?: string | undefined;
}): Promise<CellOutcome> {
  const { cell, config } = input;
  const started = Date.now();
  await mkdir(cell.dir, { recursive: true });
  const previous = cellStarted(config) ? await readTeamStateAt(config.stateFile) : null;
  let summary: RunSummary;
  let runDir: string;
  if (previous !== null && !['interrupted'].includes(previous.run.status) && previous.run.endedAt !== null) {
    // The run ended but the session stopped before writing cell.json: its record is there already.
    runDir = previous.run.options.runDir;
    const where = join(runDir, 'summary.json');
    const parsed = safeParseDataText({ text: await readFile(where, 'utf8'), where, format: 'json' });
    if (!parsed.ok) throw new StateCorruptedError({ file: where, problem: parsed.error.message });
    summary = parsed.value as RunSummary;
  } else {
    const result = await runTeam({
      config,
      ...(previous === null
        ? { feature: input.feature, seed: input.cell.seed, force: true, record: input.record, replay: input.replay }
        : { resume: true }),
      timeScale: input.timeScale,
      budgetUsd: input.budgetUsd,
      signal: input.signal,
      providerInstance: input.simulate === true ? simProviderFor(config, input.cell.seed, input.timeScale) : undefined,
    });
    if (result.status === 'interrupted' && input.signal.aborted) return { finished: false, spentUsd: result.summary.costUsd };
    summary = result.summary;
    runDir = result.files.dir;
  }
  const record: ResultRecord = {
    ...resultRow({ design: cell.design, seed: cell.seed, repetition: cell.repetition, summary }),
    wallMs: Date.now() - started,
    runId: summary.runId,
    runDir: relative(input.experimentDir, runDir),
  };
  await writeFileAtomic(cellFile(cell), `${JSON.stringify({ version: 1, cellId: cell.id, record }, null, 2)}\n`);
  return { finished: true, record };
}

/** The sim with the design's own sim settings, for a cell that must make no real call. */
function simProviderFor(config: TeamConfig, seed: number, timeScale: number): LlmProvider {
  const { provider } = config.orchestrator;
  return createSimProvider({ seed, timeScale, blockerRate: provider.blocker_rate, gateFailureRate: provider.gate_failure_rate });
}
