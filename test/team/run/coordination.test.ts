import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import type { LlmRequest } from '../../../src/providers/index.js';
import type { TeamState } from '../../../src/state/index.js';
import { claimTask, type ClaimedTask } from '../../../src/team/tasks/claim-task.js';
import { Coordinator } from '../../../src/team/run/coordinator.js';
import { Manager } from '../../../src/team/agents/manager.js';
import { runTeam } from '../../../src/team/index.js';
import { nextTaskFor } from '../../../src/team/tasks/scheduler.js';
import type { TeamStore } from '../../../src/team/agents/team-context.js';
import { WakeSignal } from '../../../src/team/agents/wake-signal.js';
import { createScriptedProvider, type ScriptedProvider } from '../../support/scripted-provider.js';
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
  type TeamFixture,
} from '../../support/team-fixture.js';

const setup = useScriptedTeams();

const MANAGER = { agentId: 'manager' } as const;
const lastUserMessage = (request: LlmRequest | undefined): string => request?.messages.at(-1)?.content ?? '';
const taskOf = (state: TeamState, id: string) => state.tasks.find((task) => task.id === id);

/** A roster of the manager plus the given workers. */
function roster(...workers: { id: string; role: string; max_concurrent_tasks?: number }[]): Record<string, unknown> {
  return { agents: [DEFAULT_ROSTER[0], ...workers] };
}

