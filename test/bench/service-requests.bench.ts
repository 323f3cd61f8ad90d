/**
 * The service under load: `agent-team serve` as its own process (the built CLI, file store, the built-in
 * sim team at time scale 0) and N clients at once, each submitting one task (POST /orchestrate, the same
 * body twice at the same moment to exercise idempotency) and executing it (POST /execute, twice as
 * well). While the runs go, pollers call GET /tasks/{id} and time each answer. Checked at the end, from
 * the answers and from each task's ledger: every task answered once planned and reached `completed`
 * (0 lost), each was planned once and each subtask finished once (0 duplicated).
 *
 * Run: npx tsx test/bench/service-requests.bench.ts [--tasks 200]
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { BIN, ensureBuilt } from '../support/cli.js';
import { tempProject } from '../support/temp-project.js';
import { quantile } from './percentiles.js';

const TOKEN = 'bench-token-0123456789abcdef';
const POLLERS = 8;
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

interface ServeProcess {
  url: string;
  stop(): Promise<void>;
}

async function startServe(cwd: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--time-scale', '0', '--json'], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', AGENT_TEAM_API_TOKEN: TOKEN, AGENT_TEAM_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((text) => text.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    void closed.then(() => reject(new Error(`agent-team serve ended before listening:\n${stderr}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** Runs the benchmark and returns its figures. */
export async function benchServiceRequests(input: { tasks?: number } = {}): Promise<Record<string, number>> {
  const count = input.tasks ?? 200;
  ensureBuilt();
  const project = await tempProject('agent-team-bench-service-');
  const serve = await startServe(project.dir);
  const call = (path: string, body?: unknown): Promise<Response> =>
    fetch(`${serve.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  try {
    const ids = Array.from({ length: count }, (_, index) => `bench-${String(index + 1).padStart(4, '0')}`);
    const body = (taskId: string) => ({
      task_id: taskId,
      title: 'Add CSV export to the reports page',
      description: 'Users download any report as CSV, with the filters they chose, and the export is covered by tests.',
      priority: 'medium',
      metadata: { requester: 'bench', due_date: '2099-01-01' },
    });
    const failures: string[] = [];
    const latencies: number[] = [];
    const started = performance.now();
    let submitting = true;
    const finished = new Set<string>();
    const statuses = new Map<string, string>();

    const submit = async (taskId: string): Promise<void> => {
      const plans = await Promise.all([call('/orchestrate', body(taskId)), call('/orchestrate', body(taskId))]);
      const answers = (await Promise.all(plans.map((response) => response.json()))) as { status?: string; subtasks?: unknown[] }[];
      if (plans.some((response) => response.status !== 200 && response.status !== 201))
        failures.push(`${taskId}: /orchestrate answered ${plans.map((response) => response.status).join(', ')}`);
      if (JSON.stringify(answers[0]?.subtasks) !== JSON.stringify(answers[1]?.subtasks))
        failures.push(`${taskId}: two identical submissions answered different plans`);
      const runs = await Promise.all([call(`/execute/${taskId}`, {}), call(`/execute/${taskId}`, {})]);
      await Promise.all(runs.map((response) => response.arrayBuffer()));
      if (runs.some((response) => response.status !== 202 && response.status !== 200))
        failures.push(`${taskId}: /execute answered ${runs.map((response) => response.status).join(', ')}`);
    };

    // Each poller reads its share of the tasks round robin, timing each answer, until all of them are finished.
    const poll = async (offset: number): Promise<void> => {
      const mine = ids.filter((_, index) => index % POLLERS === offset);
      let index = 0;
      while (mine.some((taskId) => !finished.has(taskId))) {
        const taskId = mine[index % mine.length] as string;
        index += 1;
        if (finished.has(taskId)) continue;
        const before = performance.now();
        const response = await call(`/tasks/${taskId}`);
        const view = (await response.json()) as { status?: string };
        latencies.push(performance.now() - before);
        if (response.status === 200 && view.status !== undefined) {
          statuses.set(taskId, view.status);
          if (!submitting && TERMINAL.has(view.status)) finished.add(taskId);
        }
        if (performance.now() - started > 20 * 60_000) throw new Error(`not finished after 20 minutes: ${finished.size}/${count}`);
      }
    };
    const pollers = Array.from({ length: POLLERS }, (_, offset) => poll(offset));
    await Promise.all(ids.map(submit));
    submitting = false;
    await Promise.all(pollers);
    const wallMs = performance.now() - started;

    // From the ledgers: one plan per task, each subtask finished once.
    let duplicated = 0;
    let lost = 0;
    for (const taskId of ids) {
      if (statuses.get(taskId) !== 'completed') {
        lost += 1;
        failures.push(`${taskId}: ended ${statuses.get(taskId) ?? 'unknown'}`);
        continue;
      }
      const text = await readFile(join(project.dir, '.agent-team-server', 'tasks', taskId, 'run_ledger.jsonl'), 'utf8');
      const events = text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as { type: string; taskId?: string; status?: string });
      const plans = events.filter((event) => event.type === 'plan-create').length;
      const ends = events.filter((event) => event.type === 'task-end' && event.status === 'done').map((event) => event.taskId);
      if (plans !== 1 || new Set(ends).size !== ends.length) {
        duplicated += 1;
        failures.push(`${taskId}: ${plans} plans, ${ends.length} subtask ends for ${new Set(ends).size} subtasks`);
      }
    }
    const figures = {
      service_requests_tasks: count,
      service_requests_lost: lost,
      service_requests_duplicated: duplicated,
      service_requests_get_p50_ms: quantile(latencies, 0.5),
      service_requests_get_p95_ms: quantile(latencies, 0.95),
      service_requests_wall_s: wallMs / 1000,
    };
    console.log(`Service under load: ${count} tasks submitted and executed at once (each request sent twice), ${POLLERS} pollers`);
    console.log(`  lost: ${lost}, duplicated: ${duplicated} (target: 0 and 0)`);
    console.log(
      `  GET /tasks/{id}: p50 ${figures.service_requests_get_p50_ms.toFixed(1)} ms, p95 ${figures.service_requests_get_p95_ms.toFixed(1)} ms` +
        ` over ${latencies.length} requests; every task completed in ${(wallMs / 1000).toFixed(1)} s`,
    );
    if (failures.length > 0) throw new Error(`service bench: ${failures.length} failures:\n${failures.slice(0, 20).join('\n')}`);
    return figures;
  } finally {
    await serve.stop();
    await project.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--tasks');
  await benchServiceRequests({ tasks: at === -1 ? undefined : Number(process.argv[at + 1]) });
}
