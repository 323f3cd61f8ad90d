/**
 * A 200-task sim run at time scale 0 with 8 role agents in one process: wall
 * time, state commits, and the orchestration overhead of each task transition.
 */
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { readEntries, type Entry } from '../support/ledger.js';
import { tempProject } from '../support/temp-project.js';
import { writeBenchTeam } from './bench-team.js';
import { quantile } from './percentiles.js';

/**
 * Per transition, the time the orchestration took once nothing else held it up:
 * a claim counts from when both the task was ready and its agent was free; a
 * report (done or blocked) counts from when its model call returned.
 */
function transitionLatencies(ledger: readonly Entry[]): { claims: number[]; reports: number[]; starts: number[] } {
  const at = (entry: Entry): number => Date.parse(entry.at);
  const taskReady = new Map<unknown, number>();
  const agentFree = new Map<unknown, number>();
  const lastCall = new Map<unknown, number>();
  const claims: number[] = [];
  const reports: number[] = [];
  // Claim to the model call settled: waking up, the prompt, the budget hold and the call itself (instant at scale 0).
  const starts: number[] = [];
  const claimedAt = new Map<unknown, number>();
  for (const entry of ledger) {
    switch (entry.type) {
      case 'task-ready':
        taskReady.set(entry['taskId'], at(entry));
        break;
      case 'blocker-resolve':
        taskReady.set(entry['taskId'], at(entry));
        break;
      case 'agent-start':
        agentFree.set(entry['agentId'], at(entry));
        break;
      case 'task-claim': {
        const enabled = Math.max(taskReady.get(entry['taskId']) ?? 0, agentFree.get(entry['agentId']) ?? 0);
        if (enabled > 0) claims.push(at(entry) - enabled);
        claimedAt.set(entry['taskId'], at(entry));
        break;
      }
      case 'model-call': {
        if (entry['agentId'] === 'manager') break;
        lastCall.set(entry['taskId'], at(entry));
        const claimed = claimedAt.get(entry['taskId']);
        if (claimed !== undefined) starts.push(at(entry) - claimed);
        claimedAt.delete(entry['taskId']);
        break;
      }
      case 'task-end':
      case 'blocker-raise': {
        const called = lastCall.get(entry['taskId']);
        if (called !== undefined && entry['agentId'] !== 'scheduler') reports.push(at(entry) - called);
        agentFree.set(entry['agentId'], at(entry));
        break;
      }
      default:
        break;
    }
  }
  return { claims, reports, starts };
}

/** Runs the benchmark and returns its figures. */
export async function benchTeamRun(options: { tasks?: number } = {}): Promise<Record<string, number>> {
  const tasks = options.tasks ?? 200;
  const project = await tempProject('agent-team-bench-run-');
  try {
    const configFile = await writeBenchTeam(project, { maxUsd: 1000 });
    const config = loadTeamConfig({ configPath: configFile, cwd: project.dir });
    const started = performance.now();
    const result = await runTeam({ config, feature: 'Add a large batch of independent improvements', planTasks: tasks, timeScale: 0 });
    const wallMs = performance.now() - started;
    const ledger = await readEntries(result.files.ledger);
    const first = ledger[0] as Entry;
    const last = ledger.at(-1) as Entry;
    const transitions = ledger.filter((entry) =>
      ['task-claim', 'task-end', 'blocker-raise', 'blocker-resolve', 'task-release'].includes(entry.type),
    ).length;
    const { claims, reports, starts } = transitionLatencies(ledger);
    const latencies = [...claims, ...reports];
    const figures = {
      run_tasks: result.summary.tasks.total,
      run_status_done: result.status === 'done' ? 1 : 0,
      run_wall_ms: Math.round(wallMs),
      run_commits: last.seq - first.seq + 1,
      run_transitions: transitions,
      run_model_calls: result.summary.calls,
      run_overhead_per_transition_ms: Number((wallMs / transitions).toFixed(2)),
      run_transition_p50_ms: quantile(latencies, 0.5),
      run_transition_p95_ms: quantile(latencies, 0.95),
      run_claim_p50_ms: quantile(claims, 0.5),
      run_claim_p95_ms: quantile(claims, 0.95),
      run_report_p50_ms: quantile(reports, 0.5),
      run_report_p95_ms: quantile(reports, 0.95),
      run_claim_to_call_p50_ms: quantile(starts, 0.5),
      run_claim_to_call_p95_ms: quantile(starts, 0.95),
    };
    console.log(`Sim run: ${figures.run_tasks} tasks, 8 role agents in one process, time scale 0 (${result.status})`);
    console.log(
      `  wall ${(wallMs / 1000).toFixed(2)} s, ${figures.run_commits} state commits, ${transitions} task transitions, ${figures.run_model_calls} model calls`,
    );
    console.log(`  overhead per transition: ${figures.run_overhead_per_transition_ms} ms amortized (wall / transitions)`);
    console.log(
      `  transition latency once unblocked: p50 ${figures.run_transition_p50_ms} ms, p95 ${figures.run_transition_p95_ms} ms   (target: median < 5 ms)`,
    );
    console.log(
      `    claims (task ready and agent free -> claimed): p50 ${figures.run_claim_p50_ms} ms, p95 ${figures.run_claim_p95_ms} ms`,
    );
    console.log(
      `    reports (model call returned -> done/blocked recorded): p50 ${figures.run_report_p50_ms} ms, p95 ${figures.run_report_p95_ms} ms`,
    );
    console.log(
      '  claim -> its model call settled (wake-up, prompt, budget hold, instant sim call): ' +
        `p50 ${figures.run_claim_to_call_p50_ms} ms, p95 ${figures.run_claim_to_call_p95_ms} ms`,
    );
    return figures;
  } finally {
    await project.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchTeamRun();
}
