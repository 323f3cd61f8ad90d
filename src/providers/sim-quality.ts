/**
 * The sim's model of quality, so team designs trade cost against quality.
 *
 * Every finished task that builds something (any role but QA and review) may
 * carry defects: a Poisson count with mean BASE_DEFECTS[complexity] times
 * MODEL_FACTOR[class of the model that did its last work call]. Each defect is
 * then caught, in this order, by every gate round the task's change went
 * through (GATE_CATCH each), by every finished QA task and then every finished
 * review task that depends on it (directly or through other tasks), each with a
 * share by the class of its own model (QA_CATCH, REVIEW_CATCH). A defect no one
 * catches escapes. Every draw is seeded by (seed, task, defect, catcher), so the
 * figures do not depend on the order in which agents worked.
 *
 * It is computed from the plan and the ledger after the run: it changes no
 * answer, call, token or cost of the sim.
 */
import { SeededRandom } from './seeded-random.js';
import { roleKind } from './sim-plan.js';

/** How capable a model is, by its name: small (haiku, mini, nano), large (opus, gpt-5), else mid. */
export type ModelClass = 'small' | 'mid' | 'large';

/** Mean defects of a task by complexity, for a mid-class model. */
export const BASE_DEFECTS: Readonly<Record<'simple' | 'medium' | 'complex', number>> = { simple: 0.2, medium: 0.5, complex: 1 };
/** Multiplier on the mean by the class of the model that did the work. */
export const MODEL_FACTOR: Readonly<Record<ModelClass, number>> = { small: 2, mid: 1, large: 0.5 };
/** Share of a task's defects a finished review task downstream catches, by the reviewer's model class. */
export const REVIEW_CATCH: Readonly<Record<ModelClass, number>> = { small: 0.4, mid: 0.6, large: 0.75 };
/** Share a finished QA task downstream catches, by the tester's model class. */
export const QA_CATCH: Readonly<Record<ModelClass, number>> = { small: 0.3, mid: 0.45, large: 0.55 };
/** Share each gate round over a task's change catches. */
export const GATE_CATCH = 0.2;

/** A task of the run as the quality model sees it. */
export interface QualityTask {
  readonly id: string;
  readonly role: string;
  readonly complexity: string | null;
  readonly status: string;
  readonly dependsOn: readonly string[];
  /** The model of the task's last work call; null when it never had one. */
  readonly model: string | null;
}

/** Defects of one task, or of the run. */
export interface DefectCounts {
  introduced: number;
  caughtByGates: number;
  caughtByQa: number;
  caughtByReview: number;
  caught: number;
  escaped: number;
}

/** The quality of a simulated run. */
export interface QualityOutcome extends DefectCounts {
  /** escaped / introduced; 0 when nothing was introduced. */
  escapeRate: number;
  /** Per building task that introduced at least one defect. */
  byTask: Record<string, DefectCounts>;
}

/** The class of a model id. */
export function modelClass(model: string | null): ModelClass {
  if (model === null) return 'mid';
  if (/haiku|mini|nano|flash|small/i.test(model)) return 'small';
  if (/opus|^gpt-5|^o\d|pro|large/i.test(model)) return 'large';
  return 'mid';
}

function poisson(random: SeededRandom, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random.next();
  while (product > limit) {
    count += 1;
    product *= random.next();
  }
  return count;
}

/** Every task each task depends on, directly or not. */
function ancestors(tasks: readonly QualityTask[]): Map<string, Set<string>> {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const memo = new Map<string, Set<string>>();
  const visit = (id: string, path: Set<string>): Set<string> => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const found = new Set<string>();
    if (path.has(id)) return found; // a cycle cannot be planned; never loop on one
    path.add(id);
    for (const parent of byId.get(id)?.dependsOn ?? []) {
      found.add(parent);
      for (const further of visit(parent, path)) found.add(further);
    }
    path.delete(id);
    memo.set(id, found);
    return found;
  };
  for (const task of tasks) visit(task.id, new Set());
  return memo;
}

function emptyCounts(): DefectCounts {
  return { introduced: 0, caughtByGates: 0, caughtByQa: 0, caughtByReview: 0, caught: 0, escaped: 0 };
}

/** The defects a run's finished work carried, and who caught them; deterministic for a seed. */
export function simulateQuality(input: {
  seed: number;
  tasks: readonly QualityTask[];
  /** Gate rounds each task's change went through. */
  gateRounds: ReadonlyMap<string, number>;
}): QualityOutcome {
  const done = input.tasks.filter((task) => task.status === 'done');
  const upstream = ancestors(input.tasks);
  const catchers = (kind: 'qa' | 'review', target: string): QualityTask[] =>
    done
      .filter((task) => roleKind(task.role) === kind && upstream.get(task.id)?.has(target) === true)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  const total = emptyCounts();
  const byTask: Record<string, DefectCounts> = {};
  for (const task of done) {
    const kind = roleKind(task.role);
    if (kind === 'qa' || kind === 'review') continue;
    const complexity = task.complexity === 'simple' || task.complexity === 'complex' ? task.complexity : 'medium';
    const mean = BASE_DEFECTS[complexity] * MODEL_FACTOR[modelClass(task.model)];
    const introduced = poisson(SeededRandom.for(input.seed, 'quality', task.id, 'defects'), mean);
    if (introduced === 0) continue;
    const counts = emptyCounts();
    counts.introduced = introduced;
    const rounds = input.gateRounds.get(task.id) ?? 0;
    const stages: { field: 'caughtByGates' | 'caughtByQa' | 'caughtByReview'; by: string; share: number }[] = [
      ...Array.from({ length: rounds }, (_, round) => ({ field: 'caughtByGates' as const, by: `gate#${round}`, share: GATE_CATCH })),
      ...catchers('qa', task.id).map((qa) => ({ field: 'caughtByQa' as const, by: qa.id, share: QA_CATCH[modelClass(qa.model)] })),
      ...catchers('review', task.id).map((review) => ({
        field: 'caughtByReview' as const,
        by: review.id,
        share: REVIEW_CATCH[modelClass(review.model)],
      })),
    ];
    for (let defect = 0; defect < introduced; defect += 1) {
      const stage = stages.find(({ by, share }) => SeededRandom.for(input.seed, 'quality', task.id, defect, by).next() < share);
      if (stage === undefined) counts.escaped += 1;
      else {
        counts[stage.field] += 1;
        counts.caught += 1;
      }
    }
    byTask[task.id] = counts;
    for (const key of Object.keys(total) as (keyof DefectCounts)[]) total[key] += counts[key];
  }
  return { ...total, escapeRate: total.introduced === 0 ? 0 : total.escaped / total.introduced, byTask };
}
