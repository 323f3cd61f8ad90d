/**
 * On a PostgresStore's working copy (tracked lists, see src/state/tracked-list.ts), claims look up
 * the ready tasks in a ReadyIndex kept by what changed. Here a working copy goes through hundreds of
 * groups of claims, reports, releases and failures, each group committed (or refused and put back)
 * as the store does it, and every claim is checked against claimTask on a plain copy of the same
 * state (a scan of the whole plan): same task, same events. Every commit's rows are checked against
 * a diff of every entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerEvent, plainList, type Task, type TeamState } from '../../../src/state/index.js';
import { diffState } from '../../../src/state/postgres-diff.js';
import type { Snapshot } from '../../../src/state/postgres-snapshot.js';
import { committedCopy, revertedCopy, type WorkingCopy, workingCopyOf } from '../../../src/state/postgres-working-copy.js';
import type { WorkReport } from '../../../src/team/tasks/answer-schemas.js';
import { claimTask, dispatchReady } from '../../../src/team/tasks/claim-task.js';
import { applyWorkReport, failTask, releaseTask } from '../../../src/team/tasks/report-result.js';
import { taskScope } from '../../../src/team/tasks/scheduler.js';
import { newTask } from '../../../src/team/tasks/task-factory.js';
import { normalizeOutput } from '../../../src/team/tasks/work-context.js';
import { createTeamProject, DEVELOPERS, runningState, type TeamProject } from '../../state/conformance/team-setup.js';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let value = seed;
  return () => {
    value = (value * 1103515245 + 12345) % 2147483648;
    return value / 2147483648;
  };
}

const FRONTEND = 'front-1';
const AGENTS = [...DEVELOPERS.slice(0, 3), FRONTEND];
const PATHS = ['src/a.ts', 'src/b.ts', 'src', 'docs/api.md', 'web/app.tsx'];
const NOW = '2026-01-02T03:04:05.000Z';

let project: TeamProject;
beforeAll(async () => {
  project = await createTeamProject({ developers: DEVELOPERS.slice(0, 3), others: [{ id: FRONTEND, role: 'frontend_developer' }] });
});
afterAll(async () => {
  await project.remove();
});

/** A running state with `count` tasks of two roles, some waiting for earlier ones, some declaring files. */
function plannedState(count: number, next: () => number): TeamState {
  const state = runningState({ config: project.config, tasks: 0 });
  state.tasks = Array.from({ length: count }, (_, index) => {
    const dependsOn = index > 0 && next() < 0.5 ? [`T${1 + Math.floor(next() * index)}`] : [];
    return newTask({
      task: {
        id: `T${index + 1}`,
        title: `Task ${index + 1}`,
        description: '',
        role: next() < 0.7 ? 'backend_developer' : 'frontend_developer',
        dependsOn,
        files: next() < 0.3 ? [PATHS[Math.floor(next() * PATHS.length)] as string] : [],
        complexity: (['simple', 'medium', 'complex'] as const)[Math.floor(next() * 3)] as Task['complexity'],
        acceptanceCriteria: [],
      },
      createdBy: 'manager',
      status: dependsOn.length === 0 ? 'ready' : 'pending',
    });
  });
  return state;
}

