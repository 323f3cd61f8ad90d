import { resolve } from 'node:path';
import { loadTeamConfig, type TeamConfig } from '../../config/index.js';
import { UsageError } from '../../errors/index.js';
import { RESUMABLE_RUN_STATUSES, TERMINAL_RUN_STATUSES, type RunStatus } from '../../state/index.js';
import { describeOwner, ownerLiveness, readTeamStateAt, withTeamStore } from '../../team/index.js';
import { cleanWorktrees, isRepository, listRunIds, readRunHome, type CleanReport } from '../../workspace/index.js';
import { EXIT } from '../exit-codes.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { storeChoice } from '../store-option.js';

/** Options of `agent-team clean`. */
export interface CleanCommandOptions {
  /** `--store`: the file store or a PostgreSQL URL (default: AGENT_TEAM_STORE, else the file store). */
  store?: string | undefined;
  workspace?: string | undefined;
  config?: string | undefined;
  /** Only these runs (repeatable `--run`). */
  run?: readonly string[] | undefined;
  force?: boolean | undefined;
  wip?: boolean | undefined;
  integration?: boolean | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** A run found in the repository that this clean left alone, and why. */
export interface SkippedRun {
  runId: string;
  reason: string;
}

// Agents of a run that has not ended are (or may be) working in its worktrees right now.
const isLive = (status: RunStatus): boolean => !TERMINAL_RUN_STATUSES.has(status);

/**
 * `agent-team clean`: removes the worktrees and merged branches that runs left
 * in the repository, saving uncommitted work on wip branches first. The
 * project's current run is left alone while it is live or resumable.
 */
export async function clean(options: CleanCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const repo = options.workspace === undefined ? config.projectDir : resolve(options.cwd, options.workspace);
  if (!(await isRepository(repo))) {
    const from = options.workspace === undefined ? ` (the project directory of ${config.configFile ?? 'the built-in config'})` : '';
    throw new UsageError(
      `${repo}${from} is not a git repository. Point --workspace at the repository the runs worked in (the one given to run --workspace).`,
    );
  }
  const named = [...new Set(options.run ?? [])];
  const current = await currentRun(config);
  if (current !== null && isLive(current.status) && named.includes(current.runId)) {
    throw new UsageError(
      `Run ${current.runId} is still ${current.status} (${config.stateFile}): its agents work in those worktrees. ` +
        'Wait for it to end, or stop it with Ctrl-C, then clean again.',
    );
  }

  const found = await listRunIds(repo);
  const skippedRuns: SkippedRun[] = [];
  let runIds = named.length > 0 ? named : found;
  if (current !== null && runIds.includes(current.runId) && !named.includes(current.runId)) {
    if (isLive(current.status)) {
      skippedRuns.push({
        runId: current.runId,
        reason: `still ${current.status}: its agents work in these worktrees (clean again once it has ended)`,
      });
    } else if (RESUMABLE_RUN_STATUSES.has(current.status)) {
      skippedRuns.push({
        runId: current.runId,
        reason: `${current.status}, it can still be resumed with agent-team run --resume; to clean it anyway: ${includeCommand(options, current.runId)}`,
      });
    }
    if (skippedRuns.length > 0) runIds = runIds.filter((runId) => runId !== current.runId);
  }
  // Runs started from another project: their state file is recorded in the repository; a live one is never touched.
  for (const runId of [...runIds]) {
    if (runId === current?.runId) continue;
    const elsewhere = await runElsewhere(repo, runId);
    if (elsewhere === null) continue;
    runIds = runIds.filter((id) => id !== runId);
    skippedRuns.push({ runId, reason: elsewhere });
  }
  for (const runId of named) {
    if (!found.includes(runId)) skippedRuns.push({ runId, reason: `no worktree or branch of this run in ${repo}` });
  }
  runIds = runIds.filter((runId) => found.includes(runId));

  const report = await cleanWorktrees({
    repo,
    runIds,
    force: options.force,
    deleteWip: options.wip,
    deleteIntegration: options.integration,
    dryRun: options.dryRun,
  });
  if (options.json === true) printJson(terminal, { repo, runs: runIds, dryRun: options.dryRun === true, ...report, skippedRuns });
  else printReport({ terminal, report, skippedRuns, runIds, dryRun: options.dryRun === true });
  return EXIT.ok;
}

/** The run in the project's state file, or null when there is none (no state file yet). */
async function currentRun(config: TeamConfig): Promise<{ runId: string; status: RunStatus } | null> {
  return withTeamStore(config, async (store) => {
    if (!(await store.exists())) return null;
    // A corrupted state file stops clean (exit 4): without it, a live run's worktrees cannot be told apart.
    const state = await store.read();
    return { runId: state.run.id, status: state.run.status };
  });
}

/** Why run `runId`, whose state lives in another project, must be left alone now; null when it may be cleaned. */
async function runElsewhere(repo: string, runId: string): Promise<string | null> {
  const home = await readRunHome(repo, runId);
  if (home === null) return null;
  const state = await readTeamStateAt(home.stateFile).catch(() => null);
  if (state === null || state.run.id !== runId || TERMINAL_RUN_STATUSES.has(state.run.status)) return null;
  const owner = state.run.owner;
  if (owner !== null && ownerLiveness(owner, new Date()).live) {
    return `live: it belongs to ${describeOwner(owner)} (state ${home.stateFile}), and its agents work in these worktrees`;
  }
  return `still ${state.run.status} in ${home.stateFile} with its owner gone: resume it there with agent-team run --resume, or end it first`;
}

/** The exact command that cleans a skipped run, with the options that found it. */
function includeCommand(options: CleanCommandOptions, runId: string): string {
  const parts = ['agent-team clean', `--run ${runId}`];
  if (options.workspace !== undefined) parts.push(`--workspace ${quote(options.workspace)}`);
  if (options.config !== undefined) parts.push(`--config ${quote(options.config)}`);
  return parts.join(' ');
}

function quote(value: string): string {
  return /^[\w./:@%+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

function printReport(input: {
  terminal: Terminal;
  report: CleanReport;
  skippedRuns: readonly SkippedRun[];
  runIds: readonly string[];
  dryRun: boolean;
}): void {
  const { terminal, report, dryRun } = input;
  const would = (done: string, planned: string): string => (dryRun ? planned : done);
  for (const skipped of input.skippedRuns) println(terminal, paint(terminal, 'yellow', `skipped run ${skipped.runId}: ${skipped.reason}`));
  for (const saved of report.savedWip) {
    const commit = saved.commit === null ? '' : ` (${saved.commit.slice(0, 10)})`;
    println(terminal, `${would('saved', 'would save')} uncommitted work of ${saved.path} on ${saved.branch}${commit}`);
  }
  for (const path of report.removedWorktrees)
    println(terminal, paint(terminal, 'green', `${would('removed', 'would remove')} worktree ${path}`));
  for (const branch of report.deletedBranches)
    println(terminal, paint(terminal, 'green', `${would('deleted', 'would delete')} branch ${branch}`));
  for (const kept of report.kept) {
    const what =
      kept.path === null ? `branch ${kept.branch ?? '?'}` : `worktree ${kept.path}${kept.branch === null ? '' : ` (${kept.branch})`}`;
    println(terminal, paint(terminal, 'yellow', `kept ${what}: ${kept.reason}`));
  }
  const runs = input.runIds.length === 1 ? '1 run' : `${input.runIds.length} runs`;
  const counts = [
    `${report.removedWorktrees.length} worktree(s) ${would('removed', 'to remove')}`,
    `${report.savedWip.length} saved on wip branches`,
    `${report.deletedBranches.length} branch(es) ${would('deleted', 'to delete')}`,
    `${report.kept.length} kept`,
  ].join(', ');
  println(terminal, paint(terminal, 'bold', `${dryRun ? 'Dry run, nothing changed' : 'Cleaned'}: ${runs}; ${counts}.`));
}
