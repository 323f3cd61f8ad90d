/**
 * A manual run in process: the coordinator asks at checkpoints as the run reaches them, holds the
 * manager's resolutions for approval, and spends nothing while a person decides.
 */
import { describe, expect, it } from 'vitest';
import type { TeamState } from '../../../src/state/index.js';
import { decideApproval } from '../../../src/team/tasks/approval-decision.js';
import { resolveBlockerByPerson } from '../../../src/team/tasks/person-resolution.js';
import {
  answers,
  eventsOf,
  plannedTask,
  readTeamLedger,
  runTeamInProcess,
  seedPlan,
  type TeamFixture,
  useScriptedTeams,
  waitForState,
} from '../../support/team-fixture.js';

const setup = useScriptedTeams();

async function manual(fixture: TeamFixture, checkpoints: string[]): Promise<void> {
  await fixture.store.update((draft) => {
    draft.run.execution = { mode: 'manual', checkpoints, slaSeconds: null };
  });
}

async function decide(fixture: TeamFixture, approvalId: string, decision: 'approve' | 'reject', note?: string): Promise<void> {
  await fixture.store.update((draft, context) => {
    decideApproval({
      state: draft,
      approvalId,
      decision: { decision, note, by: 'ann' },
      managerId: 'manager',
      now: context.now,
      emit: context.emit,
    });
  });
  fixture.wake.notify();
}

const pending = (id: string) => (state: TeamState) =>
  state.run.approvals.some((approval) => approval.id === id && approval.status === 'pending');

describe('a manual run', () => {
  it("waits at its checkpoints and before applying the manager's resolution, idle and holding no budget", async () => {
    const { provider, fixture } = await setup({ status: 'running' });
    await seedPlan(fixture, [
      plannedTask({ id: 'T1', role: 'backend_developer' }),
      plannedTask({ id: 'T2', role: 'frontend_developer', dependsOn: ['T1'] }),
    ]);
    await manual(fixture, ['after_plan', 'before:T2', 'before_integration']);
    provider.enqueueFor({ taskId: 'T1', purpose: 'work' }, answers.blocked('Which database?'), answers.done('T1 done'));
    provider.enqueueFor({ purpose: 'resolve' }, answers.answer('Use SQLite.'));
    provider.enqueueFor({ taskId: 'T2', purpose: 'work' }, answers.done('T2 done'));
    provider.enqueueFor({ purpose: 'integrate' }, answers.integration('All done.'));
    const run = runTeamInProcess(fixture);

    const atPlan = await waitForState(fixture, pending('A1'));
    expect(atPlan.run.approvals[0]).toMatchObject({ kind: 'checkpoint', checkpoint: 'after_plan' });
    expect(atPlan.tasks.map((task) => task.status)).toEqual(['ready', 'pending']);
    expect(provider.calls).toHaveLength(0);
    await decide(fixture, 'A1', 'approve');

    // The manager's answer waits: the blocker, its approval, no hold on the budget.
    const atResolution = await waitForState(fixture, pending('A2'));
    expect(atResolution.run.approvals[1]).toMatchObject({
      kind: 'resolution',
      blockerId: 'T1-B1',
      proposal: { kind: 'answer', answer: 'Use SQLite.' },
    });
    expect(atResolution.blockers[0]?.status).toBe('awaiting_approval');
    expect(atResolution.tasks[0]?.status).toBe('blocked');
    expect(atResolution.budget.reservations).toEqual({});
    const callsWhileWaiting = provider.calls.length;
    await decide(fixture, 'A2', 'approve');

    const atTask = await waitForState(fixture, pending('A3'));
    expect(atTask.run.approvals[2]).toMatchObject({ kind: 'checkpoint', checkpoint: 'before:T2' });
    expect(atTask.tasks.map((task) => task.status)).toEqual(['done', 'ready']);
    expect(provider.calls.length).toBe(callsWhileWaiting + 1);
    await decide(fixture, 'A3', 'approve');

    await waitForState(fixture, pending('A4'));
    expect((await fixture.store.read()).run.status).toBe('running');
    await decide(fixture, 'A4', 'approve');

    const outcome = await run;
    expect(outcome.state.run.status).toBe('done');
    provider.assertComplete();
    const ledger = await readTeamLedger(fixture);
    expect(eventsOf(ledger, 'blocker-resolve')).toMatchObject([
      { blockerId: 'T1-B1', resolver: 'manager', by: 'ann', resolution: 'Use SQLite.' },
    ]);
    expect(eventsOf(ledger, 'approval-request').map((event) => event.approvalId)).toEqual(['A1', 'A2', 'A3', 'A4']);
    // Each wait comes before what it guards.
    const at = (predicate: (entry: (typeof ledger)[number]) => boolean): number => ledger.findIndex(predicate);
    expect(at((entry) => entry.type === 'approval-decide' && entry.approvalId === 'A1')).toBeLessThan(
      at((entry) => entry.type === 'task-claim' && entry.taskId === 'T1'),
    );
    expect(at((entry) => entry.type === 'approval-decide' && entry.approvalId === 'A3')).toBeLessThan(
      at((entry) => entry.type === 'task-claim' && entry.taskId === 'T2'),
    );
    expect(at((entry) => entry.type === 'approval-decide' && entry.approvalId === 'A4')).toBeLessThan(
      at((entry) => entry.type === 'model-call' && entry.purpose === 'integrate'),
    );
  });

  it('a rejected before_integration fails the run without the integration call', async () => {
    const { provider, fixture } = await setup({ status: 'running' });
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);
    await manual(fixture, ['before_integration']);
    provider.enqueueFor({ taskId: 'T1', purpose: 'work' }, answers.done('T1 done'));
    const run = runTeamInProcess(fixture);
    await waitForState(fixture, pending('A1'));
    await decide(fixture, 'A1', 'reject', 'not this release');
    const outcome = await run;
    expect(outcome.state.run.status).toBe('failed');
    expect(outcome.state.run.endReason).toBe('rejected at checkpoint before_integration by ann: not this release');
    provider.assertComplete();
  });

  it("a person's answer to a blocker reaches the blocked agent with the next attempt, said as the person's", async () => {
    const { provider, fixture } = await setup({ status: 'running' });
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);
    await manual(fixture, []);
    provider.enqueueFor({ taskId: 'T1', purpose: 'work' }, answers.blocked('Which database?'), answers.done('T1 done'));
    provider.enqueueFor({ purpose: 'resolve' }, answers.answer('Use SQLite.'));
    provider.enqueueFor({ purpose: 'integrate' }, answers.integration('All done.'));
    const run = runTeamInProcess(fixture);
    await waitForState(fixture, pending('A1'));
    await fixture.store.update((draft, context) =>
      resolveBlockerByPerson({
        state: draft,
        blockerId: 'T1-B1',
        resolution: 'Use PostgreSQL 16.',
        by: 'ann',
        managerId: 'manager',
        now: context.now,
        emit: context.emit,
      }),
    );
    fixture.wake.notify();
    const outcome = await run;
    expect(outcome.state.run.status).toBe('done');
    expect(outcome.state.run.approvals).toMatchObject([{ id: 'A1', status: 'withdrawn' }]);
    provider.assertComplete();
    const work = provider.callsFor({ purpose: 'work' });
    const resumed = work[1]?.messages.at(-1)?.content ?? '';
    expect(resumed).toContain('You asked: Which database?');
    expect(resumed).toContain('A person (ann) decided: Use PostgreSQL 16.');
    expect(resumed).not.toContain('Use SQLite.');
  });
});
