/**
 * The scheduler's indexes give what a scan of the whole plan gives: the busy
 * files index names the same conflicting task with the same files, and the
 * readiness passes change the same tasks and emit the same events in the same order.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEvent, Task, TeamState } from '../../../src/state/index.js';
import { BusyFiles, orphanedTasks, pathsOverlap, refreshReadiness } from '../../../src/team/tasks/scheduler.js';
import { taskById } from '../../../src/team/tasks/task-lookup.js';
import { versionIndex } from '../../../src/team/tasks/version-index.js';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let value = seed;
  return () => {
    value = (value * 1103515245 + 12345) % 2147483648;
    return value / 2147483648;
  };
}

function task(input: Partial<Task> & { id: string }): Task {
  return {
    title: input.id,
    description: '',
    role: 'backend_developer',
    assignee: null,
    dependsOn: [],
    files: [],
    complexity: 'simple',
    acceptanceCriteria: [],
    status: 'ready',
    attempts: 0,
    iterations: 0,
    result: null,
    failure: null,
    lastOutput: null,
    createdBy: 'manager',
    branch: null,
    commit: null,
    merge: null,
    gates: [],
    wip: null,
    fence: 0,
    waitingFor: null,
    slaMisses: 0,
    hold: null,
    claimedAt: null,
    completedAt: null,
    ...input,
  };
}

const PATHS = ['src', 'src/', './src/a.ts', 'src/a.ts', 'src/ab.ts', 'src/a', 'src/a/b.ts', 'docs/api.md', 'docs', '/abs/x', 'a//b', 'a/'];

/** The scan the index replaces: the first busy task in plan order with an overlapping file. */
function scanConflict(tasks: readonly Task[], subject: Task): { taskId: string; files: string[] } | undefined {
  for (const other of tasks) {
    if ((other.status !== 'in_progress' && other.status !== 'review') || other.id === subject.id) continue;
    const files = subject.files.filter((file) => other.files.some((theirs) => pathsOverlap(file, theirs)));
    if (files.length > 0) return { taskId: other.id, files };
  }
  return undefined;
}

/** The readiness passes as they were: every pending task, pass after pass, until nothing changes. */
function scanReadiness(tasks: Task[], emit: (event: LedgerEvent) => void): void {
  const byId = new Map(tasks.map((candidate) => [candidate.id, candidate]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const candidate of tasks) {
      if (candidate.status !== 'pending') continue;
      const dependencies = candidate.dependsOn.map((id) => byId.get(id));
      const broken = dependencies.find((d) => d === undefined || d.status === 'failed' || d.status === 'cancelled');
      if (broken !== undefined || dependencies.some((d) => d === undefined)) {
        candidate.status = 'cancelled';
        candidate.failure = `dependency ${broken?.id ?? '(missing)'} ${broken?.status ?? 'does not exist'}`;
        emit({ type: 'task-end', agentId: 'scheduler', taskId: candidate.id, status: 'cancelled', detail: candidate.failure });
        changed = true;
      } else if (dependencies.every((d) => d?.status === 'done')) {
        candidate.status = 'ready';
        emit({ type: 'task-ready', taskId: candidate.id });
        changed = true;
      }
    }
  }
}

