import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  batchStatus as readBatchStatus,
  collectBatch,
  loadCsvTasks,
  loadTasksFile,
  readStreamText,
  runBatch,
  tasksFromLines,
  type BatchEvent,
  type BatchStatusReport,
  type BatchSummary,
  type BatchTaskInput,
} from '../../batch/index.js';
import { loadTeamConfig } from '../../config/index.js';
import { priceTable } from '../../cost/index.js';
import { UsageError } from '../../errors/index.js';
import { createAgentSpecResolver } from '../../team/index.js';
import { EXIT } from '../exit-codes.js';
import { BATCH_DEFAULTS } from './batch-defaults.js';
import { interruptSignal } from '../interrupt.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { plainText } from '../../observability/index.js';

/** Options of `agent-team batch run`. */
export interface BatchRunCommandOptions {
  tasks?: string | undefined;
  csv?: string | undefined;
  stdin?: boolean | undefined;
  agent?: string | undefined;
  concurrency?: number | undefined;
  timeout?: number | undefined;
  retries?: number | undefined;
  runDir?: string | undefined;
  resume?: boolean | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  /** Supplied by tests and the server; the CLI uses Ctrl-C. */
  signal?: AbortSignal | undefined;
  /** Where `--stdin` reads prompts; the process's stdin by default. */
  input?: NodeJS.ReadableStream | undefined;
}

/** Defaults of `batch run`, shown in its help. */
async function loadTasks(options: BatchRunCommandOptions): Promise<{ tasks: BatchTaskInput[]; source: string }> {
  if (options.tasks !== undefined) {
    const file = resolve(options.cwd, options.tasks);
    return { tasks: await loadTasksFile(file), source: file };
  }
  if (options.csv !== undefined) {
    const file = resolve(options.cwd, options.csv);
    return { tasks: await loadCsvTasks(file), source: file };
  }
  const text = await readStreamText(options.input ?? process.stdin);
  return { tasks: tasksFromLines({ text, agent: options.agent }), source: 'stdin' };
}

function checkSources(options: BatchRunCommandOptions): void {
  const given = (['tasks', 'csv', 'stdin'] as const).filter((key) => options[key] !== undefined && options[key] !== false);
  if (options.resume === true) {
    if (given.length > 0)
      throw new UsageError(`--resume reruns the tasks already in the run directory; drop ${given.map((key) => `--${key}`).join(', ')}.`);
    if (options.runDir === undefined)
      throw new UsageError('--resume needs the run directory to finish: --resume --run-dir .agent-runs/2026-11-22_12-34-56');
    return;
  }
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'Say where the tasks are: --tasks tasks.json, --csv tasks.csv, or --stdin with --agent. Example: agent-team batch run --tasks tasks.json'
        : `Give one source of tasks, found ${given.map((key) => `--${key}`).join(' and ')}.`,
    );
  }
  if (options.agent !== undefined && options.stdin !== true)
    throw new UsageError('--agent names the agent of prompts read with --stdin; in a tasks file or CSV, each task names its agent.');
}

