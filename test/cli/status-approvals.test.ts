/** `status` and `ledger` show what waits for a person: pending approvals and a run flagged for review. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../src/config/index.js';
import { requestApproval } from '../../src/team/tasks/approval-request.js';
import { runCommand } from '../support/cli-in-process.js';
import { writeRunningState } from '../support/running-state.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject | undefined;

afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('status and ledger of a run waiting for a person', () => {
  it('list the pending approvals and the review flag', async () => {
    project = await tempProject('agent-team-status-approvals-');
    const config = loadTeamConfig({ cwd: project.dir });
    const store = await writeRunningState({ config, runId: 'waiting-run', feature: 'Invoices as PDF' });
    try {
      await store.update((draft, context) => {
        draft.run.execution = { mode: 'manual', checkpoints: ['after_plan'], slaSeconds: null };
        requestApproval({
          state: draft,
          kind: 'checkpoint',
          checkpoint: 'after_plan',
          question: 'Approve the plan of 0 task(s) so that work starts?',
          requestedBy: 'manager',
          now: context.now,
          emit: context.emit,
        });
        draft.run.review = { reason: 'tasks past their SLA 3 times: T2', at: context.now, taskIds: ['T2'] };
      });
    } finally {
      await store.close();
    }
    const status = await runCommand(['status'], { cwd: project.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Waiting for a person: 1 approval\(s\)\n {2}A1 \(checkpoint\): Approve the plan/m);
    expect(status.stdout).toMatch(/^Flagged for human review: tasks past their SLA 3 times: T2$/m);
    const json = JSON.parse((await runCommand(['status', '--json'], { cwd: project.dir })).stdout) as {
      pendingApprovals: { id: string; kind: string }[];
      review: { taskIds: string[] } | null;
    };
    expect(json.pendingApprovals.map((approval) => [approval.id, approval.kind])).toEqual([['A1', 'checkpoint']]);
    expect(json.review?.taskIds).toEqual(['T2']);
    const ledger = await runCommand(['ledger'], { cwd: project.dir });
    expect(ledger.stdout).toMatch(/waiting for approval A1 \(checkpoint\): Approve the plan/);
  });
});