describe('blocker resolution', () => {
  it('(a) answer: the task goes back to the same agent, whose resumed prompt carries the resolution', async () => {
    // Two backend agents, so "the same assignee" is a choice the scheduler makes, not the only option.
    const { provider, fixture } = await setup({
      orchestrator: roster({ id: 'backend-1', role: 'backend_developer' }, { id: 'backend-2', role: 'backend_developer' }),
    });
    const seen: { atResolve?: TeamState; atResume?: TeamState } = {};
    provider
      .enqueueFor({ purpose: 'work', taskId: 'T1' }, answers.blocked('Should sessions be stateless JWTs or server-side sessions?'), {
        respond: async () => {
          seen.atResume = await fixture.store.read();
          return answers.done('Login endpoint built with JWTs');
        },
      })
      .enqueueFor(
        { ...MANAGER, purpose: 'resolve', taskId: 'T1' },
        {
          respond: async () => {
            seen.atResolve = await fixture.store.read();
            return answers.answer('Use stateless JWTs signed with the shared key.');
          },
        },
      )
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Login works.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);

    const outcome = await runTeamInProcess(fixture);

    expect(outcome.coordinator).toBe('finished');
    expect(outcome.state.run.status).toBe('done');
    provider.assertComplete();
    const work = provider.callsFor({ purpose: 'work' });
    const worker = work[0]?.metadata.agentId;
    expect(work.map((call) => call.metadata.agentId)).toEqual([worker, worker]);

    // While the manager decides, the task is blocked and its blocker taken.
    expect(taskOf(seen.atResolve as TeamState, 'T1')).toMatchObject({ status: 'blocked', assignee: worker });
    expect(seen.atResolve?.blockers).toMatchObject([{ id: 'T1-B1', status: 'resolving', kind: 'question', raisedBy: worker }]);
    expect(lastUserMessage(provider.callsFor({ purpose: 'resolve' })[0])).toContain('Should sessions be stateless JWTs');
    // After the answer the same agent holds it again, as the same attempt.
    expect(taskOf(seen.atResume as TeamState, 'T1')).toMatchObject({ status: 'in_progress', assignee: worker, attempts: 0 });

    const resumed = lastUserMessage(work[1]);
    expect(resumed).toContain('Use stateless JWTs signed with the shared key.');
    expect(resumed).toContain('You asked: Should sessions be stateless JWTs');
    expect(lastUserMessage(work[0])).not.toContain('Resolutions of your earlier blockers');

    expect(outcome.state.blockers).toMatchObject([
      {
        id: 'T1-B1',
        status: 'resolved',
        resolutionKind: 'answer',
        resolvedBy: 'manager',
        resolution: 'Use stateless JWTs signed with the shared key.',
      },
    ]);
    expect(taskOf(outcome.state, 'T1')).toMatchObject({ status: 'done', assignee: worker, iterations: 2 });
    const ledger = await readTeamLedger(fixture);
    const order = ledger
      .filter((event) => ['task-claim', 'blocker-raise', 'blocker-resolve', 'task-end'].includes(event.type))
      .map((event) => event.type);
    expect(order).toEqual(['task-claim', 'blocker-raise', 'blocker-resolve', 'task-claim', 'task-end']);
    expect(eventsOf(ledger, 'task-claim').map((event) => [event.agentId, event.attempt])).toEqual([
      [worker, 1],
      [worker, 1],
    ]);
  });

  it('(b) new_task: a prerequisite task is created, the blocked task waits for it and finishes after it', async () => {
    const { provider, fixture } = await setup();
    provider
      .enqueueFor(
        { agentId: 'backend-dev', purpose: 'work', taskId: 'T1' },
        answers.blocked('Which error code should a duplicate email return?'),
        answers.done('Signup endpoint returns 409 on duplicates'),
      )
      .enqueueFor(
        { ...MANAGER, purpose: 'resolve', taskId: 'T1' },
        answers.newTask('Record the error format first; then follow it.', {
          title: 'Decide the error format',
          description: 'Write down which status code duplicates return.',
          role: 'frontend_developer',
          files: ['docs/errors.md'],
          complexity: 'simple',
          acceptanceCriteria: ['The decision is written down'],
        }),
      )
      .enqueueFor(
        { agentId: 'frontend-dev', purpose: 'work', taskId: 'T1-B1-T' },
        answers.done('Decided: 409 Conflict with a field error', ['docs/errors.md']),
      )
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Signup works.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);

    const outcome = await runTeamInProcess(fixture);

    provider.assertComplete();
    expect(outcome.state.run.status).toBe('done');
    const prerequisite = taskOf(outcome.state, 'T1-B1-T');
    expect(prerequisite).toMatchObject({
      title: 'Decide the error format',
      role: 'frontend_developer',
      assignee: 'frontend-dev',
      createdBy: 'manager',
      status: 'done',
      dependsOn: [],
    });
    expect(taskOf(outcome.state, 'T1')).toMatchObject({ status: 'done', dependsOn: ['T1-B1-T'], assignee: 'backend-dev' });
    expect(outcome.state.blockers).toMatchObject([{ id: 'T1-B1', resolutionKind: 'new_task' }]);

    const ledger = await readTeamLedger(fixture);
    expect(eventsOf(ledger, 'task-create')).toMatchObject([
      { taskId: 'T1-B1-T', agentId: 'manager', reason: 'prerequisite of T1 (T1-B1)' },
    ]);
    expect(eventsOf(ledger, 'task-end').map((event) => event.taskId)).toEqual(['T1-B1-T', 'T1']);
    // In ledger order (the claim may share the commit that finished the prerequisite, after its end).
    const prerequisiteEnd = ledger.findIndex((event) => event.type === 'task-end' && event.taskId === 'T1-B1-T');
    const resumedClaim = ledger.findLastIndex((event) => event.type === 'task-claim' && event.taskId === 'T1');
    expect(prerequisiteEnd).toBeGreaterThanOrEqual(0);
    expect(resumedClaim).toBeGreaterThan(prerequisiteEnd);

    // The resumed work sees both the prerequisite's result and the manager's answer.
    const resumed = lastUserMessage(provider.callsFor({ agentId: 'backend-dev', purpose: 'work' })[1]);
    expect(resumed).toContain('Decided: 409 Conflict with a field error');
    expect(resumed).toContain('Record the error format first; then follow it.');
  });

  it('(c) reassign: the task moves to another role and that role’s agent does it', async () => {
    const { provider, fixture } = await setup();
    provider
      .enqueueFor(
        { agentId: 'backend-dev', purpose: 'work', taskId: 'T1' },
        answers.blocked('This is UI work; should a frontend developer take it?'),
      )
      .enqueueFor(
        { ...MANAGER, purpose: 'resolve', taskId: 'T1' },
        // Reassigning to the task's own role is refused by the manager's check and repaired.
        answers.reassign('Keep it.', 'backend_developer'),
        answers.reassign('Yes: the frontend developer owns the form.', 'frontend_developer'),
      )
      .enqueueFor({ agentId: 'frontend-dev', purpose: 'work', taskId: 'T1' }, answers.done('Login form built'))
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Form done.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer', title: 'Login form' })]);

    const outcome = await runTeamInProcess(fixture);

    provider.assertComplete();
    expect(outcome.state.run.status).toBe('done');
    const resolveCalls = provider.callsFor({ purpose: 'resolve' });
    expect(resolveCalls.map((call) => call.metadata.repair === true)).toEqual([false, true]);
    expect(lastUserMessage(resolveCalls[1])).toContain('expected a roster role other than "backend_developer"');
    expect(taskOf(outcome.state, 'T1')).toMatchObject({ role: 'frontend_developer', assignee: 'frontend-dev', status: 'done' });
    expect(outcome.state.blockers).toMatchObject([
      { resolutionKind: 'reassign', resolution: 'Yes: the frontend developer owns the form.' },
    ]);
    expect(provider.callsFor({ agentId: 'backend-dev' })).toHaveLength(1);
    expect(lastUserMessage(provider.callsFor({ agentId: 'frontend-dev' })[0])).toContain('the frontend developer owns the form');
  });
});