/** Shows a batch's progress on stderr: a redrawn bar on a terminal, one line per finished job otherwise. */
function progressReporter(terminal: Terminal): { onEvent: (event: BatchEvent) => void; stop: () => void } {
  const bar = (terminal.err as { isTTY?: boolean }).isTTY === true;
  const started = Date.now();
  let total = 0;
  let concurrency = 1;
  let done = 0;
  let running = 0;
  let notCompleted = 0;
  let drawn = false;
  const line = (): string => {
    const width = 24;
    // A job's end is reported once its files are written, so for a moment more than `concurrency` may look started.
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const failed = notCompleted > 0 ? ` · ${notCompleted} not completed` : '';
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const gauge = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    return `[${gauge}] ${done}/${total} · ${Math.min(running, concurrency)} running${failed} · ${elapsed} s`;
  };
  const draw = (): void => {
    if (!bar) return;
    terminal.err.write(`\r\u001b[2K${line()}`);
    drawn = true;
  };
  const ticker = bar ? setInterval(draw, 250) : undefined;
  ticker?.unref();
  return {
    onEvent: (event) => {
      if (event.type === 'batch-start') {
        total = event.toRun;
        concurrency = event.concurrency;
        if (!bar)
          terminal.err.write(
            `${event.resumed ? 'Resuming' : 'Running'} ${event.toRun} job(s) of ${event.total} at concurrency ${event.concurrency} in ${event.runDir}\n`,
          );
      } else if (event.type === 'job-start') {
        if (event.attempt === 1) running += 1;
        else if (!bar) terminal.err.write(`retry    ${event.tag} (attempt ${event.attempt})\n`);
      } else if (event.type === 'job-end') {
        done += 1;
        if (event.attempts > 0) running -= 1;
        if (event.status !== 'completed') notCompleted += 1;
        if (!bar) {
          const seconds = event.durationMs === null ? '' : ` (${(event.durationMs / 1000).toFixed(1)} s)`;
          const why = event.error === null ? '' : `: ${plainText(event.error.split('\n')[0] ?? '')}`;
          terminal.err.write(`[${done}/${total}] ${event.status.padEnd(9)} ${event.tag}${seconds}${why}\n`);
        }
      }
      draw();
    },
    stop: () => {
      if (ticker !== undefined) clearInterval(ticker);
      if (drawn) terminal.err.write(`\r\u001b[2K${line()}\n`);
      drawn = false;
    },
  };
}

function summaryLine(summary: BatchSummary): string {
  const counts = Object.entries(summary.byStatus)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  const forecast = summary.simulated ? ' (simulated)' : '';
  const unpriced = summary.unpricedJobs > 0 ? ` + ${summary.unpricedJobs} unpriced job(s)` : '';
  const estimated = summary.estimatedUsageJobs > 0 ? ` (${summary.estimatedUsageJobs} CLI job(s) estimated)` : '';
  const tokens = `${(summary.tokens.total / 1000).toFixed(1)}k tokens`;
  const wall = `${(summary.wallMs / 1000).toFixed(1)} s`;
  return `${summary.total} job(s): ${counts} · ${tokens}${estimated}${forecast} · $${summary.costUsd.toFixed(4)}${unpriced} · ${wall}`;
}

/** `agent-team batch run`: runs a batch (or resumes one) and prints its run directory. */
export async function batchRun(options: BatchRunCommandOptions): Promise<number> {
  const { terminal } = options;
  checkSources(options);
  // Everything that can refuse the input runs before the run directory exists.
  const loaded = options.resume === true ? undefined : await loadTasks(options);
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd });
  const resolveAgent = createAgentSpecResolver({ config, seed: 1, timeScale: 0 });
  const interrupt =
    options.signal === undefined
      ? interruptSignal(() => terminal.err.write('\nStopping: cancelling the jobs still running… (Ctrl-C again to quit at once)\n'))
      : undefined;
  const progress = options.json === true ? undefined : progressReporter(terminal);
  try {
    const result = await runBatch({
      ...(loaded === undefined
        ? { resumeDir: resolve(options.cwd, options.runDir ?? '') }
        : { tasks: loaded.tasks, source: loaded.source, runsDir: resolve(options.cwd, options.runDir ?? config.runsDir) }),
      concurrency: options.concurrency ?? BATCH_DEFAULTS.concurrency,
      timeoutSeconds: options.timeout ?? BATCH_DEFAULTS.timeoutSeconds,
      retries: options.retries ?? BATCH_DEFAULTS.retries,
      resolveAgent,
      signal: options.signal ?? interrupt?.signal,
      prices: priceTable(config.orchestrator.prices),
      onEvent: (event) => {
        // The path first, on stdout alone, so a caller can watch the run while it goes.
        if (event.type === 'batch-start' && options.json !== true) println(terminal, event.runDir);
        progress?.onEvent(event);
      },
    });
    progress?.stop();
    const allCompleted = result.summary.byStatus.completed === result.summary.total;
    if (options.json === true) {
      printJson(terminal, { runDir: result.runDir, interrupted: result.interrupted, summary: result.summary });
    } else {
      terminal.err.write(`${paint(terminal, allCompleted ? 'green' : 'yellow', summaryLine(result.summary))}\n`);
      if (!allCompleted) terminal.err.write(`Rerun what did not complete with: agent-team batch run --resume --run-dir ${result.runDir}\n`);
    }
    if (result.interrupted) return EXIT.interrupted;
    return allCompleted ? EXIT.ok : EXIT.failed;
  } finally {
    progress?.stop();
    interrupt?.dispose();
  }
}

