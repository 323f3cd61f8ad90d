import { loadTeamConfig } from '../../config/index.js';
import { abandonedBecause, describeOwner, ownerLiveness, withTeamStore } from '../../team/index.js';
import { totalTokens } from '../../providers/index.js';
import { plainStrings } from '../../observability/index.js';
import type { TeamState } from '../../state/index.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { storeChoice } from '../store-option.js';

/** Options of `agent-team status`. */
export interface StatusCommandOptions {
  /** `--store`: the file store or a PostgreSQL URL (default: AGENT_TEAM_STORE, else the file store). */
  store?: string | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** Who runs the run now: its live owner, or why nobody does although it says it is live. */
export function ownership(state: TeamState, now = new Date()): { owner: string | null; live: boolean; abandoned: string | null } {
  const owner = state.run.owner;
  const abandoned = abandonedBecause(state, now);
  return {
    owner: owner === null ? null : describeOwner(owner),
    live: owner !== null && ownerLiveness(owner, now).live,
    abandoned: abandoned === null ? null : `${abandoned}; the run can be resumed with agent-team run --resume`,
  };
}

/** A compact view of the state for people and machines. */
export function describeState(state: TeamState): Record<string, unknown> {
  const byStatus: Record<string, string[]> = {};
  for (const task of state.tasks) {
    byStatus[task.status] ??= [];
    byStatus[task.status]?.push(task.id);
  }
  return {
    run: {
      id: state.run.id,
      feature: state.run.feature,
      status: state.run.status,
      simulated: state.run.simulated,
      endReason: state.run.endReason,
      seq: state.seq,
      ...ownership(state),
    },
    tasks: byStatus,
    agents: Object.values(state.agents).map((agent) => ({
      id: agent.id,
      role: agent.role,
      status: agent.status,
      activeTasks: agent.activeTasks,
      calls: agent.calls,
      tokens: totalTokens(agent.usage),
      costUsd: agent.costUsd,
      heartbeatAt: agent.heartbeatAt,
      pid: agent.pid,
      host: agent.host ?? null,
    })),
    openBlockers: state.blockers.filter((blocker) => blocker.status !== 'resolved'),
    pendingApprovals: state.run.approvals.filter((approval) => approval.status === 'pending'),
    review: state.run.review,
    budget: {
      limitUsd: state.budget.limitUsd,
      spentUsd: state.budget.spentUsd,
      reservedUsd: state.budget.reservedUsd,
      spentTokens: state.budget.spentTokens,
    },
    workspace:
      state.run.options.workspace === null
        ? null
        : {
            repo: state.run.options.workspace,
            integrationBranch: `agent-team/${state.run.id}/integration`,
            branches: state.tasks
              .filter((task) => task.branch !== null || task.wip !== null || task.gates.length > 0)
              .map((task) => ({
                taskId: task.id,
                status: task.status,
                branch: task.branch,
                merge: task.merge,
                wip: task.wip,
                failedGates: task.gates.filter((gate) => !gate.passed),
              })),
          },
  };
}

/** `agent-team status`: the live state file: tasks by status, agents, open blockers. */
export async function status(options: StatusCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const state = await withTeamStore(config, (store) => store.read());
  if (options.json === true) {
    printJson(terminal, describeState(state));
    return 0;
  }
  return printState(terminal, plainStrings(state));
}

/** The human view; `state` holds model text (blocker questions, reasons) already made plain. */
function printState(terminal: Terminal, state: TeamState): number {
  println(terminal, paint(terminal, 'bold', `Run ${state.run.id}: ${state.run.status}${state.run.simulated ? ' (simulated)' : ''}`));
  println(terminal, `  feature: ${state.run.feature}`);
  if (state.run.endReason !== null) println(terminal, `  ${state.run.endReason}`);
  const owned = ownership(state);
  if (owned.abandoned !== null) println(terminal, paint(terminal, 'yellow', `  ${owned.abandoned}`));
  else if (owned.live && owned.owner !== null) println(terminal, `  owner: ${owned.owner}`);
  println(terminal);
  println(terminal, paint(terminal, 'bold', 'Tasks'));
  const order = ['in_progress', 'blocked', 'ready', 'pending', 'review', 'done', 'failed', 'cancelled'] as const;
  for (const taskStatus of order) {
    const tasks = state.tasks.filter((task) => task.status === taskStatus);
    if (tasks.length === 0) continue;
    const holders = tasks.map((task) => (task.assignee === null ? task.id : `${task.id}@${task.assignee}`)).join(' ');
    println(terminal, `  ${taskStatus.padEnd(12)} ${String(tasks.length).padStart(3)}  ${holders}`);
  }
  println(terminal);
  println(terminal, paint(terminal, 'bold', 'Agents'));
  for (const agent of Object.values(state.agents)) {
    const active = agent.activeTasks.length === 0 ? '' : ` on ${agent.activeTasks.join(', ')}`;
    const stopped = agent.stopReason === null ? '' : ` (${agent.stopReason})`;
    const where =
      agent.status === 'stopped' || agent.pid === null || agent.host === undefined || agent.host === null
        ? ''
        : ` [pid ${agent.pid} on ${agent.host}]`;
    println(
      terminal,
      `  ${agent.id.padEnd(16)} ${agent.role.padEnd(20)} ${agent.status.padEnd(8)} ${String(agent.calls).padStart(4)} calls  ` +
        `${String(totalTokens(agent.usage)).padStart(8)} tokens  $${agent.costUsd.toFixed(4)}${active}${stopped}${where}`,
    );
  }
  if (state.run.options.workspace !== null) {
    println(terminal);
    println(
      terminal,
      `${paint(terminal, 'bold', `Workspace ${state.run.options.workspace}`)} (integration branch agent-team/${state.run.id}/integration)`,
    );
    for (const task of state.tasks) {
      if (task.branch === null && task.wip === null) continue;
      const failed = task.gates.filter((gate) => !gate.passed).map((gate) => `${gate.name} failed (round ${gate.round})`);
      const notes = [
        task.merge ?? (task.status === 'review' ? 'at its gates or waiting for its merge' : task.status),
        ...failed,
        ...(task.wip === null ? [] : [`partial work on ${task.wip}`]),
      ];
      println(terminal, `  ${task.id.padEnd(8)} ${notes.join('; ')}`);
    }
  }
  const open = state.blockers.filter((blocker) => blocker.status !== 'resolved');
  println(terminal);
  println(terminal, paint(terminal, 'bold', `Open blockers: ${open.length}`));
  for (const blocker of open)
    println(terminal, `  ${blocker.id} on ${blocker.taskId} by ${blocker.raisedBy} [${blocker.status}]: ${blocker.question}`);
  const pending = state.run.approvals.filter((approval) => approval.status === 'pending');
  if (pending.length > 0) {
    println(terminal);
    println(terminal, paint(terminal, 'yellow', `Waiting for a person: ${pending.length} approval(s)`));
    for (const approval of pending) println(terminal, `  ${approval.id} (${approval.kind}): ${approval.question}`);
  }
  if (state.run.review !== null) println(terminal, paint(terminal, 'red', `Flagged for human review: ${state.run.review.reason}`));
  println(terminal);
  const limit = state.budget.limitUsd === null ? 'no limit' : `of $${state.budget.limitUsd}`;
  println(
    terminal,
    `Budget: $${state.budget.spentUsd.toFixed(4)} spent ${limit}${state.budget.reservedUsd > 0 ? `, $${state.budget.reservedUsd.toFixed(4)} reserved` : ''}`,
  );
  return 0;
}
