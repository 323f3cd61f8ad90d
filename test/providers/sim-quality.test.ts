/** The sim's quality model: seeded defects by tier and complexity, caught by gates, QA and review, the rest escaped. */
import { describe, expect, it } from 'vitest';
import { modelClass, type QualityTask, simulateQuality } from '../../src/providers/index.js';

function plan(input: { builder: string; reviewer?: string | null; qa?: string | null }): QualityTask[] {
  const tasks: QualityTask[] = [];
  for (let index = 1; index <= 12; index += 1) {
    tasks.push({ id: `T${index}`, role: 'backend_developer', complexity: 'complex', status: 'done', dependsOn: [], model: input.builder });
  }
  const built = tasks.map((task) => task.id);
  if (input.qa !== null && input.qa !== undefined) {
    tasks.push({ id: 'Q1', role: 'qa_tester', complexity: 'medium', status: 'done', dependsOn: built, model: input.qa });
  }
  if (input.reviewer !== null && input.reviewer !== undefined) {
    tasks.push({
      id: 'R1',
      role: 'reviewer',
      complexity: 'medium',
      status: 'done',
      dependsOn: ['T1', 'T2', 'T3', 'Q1'].filter((id) => id !== 'Q1' || input.qa != null),
      model: input.reviewer,
    });
  }
  return tasks;
}

const sum = (items: readonly number[]): number => items.reduce((total, item) => total + item, 0);

describe('simulateQuality', () => {
  it('classes models by name', () => {
    expect(modelClass('claude-haiku-4-5')).toBe('small');
    expect(modelClass('gpt-5-mini')).toBe('small');
    expect(modelClass('claude-sonnet-5')).toBe('mid');
    expect(modelClass('claude-opus-4-5')).toBe('large');
  });

  it('is the same for a seed, and adds up: introduced = caught + escaped', () => {
    const tasks = plan({ builder: 'claude-sonnet-5', reviewer: 'claude-sonnet-5', qa: 'claude-haiku-4-5' });
    const first = simulateQuality({ seed: 7, tasks, gateRounds: new Map([['T1', 2]]) });
    expect(simulateQuality({ seed: 7, tasks: [...tasks].reverse(), gateRounds: new Map([['T1', 2]]) })).toEqual(first);
    expect(first.introduced).toBe(first.caught + first.escaped);
    expect(first.caught).toBe(first.caughtByGates + first.caughtByQa + first.caughtByReview);
    expect(first.introduced).toBeGreaterThan(0);
  });

  it('small models introduce more defects than large ones, over many seeds', () => {
    const introduced = (builder: string): number =>
      sum(Array.from({ length: 40 }, (_, seed) => simulateQuality({ seed, tasks: plan({ builder }), gateRounds: new Map() }).introduced));
    expect(introduced('claude-haiku-4-5')).toBeGreaterThan(introduced('claude-sonnet-5'));
    expect(introduced('claude-sonnet-5')).toBeGreaterThan(introduced('claude-opus-4-5'));
  });

  it('a reviewer catches only what depends on it; without catchers every defect escapes', () => {
    const seeds = Array.from({ length: 40 }, (_, seed) => seed);
    const bare = seeds.map((seed) => simulateQuality({ seed, tasks: plan({ builder: 'claude-haiku-4-5' }), gateRounds: new Map() }));
    for (const outcome of bare) expect(outcome.escaped).toBe(outcome.introduced);
    const reviewed = seeds.map((seed) =>
      simulateQuality({ seed, tasks: plan({ builder: 'claude-haiku-4-5', reviewer: 'claude-opus-4-5' }), gateRounds: new Map() }),
    );
    // Same seeds, same defects: the reviewer changes only who catches them.
    expect(reviewed.map((outcome) => outcome.introduced)).toEqual(bare.map((outcome) => outcome.introduced));
    expect(sum(reviewed.map((outcome) => outcome.caughtByReview))).toBeGreaterThan(0);
    for (const outcome of reviewed) {
      for (const [taskId, counts] of Object.entries(outcome.byTask)) {
        if (!['T1', 'T2', 'T3'].includes(taskId)) expect(counts.caughtByReview).toBe(0);
      }
    }
  });

  it('gate rounds catch a share; failed tasks carry no defects', () => {
    const tasks = plan({ builder: 'claude-haiku-4-5' });
    const rounds = new Map(tasks.map((task) => [task.id, 3]));
    const gated = sum(Array.from({ length: 20 }, (_, seed) => simulateQuality({ seed, tasks, gateRounds: rounds }).caughtByGates));
    expect(gated).toBeGreaterThan(0);
    const failed = tasks.map((task) => ({ ...task, status: 'failed' }));
    expect(simulateQuality({ seed: 1, tasks: failed, gateRounds: new Map() }).introduced).toBe(0);
  });
});
