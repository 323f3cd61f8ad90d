/**
 * A person in the loop, over HTTP on the file store: resolving blockers, a manual run's checkpoints and
 * approvals of the manager's resolutions, cancel while waiting, subtasks no agent can take (503), and
 * the SLA's retries and human review on a fake clock.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { builtInPaths } from '../../src/config/index.js';
import type { LedgerEntry, LedgerEvent } from '../../src/state/index.js';
import { readRunLedger, withTeamStore } from '../../src/team/index.js';
import { orchestrateBody, type ServiceFixture, startService, waitForStatus } from './service-fixture.js';
import { sampleValue, scrape } from './prometheus-text.js';
import { readEvents } from './sse-reader.js';

const services: ServiceFixture[] = [];

afterEach(async () => {
  // Last started first: servers of one test may share their project.
  for (const started of services.splice(0).reverse()) await started.cleanup();
});

interface Approval {
  approval_id: string;
  kind: string;
  checkpoint: string | null;
  subtask_id: string | null;
  blocker_id: string | null;
  status: string;
  proposal: { kind: string; resolution: string } | null;
}
interface Blocker {
  blocker_id: string;
  subtask_id: string;
  agent: string;
  question: string;
  context: string;
  status: string;
  approval_id: string | null;
}
interface View {
  status: string;
  subtasks: { subtask_id: string; role: string; state: string; hold: { reason: string; detail: string } | null }[];
  blockers: Blocker[];
  approvals: Approval[];
  status_history: { status: string }[];
  human_review: { flagged: boolean; reason: string | null; subtask_ids: string[] };
  execution: { mode: string; checkpoints: string[]; sla_seconds: number | null };
  metrics: { model_calls: number };
}
interface ErrorBody {
  error: { code: string; message: string; subtasks?: { subtask_id: string; role: string; reason: string }[] };
}

async function builtInConfig(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(builtInPaths().orchestratorConfig, 'utf8')) as Record<string, unknown>;
}

/** The built-in team with sim blockers on every task (or none), quick polling and a short lease. */
async function team(input: {
  blockerRate: number;
  roster?: (agents: { id: string; role: string }[]) => unknown[];
}): Promise<Record<string, unknown>> {
  const config = await builtInConfig();
  const agents = config['agents'] as { id: string; role: string }[];
  return {
    ...config,
    agents: input.roster?.(agents) ?? agents,
    coordination: { ...(config['coordination'] as object), check_interval_seconds: 0.05, lease_seconds: 3 },
    provider: { ...(config['provider'] as object), blocker_rate: input.blockerRate },
  };
}

async function start(input: Parameters<typeof startService>[0] = {}): Promise<ServiceFixture> {
  const started = await startService(input);
  services.push(started);
  return started;
}

async function view(call: ServiceFixture['call'], taskId: string): Promise<View> {
  return (await (await call(`/tasks/${taskId}`)).json()) as View;
}

