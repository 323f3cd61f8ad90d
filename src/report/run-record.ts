import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TeamConfig } from '../config/index.js';
import { costOf, priceOf, priceTable } from '../cost/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import { writeFileAtomic } from '../files/index.js';
import { replayModelSchedule } from './model-schedule.js';
import { svgDiagram } from './plan-diagram.js';
import { renderReport } from './report-markdown.js';
import { costChart, timelineChart } from './run-charts.js';
import { describeDesign } from './run-design.js';
import { summarizeRun, type RunSummary } from './summary.js';

/** The files a run leaves in `.agent-runs/<run-id>/`. */
export interface RunFiles {
  dir: string;
  state: string;
  ledger: string;
  summary: string;
  report: string;
  agents: string;
  /** SVG pictures beside the report: the plan, the timeline and the cost by agent. */
  plan: string;
  timeline: string;
  cost: string;
}

/** Paths of a run's directory. */
export function runFiles(runDir: string): RunFiles {
  return {
    dir: runDir,
    state: join(runDir, 'team-communication.json'),
    ledger: join(runDir, 'run_ledger.jsonl'),
    summary: join(runDir, 'summary.json'),
    report: join(runDir, 'report.md'),
    agents: join(runDir, 'agents'),
    plan: join(runDir, 'plan.svg'),
    timeline: join(runDir, 'timeline.svg'),
    cost: join(runDir, 'cost-by-agent.svg'),
  };
}

/** Creates the run directory and its `agents/` folder. */
export async function createRunDirectory(runDir: string): Promise<void> {
  await mkdir(join(runDir, 'agents'), { recursive: true });
}

/**
 * Writes the run's record into `dir` (default: the run's directory): the state and ledger as they are
 * now (`team-communication.json` and `run_ledger.jsonl`, whichever store holds them live), the summary
 * computed from the ledger, and the report. Called at the end of every run, interrupted ones included,
 * so the directory always shows the latest; and by `agent-team export`.
 */
export async function writeRunRecord(input: {
  config: TeamConfig;
  state: TeamState;
  ledger: readonly LedgerEntry<LedgerEvent>[];
  dir?: string | undefined;
}): Promise<{ files: RunFiles; summary: RunSummary }> {
  const { ledger } = input;
  const files = runFiles(input.dir ?? input.state.run.options.runDir);
  await createRunDirectory(files.dir);
  await writeFileAtomic(files.state, `${JSON.stringify(input.state, null, 2)}\n`);
  await writeFileAtomic(files.ledger, ledger.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  const prices = priceTable(input.config.orchestrator.prices);
  const summary = summarizeRun(
    input.state,
    ledger,
    (call) => {
      const member = input.config.roster.find((candidate) => candidate.id === call.agentId);
      const tiers = member?.roleConfig.tiers ?? input.config.agentsConfig.tiers;
      try {
        return costOf(call.usage, priceOf(tiers.complex, prices));
      } catch {
        return call.costUsd; // an unpriced top tier: count the call as it was
      }
    },
    describeDesign(input.config, input.state.run.options),
  );
  await writeFileAtomic(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
  const schedule = replayModelSchedule({
    ledger,
    dependencies: new Map(input.state.tasks.map((task) => [task.id, task.dependsOn])),
    capacities: new Map(Object.values(input.state.agents).map((agent) => [agent.id, agent.maxConcurrentTasks])),
  });
  await writeFileAtomic(files.plan, svgDiagram(input.state));
  await writeFileAtomic(
    files.timeline,
    timelineChart({ spans: schedule.spans, makespanMs: schedule.makespanMs, title: `Timeline of run ${summary.runId} (model time)` }),
  );
  await writeFileAtomic(
    files.cost,
    costChart({ lines: summary.byAgent, title: `Cost by agent, run ${summary.runId} ($${summary.costUsd.toFixed(4)})` }),
  );
  const pictures = [
    { file: 'plan.svg', alt: 'The plan: tasks by status, the critical path in red' },
    { file: 'timeline.svg', alt: 'Timeline: what each agent did when, in model time' },
    { file: 'cost-by-agent.svg', alt: 'Cost by agent' },
  ];
  await writeFileAtomic(files.report, renderReport(input.state, summary, pictures));
  return { files, summary };
}