describe('loop detection', () => {
  it('(d) the same blocked answer twice raises a loop blocker; a second loop fails the task without asking the manager', async () => {
    const question = 'Which database should I use?';
    const { provider, fixture } = await setup();
    provider
      .enqueueFor(
        { agentId: 'backend-dev', purpose: 'work', taskId: 'T1' },
        answers.blocked(question),
        answers.blocked(question),
        answers.blocked(question),
      )
      .enqueueFor(
        { ...MANAGER, purpose: 'resolve', taskId: 'T1' },
        answers.answer('PostgreSQL.'),
        answers.answer('You are repeating yourself: use PostgreSQL and report done.'),
      )
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Nothing shipped.'));
    await seedPlan(fixture, [
      plannedTask({ id: 'T1', role: 'backend_developer' }),
      plannedTask({ id: 'T2', role: 'qa_tester', dependsOn: ['T1'] }),
    ]);

    const outcome = await runTeamInProcess(fixture);

    provider.assertComplete();
    expect(provider.callsFor({ purpose: 'resolve' })).toHaveLength(2);
    expect(provider.callsFor({ purpose: 'resolve' })[1]?.metadata.context).toMatchObject({ blockerId: 'T1-B2', kind: 'loop' });
    expect(outcome.state.blockers).toMatchObject([
      { id: 'T1-B1', kind: 'question', question, resolutionKind: 'answer' },
      { id: 'T1-B2', kind: 'loop', question: `The agent gave the same answer twice in a row: ${question}`, resolutionKind: 'answer' },
      { id: 'T1-B3', kind: 'loop', status: 'resolved', resolutionKind: 'fail', resolvedBy: 'manager' },
    ]);
    expect(taskOf(outcome.state, 'T1')).toMatchObject({ status: 'failed', failure: expect.stringContaining('kept repeating itself') });
    expect(taskOf(outcome.state, 'T2')).toMatchObject({ status: 'cancelled', failure: 'dependency T1 failed' });
    expect(outcome.state.run.status).toBe('failed');
  });

  it('does not call two different questions a loop', async () => {
    const { provider, fixture } = await setup();
    provider
      .enqueueFor(
        { agentId: 'backend-dev', purpose: 'work', taskId: 'T1' },
        answers.blocked('Which database?'),
        answers.blocked('Which ORM?'),
        answers.done('Built on PostgreSQL with Drizzle'),
      )
      .enqueueFor({ ...MANAGER, purpose: 'resolve' }, answers.answer('PostgreSQL.'), answers.answer('Drizzle.'))
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Done.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);

    const outcome = await runTeamInProcess(fixture);

    provider.assertComplete();
    expect(outcome.state.blockers.map((blocker) => blocker.kind)).toEqual(['question', 'question']);
    expect(outcome.state.run.status).toBe('done');
  });
});