/** Polls the view until `until` holds (the test's timeout bounds the wait). */
async function waitForView(call: ServiceFixture['call'], taskId: string, until: (view: View) => boolean): Promise<View> {
  for (;;) {
    const current = await view(call, taskId);
    if (until(current)) return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const over = (current: View): boolean => ['completed', 'failed', 'cancelled', 'interrupted'].includes(current.status);

function post(call: ServiceFixture['call'], path: string, json?: unknown): Promise<Response> {
  return call(path, { method: 'POST', ...(json === undefined ? {} : { json }) });
}

function eventsOf<T extends LedgerEvent['type']>(
  ledger: readonly LedgerEntry<LedgerEvent>[],
  type: T,
): LedgerEntry<Extract<LedgerEvent, { type: T }>>[] {
  return ledger.filter((entry): entry is LedgerEntry<Extract<LedgerEvent, { type: T }>> => entry.type === type);
}

describe('a person resolves blockers', () => {
  it("with POST .../blockers/{id}/resolve: the blocked subtask goes on with the person's answer; 409 once the task ended", async () => {
    const { call, server } = await start({ orchestrator: await team({ blockerRate: 1 }) });
    await post(call, '/orchestrate', orchestrateBody('people'));
    // Manual: the manager's answers wait for approval, so every blocker is the person's to answer.
    expect((await post(call, '/execute/people', { execution_mode: 'manual' })).status).toBe(202);
    const answered = new Set<string>();
    let first: Blocker | undefined;
    for (;;) {
      const current = await waitForView(
        call,
        'people',
        (candidate) => over(candidate) || candidate.blockers.some((b) => !answered.has(b.blocker_id)),
      );
      if (over(current)) break;
      for (const blocker of current.blockers) {
        if (answered.has(blocker.blocker_id)) continue;
        first ??= blocker;
        expect(blocker.question).not.toBe('');
        expect(blocker.subtask_id).toMatch(/::people::/);
        expect(blocker.context).not.toBe('');
        const resolved = await post(call, `/tasks/people/blockers/${blocker.blocker_id}/resolve`, {
          resolution: `Answer to ${blocker.blocker_id}: use the existing invoice table.`,
          by: 'ann@example.com',
        });
        expect(resolved.status).toBe(200);
        expect(await resolved.json()).toMatchObject({ blocker_id: blocker.blocker_id, resolved_by: 'ann@example.com', resolver: 'person' });
        answered.add(blocker.blocker_id);
      }
    }
    const final = await view(call, 'people');
    expect(final.status).toBe('completed');
    expect(answered.size).toBeGreaterThan(0);
    expect(final.blockers).toEqual([]);
    const ledger = await readRunLedger(server.runs.configFor('people'));
    const resolutions = eventsOf(ledger, 'blocker-resolve');
    expect(resolutions.length).toBe(answered.size);
    for (const entry of resolutions) {
      expect(entry).toMatchObject({ resolver: 'person', by: 'ann@example.com', resolutionKind: 'answer' });
      expect(entry.resolution).toBe(`Answer to ${entry.blockerId}: use the existing invoice table.`);
      // The subtask went on after its answer: claimed again and done.
      const after = ledger.slice(ledger.indexOf(entry));
      expect(after.some((later) => later.type === 'task-end' && later.taskId === entry.taskId && later.status === 'done')).toBe(true);
    }
    // Whatever the manager had proposed for them was withdrawn, never applied.
    expect(final.approvals.every((approval) => approval.status === 'withdrawn')).toBe(true);

    // Once the task ended, nothing is left to resolve.
    const again = await post(call, `/tasks/people/blockers/${first?.blocker_id}/resolve`, { resolution: 'too late' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.code).toBe('task_ended');
  });

  it('answers 409 for a resolved blocker and a decided approval, 404 for unknown ones, 400 for an empty resolution', async () => {
    const { call } = await start({ orchestrator: await team({ blockerRate: 1 }) });
    await post(call, '/orchestrate', orchestrateBody('codes'));
    await post(call, '/execute/codes', { execution_mode: 'manual' });
    const waiting = await waitForView(call, 'codes', (current) => current.approvals.some((approval) => approval.status === 'pending'));
    const approval = waiting.approvals.find((candidate) => candidate.status === 'pending') as Approval;
    expect(approval.kind).toBe('resolution');
    expect(waiting.status).toBe('awaiting_approval');
    expect((await post(call, `/tasks/codes/approvals/${approval.approval_id}`, { decision: 'approve', by: 'ann' })).status).toBe(200);
    const decidedAgain = await post(call, `/tasks/codes/approvals/${approval.approval_id}`, { decision: 'reject' });
    expect(decidedAgain.status).toBe(409);
    expect(((await decidedAgain.json()) as ErrorBody).error.code).toBe('approval_decided');
    const resolvedAgain = await post(call, `/tasks/codes/blockers/${approval.blocker_id}/resolve`, { resolution: 'late' });
    expect(resolvedAgain.status).toBe(409);
    expect(((await resolvedAgain.json()) as ErrorBody).error.code).toBe('blocker_resolved');
    for (const [path, code] of [
      ['/tasks/codes/approvals/A999', 'approval_not_found'],
      ['/tasks/codes/blockers/T99-B9/resolve', 'blocker_not_found'],
      ['/tasks/nope/approvals/A1', 'task_not_found'],
      ['/tasks/nope/blockers/T1-B1/resolve', 'task_not_found'],
    ] as const) {
      const response = await post(call, path, path.includes('approvals') ? { decision: 'approve' } : { resolution: 'x' });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as ErrorBody).error.code).toBe(code);
    }
    expect((await post(call, `/tasks/codes/blockers/${approval.blocker_id}/resolve`, { resolution: '  ' })).status).toBe(400);
    expect((await post(call, '/tasks/codes/approvals/A1', { decision: 'maybe' })).status).toBe(400);
    expect((await post(call, '/tasks/codes/cancel')).status).toBe(200);
  });
});

describe('execution_mode manual', () => {
  it('pauses at its checkpoints, idle, holding no budget and keeping its lease; resumes on approval', async () => {
    const fixture = await start({ orchestrator: await team({ blockerRate: 0 }) });
    const { call, server } = fixture;
    const plan = (await (await post(call, '/orchestrate', orchestrateBody('gates'))).json()) as View;
    const last = plan.subtasks.at(-1)?.subtask_id as string;
    const executed = await post(call, '/execute/gates', {
      execution_mode: 'manual',
      checkpoints: ['after_plan', last, 'before_integration'],
    });
    expect(executed.status).toBe(202);
    const config = server.runs.configFor('gates');

    const atPlan = await waitForView(call, 'gates', (current) => current.status === 'awaiting_approval');
    expect(atPlan.execution).toEqual({
      mode: 'manual',
      checkpoints: ['after_plan', `before:${last}`, 'before_integration'],
      sla_seconds: null,
    });
    expect(atPlan.approvals).toMatchObject([{ approval_id: 'A1', kind: 'checkpoint', checkpoint: 'after_plan', status: 'pending' }]);
    expect(atPlan.subtasks.every((subtask) => subtask.state === 'ready' || subtask.state === 'pending')).toBe(true);
    // While it waits: no model call, no budget held, and the lease is renewed (the run is not given up).
    const paused = await withTeamStore(config, (store) => store.read());
    expect(paused.budget.reservations).toEqual({});
    for (;;) {
      const now = await withTeamStore(config, (store) => store.read());
      if (now.run.owner?.expiresAt !== paused.run.owner?.expiresAt) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const still = await view(call, 'gates');
    expect(still.status).toBe('awaiting_approval');
    expect(still.metrics.model_calls).toBe(atPlan.metrics.model_calls);
    expect(eventsOf(await readRunLedger(config), 'task-claim')).toEqual([]);
    // A waiting task is still active, and its event stream stays open and carries the request.
    expect(sampleValue(await scrape(fixture), 'orchestrator_tasks_active')).toBe(1);
    for await (const event of readEvents(await call('/tasks/gates/events'))) {
      if (event.event !== 'approval-request') continue;
      expect(JSON.parse(event.data)).toMatchObject({ approvalId: 'A1', kind: 'checkpoint', checkpoint: 'after_plan' });
      break;
    }

    const approved = await post(call, '/tasks/gates/approvals/A1', { decision: 'approve', by: 'ann' });
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { approval: Approval }).approval).toMatchObject({ status: 'approved', checkpoint: 'after_plan' });

    const atTask = await waitForView(call, 'gates', (current) => current.approvals.some((approval) => approval.approval_id === 'A2'));
    expect(atTask.approvals[1]).toMatchObject({ kind: 'checkpoint', checkpoint: `before:${last}`, subtask_id: last, status: 'pending' });
    expect(atTask.subtasks.at(-1)?.state).toBe('ready');
    await post(call, '/tasks/gates/approvals/A2', { decision: 'approve', by: 'ann' });
    const atIntegration = await waitForView(call, 'gates', (current) =>
      current.approvals.some((approval) => approval.approval_id === 'A3'),
    );
    expect(atIntegration.subtasks.every((subtask) => subtask.state === 'completed')).toBe(true);
    expect(atIntegration.status).toBe('awaiting_approval');
    await post(call, '/tasks/gates/approvals/A3', { decision: 'approve', by: 'ann' });

    const final = (await waitForStatus(call, 'gates', ['completed', 'failed'])) as unknown as View;
    expect(final.status).toBe('completed');
    expect(final.status_history.map((change) => change.status)).toEqual([
      'planning',
      'planned',
      'running',
      'awaiting_approval',
      'running',
      'awaiting_approval',
      'running',
      'awaiting_approval',
      'running',
      'completed',
    ]);
    // The approvals are ledger events, so the event stream carries them.
    const events: string[] = [];
    for await (const event of readEvents(await call('/tasks/gates/events'))) events.push(event.event ?? '');
    expect(events.filter((event) => event === 'approval-request')).toHaveLength(3);
    expect(events.filter((event) => event === 'approval-decide')).toHaveLength(3);
  });

  it("holds the manager's resolutions for approval: approve applies it, reject with a resolution applies the person's, reject without leaves it for a person", async () => {
    const { call, server } = await start({ orchestrator: await team({ blockerRate: 1 }) });
    await post(call, '/orchestrate', orchestrateBody('review'));
    await post(call, '/execute/review', { execution_mode: 'manual' });
    const decisions: string[] = [];
    for (;;) {
      const current = await waitForView(
        call,
        'review',
        (candidate) =>
          over(candidate) ||
          candidate.approvals.some((approval) => approval.status === 'pending') ||
          candidate.blockers.some((blocker) => blocker.status === 'awaiting_person'),
      );
      if (over(current)) break;
      expect(current.status).toBe('awaiting_approval');
      const leftForPerson = current.blockers.find((blocker) => blocker.status === 'awaiting_person');
      if (leftForPerson !== undefined) {
        expect(leftForPerson.approval_id).toBeNull();
        const resolved = await post(call, `/tasks/review/blockers/${leftForPerson.blocker_id}/resolve`, {
          resolution: 'Do it the simple way.',
          by: 'bob',
        });
        expect(resolved.status).toBe(200);
        decisions.push('resolved');
        continue;
      }
      const approval = current.approvals.find((candidate) => candidate.status === 'pending') as Approval;
      expect(approval.kind).toBe('resolution');
      expect(approval.proposal?.resolution).not.toBe('');
      expect(current.blockers.find((blocker) => blocker.blocker_id === approval.blocker_id)).toMatchObject({
        status: 'awaiting_approval',
        approval_id: approval.approval_id,
      });
      const body =
        decisions.length === 0
          ? { decision: 'reject', by: 'bob' }
          : decisions.length === 2
            ? { decision: 'reject', resolution: 'Use the reporting service instead.', by: 'bob' }
            : { decision: 'approve', by: 'bob' };
      expect((await post(call, `/tasks/review/approvals/${approval.approval_id}`, body)).status).toBe(200);
      decisions.push(body.decision === 'approve' ? 'approved' : 'resolution' in body ? 'replaced' : 'rejected');
    }
    expect(decisions.slice(0, 3)).toEqual(['rejected', 'resolved', 'replaced']);
    const ledger = await readRunLedger(server.runs.configFor('review'));
    const resolutions = eventsOf(ledger, 'blocker-resolve');
    expect(resolutions[0]).toMatchObject({ resolver: 'person', by: 'bob', resolution: 'Do it the simple way.' });
    expect(resolutions[1]).toMatchObject({ resolver: 'person', by: 'bob', resolution: 'Use the reporting service instead.' });
    expect(resolutions.slice(2).every((entry) => entry.resolver === 'manager' && entry.by === 'bob')).toBe(true);
    expect(resolutions.length).toBe(decisions.length - 1);
  });

  it('is cancelled while it waits for a person', async () => {
    const { call, server } = await start({ orchestrator: await team({ blockerRate: 0 }) });
    await post(call, '/orchestrate', orchestrateBody('waiting'));
    await post(call, '/execute/waiting', { execution_mode: 'manual', checkpoints: ['after_plan'] });
    await waitForView(call, 'waiting', (current) => current.status === 'awaiting_approval');
    const cancelled = await post(call, '/tasks/waiting/cancel');
    expect(await cancelled.json()).toEqual({ task_id: 'waiting', status: 'cancelled' });
    expect(server.runs.isActive('waiting')).toBe(false);
    const state = await withTeamStore(server.runs.configFor('waiting'), (store) => store.read());
    expect(state.run.status).toBe('interrupted');
    expect(state.run.owner).toBeNull();
    expect(state.budget.reservations).toEqual({});
    const late = await post(call, '/tasks/waiting/approvals/A1', { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(((await late.json()) as ErrorBody).error.code).toBe('task_cancelled');
  });
});

describe('a manual run stopped while it waits', () => {
  it('resumes on the next server; executed in auto mode, its pending checkpoint is withdrawn and it runs to the end', async () => {
    const first = await start({ orchestrator: await team({ blockerRate: 0 }) });
    await post(first.call, '/orchestrate', orchestrateBody('switch'));
    await post(first.call, '/execute/switch', { execution_mode: 'manual', checkpoints: ['after_plan'] });
    await waitForView(first.call, 'switch', (current) => current.status === 'awaiting_approval');
    await first.server.close();
    const second = await start({ project: first.project, orchestrator: await team({ blockerRate: 0 }) });
    const stopped = await view(second.call, 'switch');
    expect(stopped.status).toBe('interrupted');
    expect(stopped.approvals).toMatchObject([{ approval_id: 'A1', status: 'pending' }]);
    expect((await post(second.call, '/execute/switch', { execution_mode: 'auto' })).status).toBe(202);
    const final = (await waitForStatus(second.call, 'switch', ['completed', 'failed'])) as unknown as View;
    expect(final.status).toBe('completed');
    expect(final.execution.mode).toBe('auto');
    expect(final.approvals).toMatchObject([{ approval_id: 'A1', status: 'withdrawn', decided_by: 'POST /execute/{task_id}' }]);
  });
});

describe('subtasks no agent can take', () => {
  it('answer 503 naming them and their role, are blocked with an alert, and run once an agent of the role is back', async () => {
    const first = await start({ orchestrator: await team({ blockerRate: 0 }) });
    const plan = (await (await post(first.call, '/orchestrate', orchestrateBody('routing'))).json()) as View;
    const qa = plan.subtasks.filter((subtask) => subtask.role === 'qa_tester').map((subtask) => subtask.subtask_id);
    expect(qa.length).toBeGreaterThan(0);
    await first.server.close();

    // The same data served by a roster without a QA tester.
    const withoutQa = await start({
      project: first.project,
      orchestrator: await team({ blockerRate: 0, roster: (agents) => agents.filter((agent) => agent.role !== 'qa_tester') }),
    });
    const refused = await post(withoutQa.call, '/execute/routing');
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as ErrorBody;
    expect(body.error.code).toBe('agent_unavailable');
    expect(body.error.subtasks?.map((subtask) => subtask.subtask_id).sort()).toEqual([...qa].sort());
    expect(body.error.subtasks?.every((subtask) => subtask.role === 'qa_tester' && subtask.reason.includes('qa_tester'))).toBe(true);
    expect(withoutQa.server.runs.isActive('routing')).toBe(false);
    const blocked = await view(withoutQa.call, 'routing');
    for (const subtask of blocked.subtasks.filter((candidate) => qa.includes(candidate.subtask_id))) {
      expect(subtask).toMatchObject({ state: 'blocked', hold: { reason: 'no_agent' } });
    }
    const ledger = await readRunLedger(withoutQa.server.runs.configFor('routing'));
    expect(eventsOf(ledger, 'route-fail')).toMatchObject([{ role: 'qa_tester' }]);
    await withoutQa.server.close();

    const restored = await start({ project: first.project, orchestrator: await team({ blockerRate: 0 }) });
    expect((await post(restored.call, '/execute/routing')).status).toBe(202);
    const final = (await waitForStatus(restored.call, 'routing', ['completed', 'failed'])) as unknown as View;
    expect(final.status).toBe('completed');
    expect(final.subtasks.every((subtask) => subtask.hold === null)).toBe(true);
  });
});

describe('the SLA of subtasks', () => {
  it('retries a subtask past its SLA up to 3 attempts, then flags the task for human review; approving retries it', async () => {
    // The server's clock: the test moves it past the SLA while a subtask is in progress.
    let offsetMs = 0;
    const now = (): Date => new Date(Date.now() + offsetMs);
    const { call, server } = await start({ orchestrator: await team({ blockerRate: 0 }), timeScale: 0.1, now });
    await post(call, '/orchestrate', orchestrateBody('sla', { metadata: { sla_seconds: 60 } }));
    await post(call, '/execute/sla');
    const config = server.runs.configFor('sla');
    const movedFor = new Set<string>();
    let flagged: View | undefined;
    while (flagged === undefined) {
      const state = await withTeamStore(config, (store) => store.read());
      for (const task of state.tasks) {
        const claim = `${task.id}@${task.claimedAt}`;
        if (task.status !== 'in_progress' || movedFor.has(claim)) continue;
        movedFor.add(claim);
        offsetMs += 61_000;
      }
      const current = await view(call, 'sla');
      expect(over(current)).toBe(false);
      if (current.human_review.flagged) flagged = current;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const reviewed = flagged.human_review.subtask_ids[0] as string;
    const teamTaskId = reviewed.split('::').at(-1) as string;
    const misses = eventsOf(await readRunLedger(config), 'task-sla').filter((entry) => entry.taskId === teamTaskId);
    expect(misses.map((entry) => [entry.miss, entry.action])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'review'],
    ]);
    expect(flagged.subtasks.find((subtask) => subtask.subtask_id === reviewed)).toMatchObject({
      state: 'blocked',
      hold: { reason: 'sla' },
    });
    const review = flagged.approvals.find((approval) => approval.kind === 'review' && approval.subtask_id === reviewed) as Approval;
    expect(review.status).toBe('pending');
    // No fourth attempt while a person reviews it.
    const stateNow = await withTeamStore(config, (store) => store.read());
    expect(stateNow.tasks.find((task) => task.id === teamTaskId)?.status).toBe('blocked');

    // Approve every review (the clock stays put from here), and the task runs to its end.
    for (;;) {
      const current = await view(call, 'sla');
      if (over(current)) break;
      for (const approval of current.approvals.filter((candidate) => candidate.status === 'pending')) {
        expect((await post(call, `/tasks/sla/approvals/${approval.approval_id}`, { decision: 'approve', by: 'ann' })).status).toBe(200);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const final = await view(call, 'sla');
    expect(final.status).toBe('completed');
    expect(final.human_review).toEqual({ flagged: false, reason: null, subtask_ids: [], at: null });
  });
});