/** Options of `agent-team batch collect`. */
export interface BatchCollectCommandOptions {
  runDir?: string | undefined;
  cwd: string;
  terminal: Terminal;
}

/** `agent-team batch collect`: writes combined.json and prints its path. */
export async function batchCollect(options: BatchCollectCommandOptions): Promise<number> {
  if (options.runDir === undefined) throw new UsageError('Missing --run-dir: the run directory that `agent-team batch run` printed.');
  println(options.terminal, await collectBatch(resolve(options.cwd, options.runDir)));
  return EXIT.ok;
}

/** Options of `agent-team batch status`. */
export interface BatchStatusCommandOptions {
  runDir?: string | undefined;
  watch?: boolean | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
  /** Time between two looks with --watch. */
  intervalMs?: number | undefined;
}

function statusLine(report: BatchStatusReport): string {
  const counts = Object.entries(report.byStatus)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  return `${report.status}: ${report.total} job(s): ${counts}`;
}

function printReport(terminal: Terminal, report: BatchStatusReport): void {
  println(terminal, paint(terminal, 'bold', `Batch ${report.runDir}`));
  println(terminal, `  ${statusLine(report)}`);
  for (const job of report.running) {
    const since = job.startedAt === null ? '' : `, ${((Date.now() - Date.parse(job.startedAt)) / 1000).toFixed(1)} s`;
    const gone = job.runnerAlive ? '' : paint(terminal, 'yellow', ' — its runner is gone; resume the batch to rerun it');
    println(terminal, `  running ${job.tag} (attempt ${job.attempt}${since})${gone}`);
  }
}

/** `agent-team batch status`: counts by status and the running jobs; --watch follows until the batch ends. */
export async function batchStatus(options: BatchStatusCommandOptions): Promise<number> {
  const { terminal } = options;
  if (options.runDir === undefined) throw new UsageError('Missing --run-dir: the run directory that `agent-team batch run` printed.');
  const runDir = resolve(options.cwd, options.runDir);
  let report = await readBatchStatus(runDir);
  if (options.watch !== true) {
    if (options.json === true) printJson(terminal, report);
    else printReport(terminal, report);
    return EXIT.ok;
  }
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  const signal = options.signal ?? (interrupt as { signal: AbortSignal }).signal;
  let last = '';
  try {
    for (;;) {
      const key = JSON.stringify({
        ...report.byStatus,
        running: report.running.map((job) => `${job.tag}:${job.attempt}`),
        status: report.status,
      });
      if (key !== last) {
        if (options.json === true) terminal.out.write(`${JSON.stringify(report)}\n`);
        else if (terminal.isTty) terminal.out.write(`\r\u001b[2K${statusLine(report)}`);
        else println(terminal, statusLine(report));
        last = key;
      }
      if (!report.active || signal.aborted) break;
      await sleep(options.intervalMs ?? 1000, undefined, { signal }).catch(() => undefined);
      report = await readBatchStatus(runDir);
    }
    if (options.json !== true && terminal.isTty) println(terminal);
    return signal.aborted ? EXIT.interrupted : EXIT.ok;
  } finally {
    interrupt?.dispose();
  }
}
