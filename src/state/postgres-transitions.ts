/**
 * TaskTransitions on PostgreSQL: each transition one statement of migration 4 (postgres-transitions-sql.ts), sent
 * with the store's clock, channel and a commit id. A statement whose connection is lost is tried again only after
 * asking whether its commit went through (then the answer is 'unknown': what it did is in the state). The ids of the
 * plan's tasks come with a grant only when the plan changed since the last one this process kept.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { StateMissingError } from '../errors/index.js';
import type { RunConnections } from './postgres-connections.js';
import { isBudgetViolation } from './postgres-failure.js';
import { commitExists } from './postgres-queries.js';
import { COLLECTIONS, type JsonRow, rowToEntry } from './postgres-rows.js';
import type {
  AgentLook,
  AgentRegistration,
  BeatOutcome,
  ClaimOutcome,
  DoneReport,
  ModelsBySize,
  RegisterOutcome,
  ReportOutcome,
  TaskGrant,
  TaskTransitions,
  TransitionAgent,
  TransitionRefusal,
} from './task-transitions.js';
import type { Blocker, RunOwner, Task } from './team-state.js';

const TASKS = COLLECTIONS.find((spec) => spec.table === 'tasks');
const BLOCKERS = COLLECTIONS.find((spec) => spec.table === 'blockers');

const PLANS_KEPT = 4;

// The roster as JSON, made once per roster (a caller keeps one per config): it goes with every report.
const rosterTexts = new WeakMap<readonly TransitionAgent[], string>();

function rosterJson(roster: readonly TransitionAgent[]): string {
  let text = rosterTexts.get(roster);
  if (text === undefined) {
    text = JSON.stringify(roster);
    rosterTexts.set(roster, text);
  }
  return text;
}

/** The plan's ids as of the run's graph_seq they were read at. */
interface KnownPlan {
  readonly graphSeq: number;
  readonly ids: readonly string[];
}

/** A grant as the statement answers it. */
interface GrantRow {
  task: JsonRow;
  dependencies: JsonRow[];
  blockers: JsonRow[];
  graphSeq: number;
  /** The plan's ids from place taskIdsFrom on (the caller's known ids before it), or null when the caller's are current. */
  taskIds: string[] | null;
  taskIdsFrom: number;
}

type LookAnswer =
  | { kind: 'missing' }
  | {
      kind: 'look';
      runStatus: AgentLook['runStatus'];
      agentStatus: NonNullable<AgentLook['agentStatus']> | null;
      room: boolean;
      held: GrantRow[];
    };

type Answer =
  | { kind: 'missing' | 'undecided' | 'none' }
  | { kind: 'not-owner'; runId: string; owner: RunOwner | null }
  | { kind: 'rejected'; seq: number; work: boolean }
  | { kind: 'claimed'; seq: number; grant: GrantRow }
  // work: the commit notified the run's work channel too (see WatchScope).
  | { kind: 'done'; seq: number; grants: GrantRow[]; work: boolean }
  | { kind: 'registered'; seq: number; runId: string; workspace: string | null }
  | { kind: 'beat'; seq: number };

/** The transitions of one PostgresStore's run. */
export class PostgresTransitions implements TaskTransitions {
  readonly #connections: RunConnections;
  readonly #run: string;
  readonly #where: string;
  readonly #channel: string;
  readonly #now: () => Date;
  readonly #knownSeq: () => number | undefined;
  readonly #committed: (seq: number, work: boolean) => void;
  readonly #assertOpen: (call: string) => void;
  // The plan's ids by the run's graph_seq they were read at (the newest few: answers of calls sent at once may come
  // back after a newer plan's).
  readonly #plans = new Map<number, readonly string[]>();
  #newest: KnownPlan = { graphSeq: -1, ids: [] };

