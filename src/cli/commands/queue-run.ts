import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { readInputFile } from '../../files/index.js';
import { plainText } from '../../observability/index.js';
import { parseRoleTaskList, runRoleTask, type AgentStatus, type RoleTaskEntry, type RoleTaskResult } from '../../solo/index.js';
import { totalTokens } from '../../providers/index.js';
import { WorkerQueue, type JobRecord } from '../../queue/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import {
  count,
  DEFAULT_PROJECT,
  errorMessage,
  openMemoryContext,
  recordAgentEnd,
  recordAgentStart,
  resolveAgent,
  rolePromptsDir,
} from './role-agent-setup.js';

/** Options of `agent-team queue run`. */
export interface QueueRunOptions {
  file: string;
  workers?: number | undefined;
  /** Seconds per agent; none by default. */
  timeout?: number | undefined;
  project?: string | undefined;
  agent?: string | undefined;
  config?: string | undefined;
  seed?: number | undefined;
  timeScale?: number | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  /** Supplied by tests and the server; the CLI uses Ctrl-C. */
  signal?: AbortSignal | undefined;
}

/** How one agent of the queue ended. */
interface AgentOutcome {
  id: string;
  role: string;
  directory: string;
  task: string;
  status: JobRecord<RoleTaskResult>['status'];
  attempts: number;
  durationMs: number | null;
  summary: string | null;
  saved: RoleTaskResult['saved'];
  tokens: number;
  error: string | null;
}

async function readAgentsFile(file: string): Promise<RoleTaskEntry[]> {
  const text = await readInputFile({
    file,
    what: 'the agents file',
    notFound: 'agents file not found',
    missingHint: 'Create one with: agent-team init-config -o agents.json',
  });
  return parseRoleTaskList(text, file);
}

function outcomeOf(entry: RoleTaskEntry & { id: string }, record: JobRecord<RoleTaskResult>): AgentOutcome {
  const result = record.status === 'completed' ? record.result : undefined;
  return {
    id: entry.id,
    role: entry.role,
    directory: entry.directory,
    task: entry.task,
    status: record.status,
    attempts: record.attempts,
    durationMs: record.startedAt === undefined || record.endedAt === undefined ? null : record.endedAt - record.startedAt,
    summary: result?.summary ?? null,
    saved: result?.saved ?? [],
    tokens: result === undefined ? 0 : totalTokens(result.usage),
    error: record.status === 'completed' ? null : errorMessage(record.error),
  };
}

