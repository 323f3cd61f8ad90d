/**
 * What a task's transitions cost the PostgreSQL server does not grow with the run: an agent reserving budget for a
 * model call, then reporting the task done with the call's spend (its dependents made ready, its next task handed
 * to it), visits as many table rows on runs of 100, 400 and 1,600 tasks. Counted from the plans auto_explain logs
 * for every statement (those inside the store's functions too), so that a plan that scans the run's rows, which
 * would only show in time on a large run, fails here on any machine, however loaded. Which plan the server picks
 * depends on the tables' sizes, hence several sizes.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamConfig } from '../../src/config/index.js';
import { reserveBudget } from '../../src/cost/budget-book.js';
import { PostgresStore, type TeamState } from '../../src/state/index.js';
import { registerAgent } from '../../src/team/agents/agent-lifecycle.js';
import { callSettlement } from '../../src/team/agents/call-settlement.js';
import { startKey } from '../../src/team/agents/next-work.js';
import { nextStep, reportWork } from '../../src/team/agents/work-transitions.js';
import { type ClaimedTask, claimedTaskFromGrant } from '../../src/team/tasks/claim-task.js';
import { postgresForFile } from '../support/postgres.js';
import { createTeamProject, runningState, type TeamProject } from './conformance/team-setup.js';

const server = postgresForFile();
const AGENT = 'dev-1';
const SIZES = [100, 400, 1600] as const;
// Tasks done before the count starts (sessions opened, functions planned), then counted.
const WARM_UP = 6;
const COUNTED = 20;

let project: TeamProject;

beforeAll(async () => {
  project = await createTeamProject({ developers: [AGENT, 'dev-2'] });
});

afterAll(async () => {
  await project?.remove();
});

/**
 * A running run of `tasks` tasks: the first half ready, each of the others waiting for one of them; every fourth
 * task has a blocker, resolved, so that the run holds blockers in proportion too.
 */
function plannedRun(config: TeamConfig, tasks: number): TeamState {
  const state = runningState({ config, tasks });
  const half = tasks / 2;
  for (const [index, task] of state.tasks.entries()) {
    if (index < half) continue;
    task.dependsOn = [`T${index - half + 1}`];
    task.status = 'pending';
  }
  state.blockers = state.tasks
    .filter((_, index) => index % 4 === 3)
    .map((task) => ({
      id: `${task.id}-B1`,
      taskId: task.id,
      raisedBy: AGENT,
      kind: 'question' as const,
      question: 'Which table?',
      status: 'resolved' as const,
      resolution: 'The tasks table.',
      resolutionKind: 'answer' as const,
      resolvedBy: 'manager',
      resolver: 'manager' as const,
      raisedAt: '2026-01-02T03:05:00.000Z',
      resolvedAt: '2026-01-02T03:06:00.000Z',
    }));
  return state;
}

/** What auto_explain logs of a plan node (JSON format, with ANALYZE). */
interface ExplainNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: ExplainNode[];
}

/** The table rows a plan visited: what its scans returned or filtered out, over all their loops (EXPLAIN gives both per loop). */
function rowsVisited(node: ExplainNode): number {
  const own =
    node['Relation Name'] === undefined || node['Node Type'] === 'ModifyTable'
      ? 0
      : ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) *
        (node['Actual Loops'] ?? 1);
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsVisited(child), 0);
}

/** The plans auto_explain wrote to the server's log from byte `offset` on, each with its query's text. */
async function loggedPlans(logFile: string, offset: number): Promise<{ query: string; plan: ExplainNode }[]> {
  const text = (await readFile(logFile)).subarray(offset).toString('utf8');
  const plans: { query: string; plan: ExplainNode }[] = [];
  // An entry: "<time> [pid] LOG:  duration: 0.012 ms  plan:", then the plan's JSON, each line indented by a tab.
  for (const entry of text.split(/\n(?=\d{4}-\d\d-\d\d )/)) {
    const start = entry.indexOf('  plan:\n');
    if (start < 0) continue;
    const json = entry
      .slice(start + '  plan:\n'.length)
      .split('\n')
      .map((line) => line.replace(/^\t/, ''))
      .join('\n');
    const parsed = JSON.parse(json) as { 'Query Text': string; Plan: ExplainNode };
    plans.push({ query: parsed['Query Text'].replace(/\s+/g, ' ').trim(), plan: parsed.Plan });
  }
  return plans;
}

