import { describe, expect, it } from 'vitest';
import { claimTask } from '../../../src/team/tasks/claim-task.js';
import { releaseTask } from '../../../src/team/tasks/report-result.js';
import {
  answers,
  DEFAULT_ROSTER,
  eventsOf,
  plannedTask,
  readTeamLedger,
  runTeamInProcess,
  seedPlan,
  useScriptedTeams,
  waitForState,
} from '../../support/team-fixture.js';

const setup = useScriptedTeams();

describe('a late answer of an attempt whose claim was taken back', () => {
  it('is refused and recorded; the task is done once, by the current claim, and the late call is still paid for', async () => {
    const { provider, fixture } = await setup({ orchestrator: { agents: [DEFAULT_ROSTER[0], DEFAULT_ROSTER[1]] } });
    let answerLate: (() => void) | undefined;
    const lateGate = new Promise<void>((resolve) => {
      answerLate = resolve;
    });
    provider
      .enqueueFor(
        { purpose: 'work', taskId: 'T1' },
        {
          // The first attempt stalls (as an agent process stopped with SIGSTOP would) and answers only at the very end.
          respond: async () => {
            await lateGate;
            return answers.done('late answer of the first claim');
          },
        },
        answers.done('answer of the current claim'),
      )
      .enqueueFor({ agentId: 'manager', purpose: 'integrate' }, answers.integration('Done.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);

    const running = runTeamInProcess(fixture);
    await waitForState(fixture, () => provider.callsFor({ purpose: 'work', taskId: 'T1' }).length === 1);
    // What the supervisor does when the agent's process is silent: the task goes back and is handed out again.
    await fixture.store.update((state, context) => {
      releaseTask({ state, agentId: 'backend-dev', taskId: 'T1', reason: 'agent process died', emit: context.emit });
      expect(claimTask({ state, agentId: 'backend-dev', config: fixture.config, now: context.now, emit: context.emit })?.task.fence).toBe(
        2,
      );
    });
    fixture.wake.notify();
    // The stalled attempt wakes up and answers (the agent's one slot was busy with it, so the new claim waits for it).
    answerLate?.();
    const outcome = await running;

    expect(outcome.state.run.status).toBe('done');
    expect(outcome.state.tasks[0]).toMatchObject({ status: 'done', fence: 2, result: { summary: 'answer of the current claim' } });
    const ledger = await readTeamLedger(fixture);
    expect(eventsOf(ledger, 'task-end').filter((event) => event.taskId === 'T1')).toHaveLength(1);
    expect(eventsOf(ledger, 'report-reject')).toEqual([
      expect.objectContaining({
        agentId: 'backend-dev',
        taskId: 'T1',
        fence: 1,
        current: 2,
        reason: expect.stringContaining('claimed again'),
      }),
    ]);
    const calls = eventsOf(ledger, 'model-call');
    expect(calls.filter((call) => call.taskId === 'T1')).toHaveLength(2);
    expect(outcome.state.budget.spentUsd).toBeCloseTo(
      calls.reduce((sum, call) => sum + call.costUsd, 0),
      12,
    );
    expect(outcome.state.budget.reservations).toEqual({});
    provider.assertComplete();
  });
});
