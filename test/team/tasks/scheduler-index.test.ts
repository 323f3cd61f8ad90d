/**
 * The scheduler's indexes give what a scan of the whole plan gives: the busy
 * files index names the same conflicting task with the same files, and the
 * readiness passes change the same tasks and emit the same events in the same order.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEvent, Task, TeamState } from '../../../src/state/index.js';
import { BusyFiles, pathsOverlap, refreshReadiness } from '../../../src/team/tasks/scheduler.js';

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
});