describe('the scheduler indexes', () => {
  it('find the same file conflict as a scan of the plan', () => {
    const next = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    for (let round = 0; round < 300; round += 1) {
      const tasks = Array.from({ length: 8 }, (_, index) =>
        task({
          id: `T${index}`,
          status: pick(['ready', 'in_progress', 'review', 'done'] as const),
          files: Array.from({ length: Math.floor(next() * 3) }, () => pick(PATHS)),
        }),
      );
      const busy = BusyFiles.of(tasks);
      for (const subject of tasks) expect(busy.conflict(subject)).toEqual(scanConflict(tasks, subject));
      // A task handed out during a pass joins the index.
      const ready = tasks.find((candidate) => candidate.status === 'ready');
      if (ready !== undefined) {
        ready.status = 'in_progress';
        busy.add(ready, tasks.indexOf(ready));
        for (const subject of tasks) expect(busy.conflict(subject)).toEqual(scanConflict(tasks, subject));
      }
      // A task's files changed in place are the ones checked next time.
      const subject = pick(tasks);
      if (subject.files.length > 0 && next() < 0.5) subject.files[0] = pick(PATHS);
      else subject.files.push(pick(PATHS));
      expect(busy.conflict(subject)).toEqual(scanConflict(tasks, subject));
    }
  });

  it('make the same tasks ready or cancelled, with the same events in the same order, as repeated passes', () => {
    const next = random(11);
    for (let round = 0; round < 300; round += 1) {
      const count = 2 + Math.floor(next() * 10);
      const tasks = Array.from({ length: count }, (_, index) =>
        task({
          id: `T${index}`,
          status: (['pending', 'pending', 'pending', 'done', 'failed'] as const)[Math.floor(next() * 5)] as Task['status'],
          // Dependencies point anywhere in the plan, before or after, and sometimes nowhere.
          dependsOn: Array.from({ length: Math.floor(next() * 3) }, () => (next() < 0.1 ? 'missing' : `T${Math.floor(next() * count)}`)),
        }),
      );
      const expectedTasks = structuredClone(tasks);
      const expectedEvents: LedgerEvent[] = [];
      scanReadiness(expectedTasks, (event) => expectedEvents.push(event));
      const events: LedgerEvent[] = [];
      refreshReadiness({ tasks } as TeamState, (event) => events.push(event));
      expect(events).toEqual(expectedEvents);
      expect(tasks).toEqual(expectedTasks);
    }
  });

  it('index each frozen version, derived from the one before, as a scan of its tasks does', () => {
    const next = random(5);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const STATUSES = ['pending', 'ready', 'in_progress', 'review', 'blocked', 'done', 'failed', 'cancelled'] as const;
    const freeze = (tasks: Task[]): readonly Task[] => Object.freeze(tasks.map((one) => Object.freeze(one)));
    let tasks = freeze(
      Array.from({ length: 60 }, (_, index) =>
        task({ id: `T${index}`, role: pick(['a', 'b', 'c']), status: pick(STATUSES), assignee: pick([null, 'x', 'y']) }),
      ),
    );
    for (let version = 0; version < 400; version += 1) {
      // Each version replaces a few tasks by changed copies, as a store does; now and then many, or a new task.
      const changes = next() < 0.05 ? 30 : 1 + Math.floor(next() * 4);
      const copy = [...tasks];
      for (let change = 0; change < changes; change += 1) {
        const place = Math.floor(next() * copy.length);
        copy[place] = { ...(copy[place] as Task), status: pick(STATUSES), assignee: pick([null, 'x', 'y']), role: pick(['a', 'b', 'c']) };
      }
      if (next() < 0.03) copy.push(task({ id: `T${copy.length}`, role: pick(['a', 'b', 'c']), status: pick(STATUSES) }));
      tasks = freeze(copy);
      const index = versionIndex(tasks);
      const places = (keep: (one: Task) => string | undefined): Map<string, number[]> => {
        const map = new Map<string, number[]>();
        tasks.forEach((one, place) => {
          const key = keep(one);
          if (key !== undefined) map.set(key, [...(map.get(key) ?? []), place]);
        });
        return map;
      };
      expect(index.inProgress).toEqual(places((one) => (one.status === 'in_progress' && one.assignee !== null ? one.assignee : undefined)));
      expect(index.ready).toEqual(places((one) => (one.status === 'ready' ? one.role : undefined)));
      const unfinished = new Map<string, number>();
      for (const one of tasks) {
        if (!['done', 'failed', 'cancelled'].includes(one.status)) unfinished.set(one.role, (unfinished.get(one.role) ?? 0) + 1);
      }
      expect(index.unfinished).toEqual(unfinished);
      // The orphaned tasks are those a scan finds, whichever roles have live agents.
      const live = ['a', 'b', 'c'].filter(() => next() < 0.8);
      const agents = Object.fromEntries(live.map((role) => [role, { role, status: 'idle' }]));
      const expected = tasks.filter((one) => !['done', 'failed', 'cancelled'].includes(one.status) && !live.includes(one.role));
      expect(orphanedTasks({ tasks, agents } as unknown as TeamState)).toEqual(expected);
    }
  });

  it('find a task by id as a scan does while the plan changes under the lookup', () => {
    const next = random(3);
    const tasks: Task[] = Array.from({ length: 20 }, (_, index) => task({ id: `T${index}` }));
    for (let round = 0; round < 500; round += 1) {
      const roll = next();
      if (roll < 0.2) tasks.push(task({ id: `N${round}` }));
      else if (roll < 0.3 && tasks.length > 1) tasks.splice(Math.floor(next() * tasks.length), 1);
      else if (roll < 0.4) tasks.reverse();
      else if (roll < 0.5) tasks[Math.floor(next() * tasks.length)] = task({ id: `R${round}` });
      const id = next() < 0.1 ? 'missing' : (tasks[Math.floor(next() * tasks.length)] as Task).id;
      expect(taskById(tasks, id)).toBe(tasks.find((candidate) => candidate.id === id));
    }
  });
});
