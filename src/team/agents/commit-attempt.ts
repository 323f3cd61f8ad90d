import type { Task } from '../../state/index.js';
import type { WorkReport } from '../tasks/answer-schemas.js';
import { claimIsCurrent } from '../tasks/report-result.js';
import { normalizeOutput } from '../tasks/work-context.js';
import type { AgentSession } from './agent-session.js';
import { applyAgentReport } from './apply-report.js';
import { gatesFor } from './gate-review.js';
import type { TaskWorkspace } from './task-workspace.js';
import { taskById } from '../tasks/task-lookup.js';

/**
 * Ends an attempt in a worktree: a done task's changes are committed on its branch
 * and the task goes to review (its gates, then the merge) with the files git says
 * changed; any other report is applied as it is. The worktree's status says how it ended.
 */
export async function commitAttempt(input: {
  session: AgentSession;
  task: Task;
  taskWorkspace: TaskWorkspace;
  report: WorkReport;
}): Promise<void> {
  const { session, task, taskWorkspace, report } = input;
  const { store, config, wake } = session.context;
  const { agentId } = session;
  const committed = report.status === 'done' ? await taskWorkspace.commit(`${task.title}`) : undefined;
  const gates =
    committed === undefined ? [] : gatesFor(config.orchestrator.workspace.gates, task, committed.files).map((gate) => gate.name);
  await store.update((draft, context) => {
    if (!claimIsCurrent({ state: draft, agentId, taskId: task.id, fence: task.fence, emit: context.emit })) return;
    // What changed is what git says, not what the model claims.
    const finalReport = committed === undefined || report.status !== 'done' ? report : { ...report, filesChanged: committed.files };
    const live = taskById(draft.tasks, task.id);
    if (live !== undefined && committed !== undefined) {
      live.branch = taskWorkspace.branch;
      live.commit = committed.commit ?? live.commit;
      context.emit({
        type: 'task-commit',
        agentId,
        taskId: task.id,
        branch: taskWorkspace.branch,
        commit: committed.commit,
        files: committed.files,
      });
    }
    applyAgentReport({
      state: draft,
      context,
      config,
      agentId,
      taskId: task.id,
      report: finalReport,
      normalized: normalizeOutput(report),
      review: committed === undefined ? undefined : gates,
    });
  });
  session.openWorktrees.delete(task.id);
  if (committed !== undefined)
    await taskWorkspace.status({ status: 'done', progress: 100, filesChanged: committed.files, commit: committed.commit });
  else await taskWorkspace.status({ status: 'working', progress: 0 });
  wake.notify();
}