describe('failed attempts', () => {
  async function runInvalidForever(): Promise<{ provider: ScriptedProvider; fixture: TeamFixture; state: TeamState }> {
    const { provider, fixture } = await setup();
    const attempts = fixture.config.orchestrator.coordination.max_attempts;
    // Each attempt is one call plus one repair, both invalid.
    provider
      .enqueueFor(
        { agentId: 'backend-dev', purpose: 'work', taskId: 'T1' },
        ...Array.from({ length: attempts * 2 }, (_, index) => `I am not JSON (${index + 1})`),
      )
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Nothing shipped.'));
    await seedPlan(fixture, [
      plannedTask({ id: 'T1', role: 'backend_developer' }),
      plannedTask({ id: 'T2', role: 'frontend_developer', dependsOn: ['T1'] }),
      plannedTask({ id: 'T3', role: 'qa_tester', dependsOn: ['T2'] }),
    ]);
    const outcome = await runTeamInProcess(fixture);
    return { provider, fixture, state: outcome.state };
  }

  it('(e) invalid output on every attempt fails the task after max_attempts, cancels its dependents and fails the run', async () => {
    const { provider, fixture, state } = await runInvalidForever();
    expect(fixture.config.orchestrator.coordination.max_attempts).toBe(2);

    provider.assertComplete();
    const work = provider.callsFor({ purpose: 'work' });
    expect(work.map((call) => [call.metadata.agentId, call.metadata.repair === true])).toEqual([
      ['backend-dev', false],
      ['backend-dev', true],
      ['backend-dev', false],
      ['backend-dev', true],
    ]);
    expect(taskOf(state, 'T1')).toMatchObject({ status: 'failed', attempts: 2, failure: expect.stringContaining('(after 2 attempts)') });
    expect(taskOf(state, 'T1')?.failure).toContain('returned an invalid task report twice');
    expect(taskOf(state, 'T2')).toMatchObject({ status: 'cancelled', failure: 'dependency T1 failed' });
    expect(taskOf(state, 'T3')).toMatchObject({ status: 'cancelled', failure: 'dependency T2 cancelled' });
    expect(state.run.status).toBe('failed');
    expect(state.run.endReason).toBe('3 task(s) not done: T1 failed, T2 cancelled, T3 cancelled');

    const ledger = await readTeamLedger(fixture);
    expect(eventsOf(ledger, 'task-claim').map((event) => event.attempt)).toEqual([1, 2]);
    expect(eventsOf(ledger, 'task-release')).toMatchObject([{ taskId: 'T1', agentId: 'backend-dev' }]);
    expect(eventsOf(ledger, 'task-end').map((event) => `${event.taskId} ${event.status}`)).toEqual([
      'T1 failed',
      'T2 cancelled',
      'T3 cancelled',
    ]);
    expect(eventsOf(ledger, 'run-end')).toMatchObject([{ status: 'failed' }]);
  });

  it('escalates one model tier after an attempt fails validation twice', async () => {
    const { provider } = await runInvalidForever();
    const firstCalls = provider.callsFor({ purpose: 'work' }).filter((call) => call.metadata.repair !== true);
    expect(firstCalls.map((call) => call.model)).toEqual(['claude-sonnet-5', 'claude-opus-4-5']);
  });
});

describe('claims', () => {
  const backends = (count: number, maxConcurrent = 1) =>
    Array.from({ length: count }, (_, index) => ({
      id: `backend-${index + 1}`,
      role: 'backend_developer',
      max_concurrent_tasks: maxConcurrent,
    }));

  it('(f) racing claims are compare-and-set: each ready task goes to exactly one agent', async () => {
    const { fixture } = await setup({ orchestrator: roster(...backends(8)) });
    await seedPlan(
      fixture,
      ['T1', 'T2', 'T3'].map((id) => plannedTask({ id, role: 'backend_developer' })),
    );

    const claims = await Promise.all(
      backends(8).map((agent) =>
        fixture.store.update((state, context) =>
          claimTask({ state, agentId: agent.id, config: fixture.config, now: context.now, emit: context.emit }),
        ),
      ),
    );

    const won = claims.filter((claim): claim is ClaimedTask => claim !== undefined);
    expect(won.map((claim) => claim.task.id).sort()).toEqual(['T1', 'T2', 'T3']);
    const state = await fixture.store.read();
    const holders = Object.values(state.agents).flatMap((agent) => agent.activeTasks.map((taskId) => [taskId, agent.id] as const));
    expect(holders.map(([taskId]) => taskId).sort()).toEqual(['T1', 'T2', 'T3']);
    for (const [taskId, agentId] of holders) expect(taskOf(state, taskId)).toMatchObject({ status: 'in_progress', assignee: agentId });
    expect(eventsOf(await readTeamLedger(fixture), 'task-claim')).toHaveLength(3);
  });

  it('(f) agents of one role working concurrently never hold the same task', async () => {
    const { provider, fixture } = await setup({ orchestrator: roster(...backends(3, 2)) });
    const inFlight = new Map<string, string>();
    const overlaps: string[] = [];
    const workedBy = new Map<string, string[]>();
    const taskIds = Array.from({ length: 8 }, (_, index) => `T${index + 1}`);
    provider.enqueueFor(
      { purpose: 'work' },
      ...taskIds.map(() => ({
        respond: async (request: LlmRequest) => {
          const taskId = request.metadata.taskId ?? '';
          const holder = inFlight.get(taskId);
          if (holder !== undefined) overlaps.push(`${taskId}: ${holder} and ${request.metadata.agentId}`);
          inFlight.set(taskId, request.metadata.agentId);
          workedBy.set(taskId, [...(workedBy.get(taskId) ?? []), request.metadata.agentId]);
          // Let the other agents run (and try to claim) while this call is open.
          for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
          inFlight.delete(taskId);
          return answers.done(`${taskId} done`);
        },
      })),
    );
    provider.enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('All done.'));
    await seedPlan(
      fixture,
      taskIds.map((id) => plannedTask({ id, role: 'backend_developer' })),
    );

    const outcome = await runTeamInProcess(fixture);

    provider.assertComplete();
    expect(overlaps).toEqual([]);
    expect(outcome.state.run.status).toBe('done');
    for (const taskId of taskIds) {
      expect(workedBy.get(taskId), taskId).toHaveLength(1);
      expect(taskOf(outcome.state, taskId)?.assignee).toBe(workedBy.get(taskId)?.[0]);
    }
    const claims = eventsOf(await readTeamLedger(fixture), 'task-claim');
    expect(claims.map((event) => event.taskId).sort()).toEqual([...taskIds].sort());
  });

  it("hands a silent agent's released task to another live agent of the same role", async () => {
    const { fixture } = await setup({
      orchestrator: roster({ id: 'backend-1', role: 'backend_developer' }, { id: 'backend-2', role: 'backend_developer' }),
    });
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);
    // backend-1 claims T1 and then dies: its heartbeat is long past.
    await fixture.store.update((state, context) => {
      claimTask({ state, agentId: 'backend-1', config: fixture.config, now: context.now, emit: context.emit });
      const silent = state.agents['backend-1'];
      if (silent !== undefined) silent.heartbeatAt = '2000-01-01T00:00:00.000Z';
      const live = state.agents['backend-2'];
      if (live !== undefined) live.heartbeatAt = context.now;
    });
    const stop = new AbortController();
    const coordinating = new Coordinator(fixture.context, new Manager(fixture.context)).run(stop.signal);
    const state = await waitForState(fixture, (current) => current.agents['backend-1']?.status === 'stopped');
    stop.abort();
    expect(await coordinating).toBe('interrupted');

    expect(taskOf(state, 'T1')?.status).toBe('ready');
    expect(nextTaskFor(state, 'backend-2')?.id).toBe('T1');
  });
});