  constructor(input: {
    connections: RunConnections;
    run: string;
    where: string;
    channel: string;
    now: () => Date;
    /** A seq the run had reached before this call (to find a commit whose answer was lost). */
    knownSeq: () => number | undefined;
    /** Hears of each commit made here, and whether it was one of work (see WatchScope). */
    committed: (seq: number, work: boolean) => void;
    /** Throws when the store was closed. */
    assertOpen: (call: string) => void;
  }) {
    this.#connections = input.connections;
    this.#run = input.run;
    this.#where = input.where;
    this.#channel = input.channel;
    this.#now = input.now;
    this.#knownSeq = input.knownSeq;
    this.#committed = input.committed;
    this.#assertOpen = input.assertOpen;
  }

  async look(input: { agentId: string }): Promise<AgentLook> {
    this.#assertOpen('transitions.look()');
    const known = this.#newest;
    const answer = await this.#connections.retrying({ action: 'read the state of', kept: 'Nothing was changed.' }, async (client) => {
      const result = await client.query<{ answer: LookAnswer }>({
        name: 'agent_team_look',
        text: 'SELECT agent_team_look($1, $2, $3, $4) AS answer',
        values: [this.#run, input.agentId, known.graphSeq, known.ids.length],
      });
      return (result.rows[0] as { answer: LookAnswer }).answer;
    });
    if (answer.kind === 'missing') throw new StateMissingError({ file: this.#where, location: 'database' });
    return {
      runStatus: answer.runStatus,
      agentStatus: answer.agentStatus ?? undefined,
      room: answer.room,
      held: answer.held.map((grant) => this.#grant(grant, known)),
    };
  }

  async claim(input: { agentId: string; models: ModelsBySize; lease?: string | undefined }): Promise<ClaimOutcome> {
    const known = this.#newest;
    const answer = await this.#send(
      { call: 'transitions.claim()', action: 'claim a task in', name: 'agent_team_claim' },
      (commitId, at) => [
        this.#run,
        input.agentId,
        input.lease ?? null,
        JSON.stringify(input.models),
        known.graphSeq,
        known.ids.length,
        at,
        commitId,
        this.#channel,
      ],
    );
    if (answer === 'unknown') return { kind: 'unknown' };
    if (answer.kind === 'claimed') return { kind: 'claimed', grant: this.#grant(answer.grant, known) };
    if (answer.kind === 'none') return { kind: 'none' };
    return this.#refusal(answer);
  }

  async reportDone(report: DoneReport): Promise<ReportOutcome> {
    const known = this.#newest;
    let answer: Answer | 'unknown';
    try {
      answer = await this.#send(
        { call: 'transitions.reportDone()', action: 'report a task done in', name: 'agent_team_report_done' },
        (commitId, at) => [
          this.#run,
          report.agentId,
          report.taskId,
          report.fence,
          report.lease ?? null,
          JSON.stringify(report.result),
          report.normalized,
          report.detail,
          report.spend === undefined ? null : JSON.stringify(report.spend),
          rosterJson(report.roster),
          known.graphSeq,
          known.ids.length,
          at,
          commitId,
          this.#channel,
        ],
      );
    } catch (error) {
      // The spend went over a limit: update() commits it and says so (BudgetExceededError), as for any update.
      if (isBudgetViolation(error)) return { kind: 'undecided' };
      throw error;
    }
    if (answer === 'unknown') return { kind: 'unknown' };
    if (answer.kind === 'done') return { kind: 'done', grants: answer.grants.map((grant) => this.#grant(grant, known)) };
    if (answer.kind === 'rejected') return { kind: 'rejected' };
    return this.#refusal(answer);
  }

  async register(registration: AgentRegistration): Promise<RegisterOutcome> {
    const answer = await this.#send(
      { call: 'transitions.register()', action: 'register an agent in', name: 'agent_team_register' },
      (commitId, at) => [
        this.#run,
        registration.agentId,
        registration.pid,
        registration.host,
        registration.lease ?? null,
        rosterJson(registration.roster),
        at,
        commitId,
        this.#channel,
      ],
    );
    if (answer === 'unknown') return { kind: 'unknown' };
    if (answer.kind === 'registered') return { kind: 'registered', runId: answer.runId, workspaceRepo: answer.workspace };
    // No run yet: update() creates it when the store was given its initial state (and says it is missing otherwise).
    if (answer.kind === 'missing') return { kind: 'undecided' };
    return this.#refusal(answer);
  }

  async beat(input: { agentId: string; lease?: string | undefined }): Promise<BeatOutcome> {
    const answer = await this.#send(
      { call: 'transitions.beat()', action: 'write a heartbeat to', name: 'agent_team_beat' },
      (commitId, at) => [this.#run, input.agentId, input.lease ?? null, at, commitId],
    );
    if (answer === 'unknown') return { kind: 'unknown' };
    if (answer.kind === 'beat') return { kind: 'beat' };
    return this.#refusal(answer);
  }

  #refusal(answer: Answer): TransitionRefusal {
    if (answer.kind === 'missing') throw new StateMissingError({ file: this.#where, location: 'database' });
    if (answer.kind === 'not-owner') return { kind: 'not-owner', runId: answer.runId, owner: answer.owner };
    return { kind: 'undecided' };
  }

  /** Sends one transition statement; 'unknown' when its connection was lost and its commit went through. */
  async #send(
    operation: { call: string; action: string; name: string },
    values: (commitId: string, at: string) => unknown[],
  ): Promise<Answer | 'unknown'> {
    this.#assertOpen(operation.call);
    const commitId = randomUUID();
    const at = this.#now().toISOString();
    const afterSeq = this.#knownSeq() ?? 0;
    const parameters = values(commitId, at);
    let sent = false;
    const answer = await this.#connections.retrying(
      { action: operation.action, kept: 'Nothing of this change was written: the database holds the last committed state.' },
      async (client: pg.PoolClient): Promise<Answer | 'unknown'> => {
        if (sent && (await commitExists(client, { run: this.#run, afterSeq, commitId }))) return 'unknown';
        sent = true;
        const placeholders = parameters.map((_, index) => `$${index + 1}`).join(', ');
        const result = await client.query<{ answer: Answer }>({
          name: operation.name,
          text: `SELECT ${operation.name}(${placeholders}) AS answer`,
          values: parameters,
        });
        return (result.rows[0] as { answer: Answer }).answer;
      },
    );
    if (answer !== 'unknown' && (answer.kind === 'claimed' || answer.kind === 'done' || answer.kind === 'rejected')) {
      this.#committed(Number(answer.seq), answer.kind !== 'claimed' && answer.work);
    }
    if (answer !== 'unknown' && answer.kind === 'registered') this.#committed(Number(answer.seq), true);
    if (answer !== 'unknown' && answer.kind === 'beat') this.#committed(Number(answer.seq), false);
    return answer;
  }

  /** A grant as the caller reads it; `known`: the plan's ids the call was sent with (the server sent only those after them). */
  #grant(row: GrantRow, known: KnownPlan): TaskGrant {
    const graphSeq = Number(row.graphSeq);
    if (row.taskIds !== null && !this.#plans.has(graphSeq)) {
      const from = Number(row.taskIdsFrom);
      // Nothing added: the same list (and so whatever its readers keep for it) under the new graph_seq.
      const ids = from === 0 ? row.taskIds : row.taskIds.length === 0 ? known.ids : [...known.ids.slice(0, from), ...row.taskIds];
      this.#plans.set(graphSeq, ids);
      if (graphSeq > this.#newest.graphSeq) this.#newest = { graphSeq, ids };
      for (const kept of this.#plans.keys()) if (this.#plans.size > PLANS_KEPT) this.#plans.delete(kept);
    }
    const task = this.#task(row.task);
    return {
      task,
      dependencies: row.dependencies.map((dependency) => this.#task(dependency)),
      blockers: row.blockers.map(
        (blocker) =>
          rowToEntry({
            ...(BLOCKERS as NonNullable<typeof BLOCKERS>),
            row: blocker,
            rowName: `"${String(blocker.key)}"`,
            where: this.#where,
          }) as Blocker,
      ),
      taskIds: this.#plans.get(graphSeq) ?? (graphSeq === known.graphSeq ? known.ids : []),
    };
  }

  #task(row: JsonRow): Task {
    return rowToEntry({ ...(TASKS as NonNullable<typeof TASKS>), row, rowName: `"${String(row.key)}"`, where: this.#where }) as Task;
  }
}
