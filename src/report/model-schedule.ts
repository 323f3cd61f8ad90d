import type { LedgerEntry, LedgerEvent } from '../state/index.js';
import { ModelLane } from './model-lane.js';

type Entry = LedgerEntry<LedgerEvent>;
type Event<T extends LedgerEvent['type']> = Extract<LedgerEvent, { type: T }>;

/** What the replay needs besides the ledger: the dependency graph and the roster's room. */
export interface ScheduleInput {
  ledger: readonly Entry[];
  /** Each task's dependencies, as the final state has them (prerequisites added by resolutions included). */
  dependencies: ReadonlyMap<string, readonly string[]>;
  /** How many tasks each agent may hold at once (`max_concurrent_tasks`); 1 for an agent not listed. */
  capacities: ReadonlyMap<string, number>;
}

/** The run replayed on a virtual clock of model time. */
export interface ModelSchedule {
  /** From the start of planning to the end of the integration summary, in model time. */
  makespanMs: number;
  /** The sum of every model call's latency. */
  modelMs: number;
  /** Calls whose latency the sim drew, and calls whose latency was measured. */
  simulatedCalls: number;
  measuredCalls: number;
  /** What each lane did when, on the same clock: the timeline of the run. */
  spans: ScheduleSpan[];
}

/** One stretch of work on the model-time clock. */
export interface ScheduleSpan {
  /** The agent whose lane it is (`gates` for review rounds). */
  lane: string;
  kind: 'plan' | 'work' | 'review' | 'resolve' | 'integrate';
  taskId: string | null;
  start: number;
  end: number;
  /** How a work span ended: done, failed, cancelled, blocked, released, review, or open (an interrupted run). */
  outcome: string;
}

// An attempt on an agent's lane; a review round (its gates run at once: the longest call, plus the
// longest repair call); a blocker waiting for the manager.
type Work = { agentId: string; slot: number; start: number; ms: number };
type Review = { start: number; longestCall: number; longestRepair: number };
type OpenBlocker = { raisedAt: number; ms: number };

/**
 * Replays a ledger on a virtual clock where only model calls take time. Every fact
 * it uses is causal, so each event finds what it waits for earlier in the ledger,
 * whatever the interleaving of independent agents was.
 */
class ScheduleReplay {
  readonly #input: ScheduleInput;
  readonly #lanes = new Map<string, ModelLane>();
  // When each task may next be worked on: after the plan, its last phase, or the resolution that created it.
  readonly #readyAt = new Map<string, number>();
  readonly #finishedAt = new Map<string, number>();
  // When each task last let go of its files (left progress, or review in a workspace run).
  readonly #filesFreeAt = new Map<string, number>();
  // Recorded file waits, until the waiting task's next claim.
  readonly #waitsFor = new Map<string, string>();
  readonly #work = new Map<string, Work>();
  readonly #reviews = new Map<string, Review>();
  readonly #blockers = new Map<string, OpenBlocker>();
  #planEnd = 0;
  #lastResolutionEnd = 0;
  #integrationMs = 0;
  #latest = 0;
  #modelMs = 0;
  #simulatedCalls = 0;
  #measuredCalls = 0;
  readonly #spans: ScheduleSpan[] = [];
  #integrator = 'manager';

  constructor(input: ScheduleInput) {
    this.#input = input;
  }

  apply(entry: Entry): void {
    switch (entry.type) {
      case 'model-call':
        this.#call(entry);
        return;
      case 'plan-create':
        for (const taskId of entry.taskIds) this.#readyAt.set(taskId, this.#planEnd);
        return;
      case 'task-create':
        this.#readyAt.set(entry.taskId, this.#lastResolutionEnd);
        return;
      case 'task-wait':
        this.#waitsFor.set(entry.taskId, entry.blockingTaskId);
        return;
      case 'task-claim':
        this.#claim(entry);
        return;
      case 'task-review':
        this.#endWork(entry.taskId, true);
        return;
      case 'blocker-raise':
        this.#blockers.set(entry.taskId, { raisedAt: this.#endPhase(entry.taskId, 'blocked'), ms: 0 });
        return;
      case 'blocker-resolve':
        this.#resolve(entry);
        return;
      case 'task-release':
        this.#endPhase(entry.taskId, 'released');
        return;
      case 'task-merge':
        this.#endPhase(entry.taskId, 'merged');
        return;
      case 'task-end': {
        const end = this.#endPhase(entry.taskId, entry.status);
        if (entry.status === 'done') this.#finishedAt.set(entry.taskId, end);
        return;
      }
      default:
        return;
    }
  }