/** One step of an agent, run the same way on both states; returns the events it emitted. */
function step(input: { state: TeamState; agentId: string; kind: number; pick: number }): { claimed?: string; events: LedgerEvent[] } {
  const { state, agentId } = input;
  const events: LedgerEvent[] = [];
  const emit = (event: LedgerEvent): void => {
    events.push(event);
  };
  // Read as the product reads many tasks (plainList): reaching every task through the list would leave nothing to the index.
  const held = plainList(state.tasks)
    .filter((task) => task.status === 'in_progress' && task.assignee === agentId)
    .map((task) => task.id);
  const taskId = held[Math.floor(input.pick * held.length)];
  if (input.kind < 0.1) {
    // Every live agent with room is handed ready tasks, and ready tasks whose files are in use are noted as waiting.
    for (const agent of Object.values(state.agents)) agent.heartbeatAt ??= NOW;
    dispatchReady({ state, config: project.config, now: NOW, emit });
    return { events };
  }
  if (input.kind < 0.5 || taskId === undefined) {
    const claimed = claimTask({ state, agentId, config: project.config, now: NOW, emit });
    return { claimed: claimed?.task.id ?? '(none)', events };
  }
  if (input.kind < 0.8) {
    const report: WorkReport = { status: 'done', summary: `Did ${taskId}.`, filesChanged: [] };
    applyWorkReport({ state, agentId, taskId, report, normalized: normalizeOutput(report), managerId: 'manager', now: NOW, emit });
  } else if (input.kind < 0.9) releaseTask({ state, agentId, taskId, reason: 'interrupted', emit });
  else failTask({ state, agentId, taskId, reason: 'broke', now: NOW, emit });
  return { events };
}

/** The state as plain JSON, its lists read without noting anything (see plainList). */
function json(state: TeamState): unknown {
  const lists = { tasks: plainList(state.tasks), blockers: plainList(state.blockers), messages: plainList(state.messages) };
  return JSON.parse(JSON.stringify({ ...state, ...lists }));
}

/** The state a snapshot holds, as plain JSON. */
function stateOf(snapshot: Snapshot): unknown {
  return JSON.parse(JSON.stringify(workingCopyOf(snapshot).state));
}

describe('ReadyIndex on a working copy (claims without a scan of the plan)', () => {
  it('claims what a scan claims, group after group, commits and refused commits alike', () => {
    const next = random(20260102);
    const first = diffState({ base: undefined, state: plannedState(120, next) });
    if (!first.ok) throw new Error(first.problem);
    let copy: WorkingCopy = workingCopyOf(first.snapshot);
    let indexed = 0;
    let claims = 0;
    let waits = 0;
    for (let group = 0; group < 300; group += 1) {
      const base = copy.snapshot;
      for (let update = 0, size = 1 + Math.floor(next() * 3); update < size; update += 1) {
        const agentId = AGENTS[Math.floor(next() * AGENTS.length)] as string;
        const kind = next();
        const pick = next();
        // The scan: the same step on a plain copy, whose lists are not tracked.
        const plain = json(copy.state) as TeamState;
        expect(taskScope(plain).index).toBeUndefined();
        const expected = step({ state: plain, agentId, kind, pick });
        if (taskScope(copy.state).index !== undefined) indexed += 1;
        const actual = step({ state: copy.state, agentId, kind, pick });
        expect(actual).toEqual(expected);
        if (actual.claimed !== undefined && actual.claimed !== '(none)') claims += 1;
        waits += actual.events.filter((event) => event.type === 'task-wait').length;
        expect(json(copy.state)).toEqual(json(plain));
      }
      copy.state.seq += 1;
      const diff = diffState({ base, state: copy.state, tracked: copy.tracked });
      const general = diffState({ base, state: json(copy.state) as TeamState });
      if (!diff.ok || !general.ok) throw new Error(`the group made a state that does not match its schema`);
      expect(diff.changes).toEqual(general.changes);
      if (next() < 0.15) {
        // Refused (another process committed first): the copy is put back to its version.
        copy = revertedCopy({ work: copy, changes: diff.changes, touched: diff.touched }) ?? workingCopyOf(base);
        expect(json(copy.state)).toEqual(stateOf(base));
      } else {
        copy = committedCopy({ state: copy.state, snapshot: diff.snapshot, changes: diff.changes, touched: diff.touched, previous: copy });
        expect(json(copy.state)).toEqual(stateOf(diff.snapshot));
      }
    }
    // The steps above ran on the index, handed out work and noted tasks waiting for files in use.
    expect(indexed).toBeGreaterThan(400);
    expect(claims).toBeGreaterThan(50);
    expect(waits).toBeGreaterThan(20);
  });
});