/** An agent taking its next task (handed to it, or claimed), reserving budget for a model call and reporting the task done with the call's spend. */
function worker(store: PostgresStore, tasks: number): () => Promise<void> {
  const { config } = project;
  const started = new Set<string>();
  const handed: ClaimedTask[] = [];
  return async () => {
    let claimed = handed.shift();
    if (claimed === undefined) {
      const step = await nextStep({ store, config, agentId: AGENT, started, iterations: 0, maxIterations: 1_000_000, busy: 0 });
      if (step.kind !== 'start') throw new Error(`${AGENT} found nothing to do (${step.kind}) on a run of ${tasks} tasks`);
      [claimed] = step.tasks;
      handed.push(...step.tasks.slice(1));
    }
    if (claimed === undefined) throw new Error('a start with no task');
    const { task } = claimed;
    started.add(startKey(task));
    const reservationId = `call-${task.id}`;
    await store.update((state) => {
      const reserved = reserveBudget({
        book: state.budget,
        reservationId,
        agentId: AGENT,
        agentSpent: { usd: 0, tokens: 0 },
        usd: 0.02,
        tokens: 400,
      });
      if (!reserved.ok) throw new Error(reserved.detail);
    });
    const usage = { inputTokens: 200, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const settle = callSettlement({
      agentId: AGENT,
      reservationId,
      usage,
      costUsd: 0.01,
      tokens: 300,
      event: {
        type: 'model-call',
        agentId: AGENT,
        taskId: task.id,
        purpose: 'work',
        provider: 'sim',
        model: 'claude-sonnet-4-5',
        usage,
        costUsd: 0.01,
        latencyMs: 5,
        simulated: true,
        repair: false,
      },
    });
    const report = { status: 'done' as const, summary: `Did ${task.id}.`, filesChanged: [] };
    const grants = await reportWork({ store, config, agentId: AGENT, task, report, settle });
    // Made by the server's transition, not by an update() of the whole state.
    expect(grants, `the report of ${task.id}`).toBeDefined();
    handed.push(...(grants ?? []).map((grant) => claimedTaskFromGrant({ config, agentId: AGENT, grant })));
  };
}

/** Per task done on a run of `tasks` tasks: the table rows its database's statements visited, and the statements. */
async function rowsPerTask(tasks: number): Promise<{ rows: number; statements: number; top: string }> {
  const cluster = await server();
  const url = await cluster.createDatabase();
  const database = new URL(url).pathname.slice(1);
  // Every session of this database logs each statement's plan, with the rows it visited.
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query("LOAD 'auto_explain'");
    for (const setting of [
      'log_min_duration = 0',
      'log_nested_statements = on',
      'log_analyze = on',
      'log_timing = off',
      "log_format = 'json'",
    ]) {
      await admin.query(`ALTER DATABASE "${database}" SET auto_explain.${setting}`);
    }
    await admin.query(`ALTER DATABASE "${database}" SET session_preload_libraries = 'auto_explain'`);
  } finally {
    await admin.end();
  }
  const initial = plannedRun(project.config, tasks);
  const store = new PostgresStore({ url, run: 'pages', initial: () => structuredClone(initial) });
  try {
    await registerAgent({ store, config: project.config, agentId: AGENT });
    const finish = worker(store, tasks);
    for (let index = 0; index < WARM_UP; index += 1) await finish();
    const logFile = join(cluster.directory, 'server.log');
    const offset = (await stat(logFile)).size;
    for (let index = 0; index < COUNTED; index += 1) await finish();
    const plans = await loggedPlans(logFile, offset);
    const byQuery = new Map<string, number>();
    for (const { query, plan } of plans) byQuery.set(query, (byQuery.get(query) ?? 0) + rowsVisited(plan));
    const [topQuery, topRows] = [...byQuery].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    return {
      rows: [...byQuery.values()].reduce((sum, rows) => sum + rows, 0) / COUNTED,
      statements: plans.length / COUNTED,
      top: `${topRows / COUNTED} rows per task: ${topQuery.slice(0, 200)}`,
    };
  } finally {
    await store.close();
  }
}

describe('PostgreSQL transitions', () => {
  it(`visit as many table rows per task on runs of ${SIZES.join(', ')} tasks`, async () => {
    const counts = [];
    for (const tasks of SIZES) counts.push({ tasks, ...(await rowsPerTask(tasks)) });
    const where = counts
      .map((count) => `${count.tasks} tasks: ${count.rows} rows, ${count.statements} statements per task; most: ${count.top}`)
      .join('\n');
    const fewest = Math.min(...counts.map((count) => count.rows));
    for (const count of counts) expect(count.rows, where).toBeLessThanOrEqual(fewest * 1.1);
  });
});