function printTable(terminal: Terminal, outcomes: readonly AgentOutcome[]): void {
  const rows = outcomes.map((outcome) => [
    outcome.id,
    outcome.role,
    outcome.status,
    outcome.durationMs === null ? '-' : `${(outcome.durationMs / 1000).toFixed(1)} s`,
    String(outcome.saved.length),
    String(outcome.tokens),
    (outcome.summary ?? outcome.error ?? '').slice(0, 70),
  ]);
  const header = ['agent', 'role', 'status', 'time', 'saved', 'tokens', 'summary'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  println(terminal);
  println(terminal, paint(terminal, 'bold', line(header)));
  for (const row of rows) println(terminal, line(row));
}

/**
 * `agent-team queue run agents.json --workers N`: runs one role agent per entry on a
 * WorkerQueue; agents share the project's memory, so later ones build on earlier ones.
 * Exit 0 when every agent completed, 1 otherwise, 130 when interrupted.
 */
export async function queueRun(options: QueueRunOptions): Promise<number> {
  const { terminal } = options;
  const file = resolve(options.cwd, options.file);
  const entries = await readAgentsFile(file);
  const project = options.project ?? DEFAULT_PROJECT;
  const { config, projectDir, store } = openMemoryContext({ cwd: options.cwd, config: options.config });
  const agent = resolveAgent({ config, agent: options.agent, seed: options.seed, timeScale: options.timeScale });
  const promptsDir = rolePromptsDir(config);
  const workers = options.workers ?? 3;
  // Ids stay readable (code-1, review-2) and a short run tag keeps status files of earlier runs apart.
  const runTag = randomBytes(2).toString('hex');
  const jobs = entries.map((entry, index) => ({ ...entry, id: `${entry.role}-${index + 1}-${runTag}` }));
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const statuses = new Map<string, AgentStatus>();
  const live = options.json !== true;

  if (live)
    println(
      terminal,
      `Running ${jobs.length} agents on project "${project}" with ${workers} worker(s), agent ${agent.label}${agent.provider.simulated ? ' (simulated)' : ''}`,
    );
  const queue = new WorkerQueue<RoleTaskResult>({
    concurrency: workers,
    defaultTimeout: options.timeout === undefined ? 0 : options.timeout * 1000,
  });
  const interrupt =
    options.signal === undefined
      ? interruptSignal(() => terminal.err.write('\nStopping: cancelling the agents… (Ctrl-C again to quit at once)\n'))
      : undefined;
  const signal = options.signal ?? interrupt?.signal;
  const cancelAll = (): void => {
    for (const job of jobs) queue.cancel(job.id);
  };
  signal?.addEventListener('abort', cancelAll, { once: true });
  const outcomes: AgentOutcome[] = [];
  try {
    for (const job of jobs) {
      await queue.submit({
        id: job.id,
        run: async ({ signal: jobSignal }) => {
          if (live) println(terminal, `${paint(terminal, 'cyan', '▶')} ${job.id} started: ${plainText(job.task).slice(0, 80)}`);
          statuses.set(
            job.id,
            await recordAgentStart({ projectDir, id: job.id, role: job.role, directory: job.directory, task: job.task, project }),
          );
          return runRoleTask({
            role: job.role,
            directory: job.directory,
            task: job.task,
            project,
            agentId: job.id,
            provider: agent.provider,
            model: agent.model,
            promptsDir,
            store,
            signal: jobSignal,
          });
        },
      });
    }
    queue.close();
    if (signal?.aborted === true) cancelAll();
    for await (const record of queue.results()) {
      const job = byId.get(record.id);
      if (job === undefined) continue;
      const outcome = outcomeOf(job, record);
      outcomes.push(outcome);
      const status = statuses.get(job.id);
      if (status !== undefined) {
        await recordAgentEnd({
          projectDir,
          status,
          outcome: {
            status: record.status === 'pending' || record.status === 'running' ? 'failed' : record.status,
            summary: outcome.summary,
            saved: outcome.saved.length,
            error: outcome.error,
          },
          terminal,
        });
      }
      if (!live) continue;
      const mark = outcome.status === 'completed' ? paint(terminal, 'green', '✔') : paint(terminal, 'red', '✖');
      const detail =
        outcome.status === 'completed'
          ? `, saved ${count(outcome.saved.length, 'memory', 'memories')}`
          : `: ${plainText(outcome.error ?? 'no error recorded')}`;
      println(terminal, `${mark} ${job.id} ${outcome.status} in ${((outcome.durationMs ?? 0) / 1000).toFixed(1)} s${detail}`);
    }
  } finally {
    signal?.removeEventListener('abort', cancelAll);
    interrupt?.dispose();
  }
  // Completion order drove the live lines; the table and JSON follow agents.json.
  outcomes.sort((a, b) => jobs.findIndex((job) => job.id === a.id) - jobs.findIndex((job) => job.id === b.id));
  const completed = outcomes.filter((outcome) => outcome.status === 'completed').length;
  if (options.json === true) printJson(terminal, { project, agent: agent.label, workers, agents: outcomes });
  else {
    printTable(terminal, outcomes);
    println(terminal, `${completed}/${count(outcomes.length, 'agent')} completed; memories: agent-team findings --project ${project}`);
  }
  if (signal?.aborted === true) return EXIT.interrupted;
  return completed === outcomes.length ? EXIT.ok : EXIT.failed;
}