  /** Ends what is still open (an interrupted run) at the model time it had, and adds the integration. */
  finish(): ModelSchedule {
    for (const taskId of [...this.#work.keys(), ...this.#reviews.keys()]) this.#endPhase(taskId, 'open');
    for (const blocker of this.#blockers.values()) this.#note(blocker.raisedAt + blocker.ms);
    if (this.#integrationMs > 0) {
      this.#spans.push({
        lane: this.#integrator,
        kind: 'integrate',
        taskId: null,
        start: this.#latest,
        end: this.#latest + this.#integrationMs,
        outcome: 'done',
      });
    }
    return {
      makespanMs: this.#latest + this.#integrationMs,
      modelMs: this.#modelMs,
      simulatedCalls: this.#simulatedCalls,
      measuredCalls: this.#measuredCalls,
      spans: this.#spans,
    };
  }

  #call(call: Event<'model-call'>): void {
    const ms = Math.max(0, call.latencyMs);
    this.#modelMs += ms;
    if (call.simulated) this.#simulatedCalls += 1;
    else this.#measuredCalls += 1;
    const taskId = call.taskId ?? '';
    if (call.purpose === 'plan') {
      this.#spans.push({ lane: call.agentId, kind: 'plan', taskId: null, start: this.#planEnd, end: this.#planEnd + ms, outcome: 'done' });
      this.#planEnd += ms;
      this.#note(this.#planEnd);
    } else if (call.purpose === 'integrate') {
      this.#integrationMs += ms;
      this.#integrator = call.agentId;
    } else if (call.purpose === 'resolve') {
      const blocker = this.#blockers.get(taskId);
      if (blocker !== undefined) blocker.ms += ms;
    } else if (call.purpose === 'gate') {
      const review = this.#reviews.get(taskId);
      if (review === undefined) return;
      if (call.repair) review.longestRepair = Math.max(review.longestRepair, ms);
      else review.longestCall = Math.max(review.longestCall, ms);
    } else {
      // A late answer to an attempt already taken away is in the sum, not on the clock.
      const work = this.#work.get(taskId);
      if (work?.agentId === call.agentId) work.ms += ms;
    }
  }

  #claim(claim: Event<'task-claim'>): void {
    const { taskId, agentId } = claim;
    let readyAt = this.#endPhase(taskId);
    for (const dependency of this.#input.dependencies.get(taskId) ?? []) {
      // A dependency not finished by this claim was added later (a new prerequisite): it did not hold this attempt back.
      readyAt = Math.max(readyAt, this.#finishedAt.get(dependency) ?? 0);
    }
    const blocking = this.#waitsFor.get(taskId);
    if (blocking !== undefined) {
      readyAt = Math.max(readyAt, this.#filesFreeAt.get(blocking) ?? 0);
      this.#waitsFor.delete(taskId);
    }
    const lane = this.#laneOf(agentId);
    const { slot, start } = lane.take(readyAt);
    this.#work.set(taskId, { agentId, slot, start, ms: 0 });
  }

  #resolve(resolve: Event<'blocker-resolve'>): void {
    const { taskId } = resolve;
    const blocker = this.#blockers.get(taskId) ?? { raisedAt: this.#endPhase(taskId), ms: 0 };
    this.#blockers.delete(taskId);
    const lane = this.#laneOf(resolve.agentId);
    const { slot, start } = lane.take(blocker.raisedAt);
    const end = start + blocker.ms;
    lane.release(slot, end);
    this.#spans.push({ lane: resolve.agentId, kind: 'resolve', taskId, start, end, outcome: resolve.resolutionKind });
    this.#readyAt.set(taskId, end);
    this.#lastResolutionEnd = end;
    this.#note(end);
  }

  /** Ends the task's open work or review, if any, for `outcome`; returns when the task may next be worked on. */
  #endPhase(taskId: string, outcome = 'open'): number {
    if (this.#work.has(taskId)) return this.#endWork(taskId, false, outcome);
    const review = this.#reviews.get(taskId);
    if (review !== undefined) {
      this.#reviews.delete(taskId);
      const end = review.start + review.longestCall + review.longestRepair;
      this.#spans.push({ lane: 'gates', kind: 'review', taskId, start: review.start, end, outcome });
      this.#readyAt.set(taskId, end);
      this.#filesFreeAt.set(taskId, end);
      this.#note(end);
      return end;
    }
    return this.#readyAt.get(taskId) ?? this.#planEnd;
  }

  #endWork(taskId: string, toReview: boolean, outcome = 'review'): number {
    const work = this.#work.get(taskId);
    if (work === undefined) {
      const at = this.#endPhase(taskId, outcome);
      if (toReview) this.#reviews.set(taskId, { start: at, longestCall: 0, longestRepair: 0 });
      return at;
    }
    this.#work.delete(taskId);
    const end = work.start + work.ms;
    this.#spans.push({ lane: work.agentId, kind: 'work', taskId, start: work.start, end, outcome: toReview ? 'review' : outcome });
    this.#lanes.get(work.agentId)?.release(work.slot, end);
    this.#readyAt.set(taskId, end);
    if (toReview) this.#reviews.set(taskId, { start: end, longestCall: 0, longestRepair: 0 });
    else this.#filesFreeAt.set(taskId, end);
    this.#note(end);
    return end;
  }

  #laneOf(agentId: string): ModelLane {
    let lane = this.#lanes.get(agentId);
    if (lane === undefined) {
      lane = new ModelLane(this.#input.capacities.get(agentId) ?? 1);
      this.#lanes.set(agentId, lane);
    }
    return lane;
  }

  #note(at: number): void {
    this.#latest = Math.max(this.#latest, at);
  }
}

/** Replays the run's ledger on a virtual clock of model time (see RunMetrics.parallelTimeMs). */
export function replayModelSchedule(input: ScheduleInput): ModelSchedule {
  const replay = new ScheduleReplay(input);
  for (const entry of input.ledger) replay.apply(entry);
  return replay.finish();
}