describe('the run as a whole', () => {
  it('runTeam with an injected provider plans, works, integrates and leaves the run record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agent-team-run-'));
    try {
      const provider = createScriptedProvider();
      provider
        .enqueueFor(
          { ...MANAGER, purpose: 'plan' },
          answers.plan([
            plannedTask({ id: 'API', role: 'backend_developer' }),
            plannedTask({ id: 'UI', role: 'frontend_developer', dependsOn: ['API'] }),
          ]),
        )
        .enqueueFor({ agentId: 'backend-dev', purpose: 'work', taskId: 'API' }, answers.done('API built'))
        .enqueueFor({ agentId: 'frontend-dev', purpose: 'work', taskId: 'UI' }, answers.done('UI built'))
        .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Feature shipped.'));
      const config = loadTeamConfig({ cwd: dir });

      const result = await runTeam({ config, feature: 'Add a login page', providerInstance: provider, timeScale: 0, blockerRate: 0 });

      provider.assertComplete();
      expect(result.status).toBe('done');
      expect(result.summary).toMatchObject({
        provider: 'scripted',
        simulated: false,
        calls: 4,
        tasks: { total: 2, byStatus: { done: 2 } },
      });
      expect(lastUserMessage(provider.callsFor({ agentId: 'frontend-dev' })[0])).toContain('API built');
      for (const file of [result.files.state, result.files.ledger, result.files.summary, result.files.report])
        expect(existsSync(file), file).toBe(true);
      expect(await readFile(result.files.report, 'utf8')).toContain('Feature shipped.');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('wakes in-process agents when the run ends, without relying on the file watcher', async () => {
    let updatesDone = 0;
    const notifiedAfter: number[] = [];
    const { provider, fixture } = await setup({
      wrapStore: (store: TeamStore): TeamStore => ({
        read: () => store.read(),
        exists: () => store.exists(),
        watch: () => () => undefined, // only the team's own notifications
        close: () => store.close(),
        update: async (fn) => {
          const result = await store.update(fn);
          updatesDone += 1;
          return result;
        },
      }),
      createWake: (store) =>
        new (class extends WakeSignal {
          override notify(): void {
            notifiedAfter.push(updatesDone);
            super.notify();
          }
        })(store),
    });
    provider.enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Done.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer' })]);
    await fixture.store.update((state) => {
      const task = taskOf(state, 'T1');
      if (task !== undefined) task.status = 'done';
    });

    expect(await new Coordinator(fixture.context, new Manager(fixture.context)).run(fixture.signal)).toBe('finished');

    expect((await fixture.store.read()).run.status).toBe('done');
    expect(Math.max(...notifiedAfter)).toBe(updatesDone);
  });
});
