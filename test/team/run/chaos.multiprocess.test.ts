/**
 * Chaos: a `run --processes` whose agent processes and coordinator are SIGKILLed
 * at seeded moments, each moment defined by the run's progress in the ledger
 * (the k-th task-claim or task-end line), never by the clock. A killed agent is
 * restarted by the supervisor; a killed coordinator takes its agents with it and
 * `run --resume --processes` takes the run over. Whatever the faults, the run
 * must end done with every task done once, spend matching the ledger, no budget
 * hold left and no process of the run still alive.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SeededRandom } from '../../../src/providers/seeded-random.js';
import { teamStateSchema, type TeamState } from '../../../src/state/index.js';
import { startCli, type CliProcess, type CliResult } from '../../support/cli.js';
import { buildIfStale } from '../../support/fresh-build.js';
import { readEntries, type Entry } from '../../support/ledger.js';
import { isGone, waitUntil } from '../../support/processes.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

// A round is a fixed amount of work by real processes; on a machine loaded by other work it takes many times longer.
// These bounds only catch a hang: they are far above what a round needs, never a window a slow machine can miss.
const HANG_BOUND_MS = 600_000;
vi.setConfig({ testTimeout: 2 * HANG_BOUND_MS, hookTimeout: 2 * HANG_BOUND_MS });

// Six rounds, two at a time: a round mostly waits (on simulated calls, restart backoff, processes starting).
// Their seeded faults kill agents from the first claim to the last task's end, and coordinators from planning
// (two kills in a row) to the end.
const SEED_PAIRS = [
  [101, 102],
  [105, 106],
  [107, 108],
] as const;
const FEATURE = 'Add user authentication with email and password';
// Small rounds: every agent process costs one to two seconds of CPU to start (the tokenizer), and each resume starts them all again.
const TASKS = 4;
// Bound for a broken case only: how long the processes of a killed coordinator may take to go (they stop at once when
// their IPC channel closes; on a loaded machine that still takes a while).
const GONE_BOUND_MS = 180_000;

beforeAll(() => buildIfStale(['src']));

/** One seeded fault: what to SIGKILL once the ledger holds `afterProgress` task-claim/task-end lines. */
interface Fault {
  target: 'agent' | 'coordinator';
  afterProgress: number;
}

/** Two to four faults at seeded points of progress, from the first moment (planning) to the last task's end. */
function faultPlan(seed: number): Fault[] {
  const random = SeededRandom.for('chaos', seed);
  const faults = Array.from({ length: random.int(2, 4) }, (): Fault => {
    const target = random.next() < 0.4 ? 'coordinator' : 'agent';
    return { target, afterProgress: random.int(0, 2 * TASKS - 1) };
  });
  return faults.sort((a, b) => a.afterProgress - b.afterProgress);
}

/** Live processes whose command line names the round's project (its coordinators and agents pass its config file). */
function processesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // gone while listing
    }
    const pid = Number(name);
    if (pid !== process.pid && commandLine.includes(dir) && !isGone(pid)) pids.push(pid);
  }
  return pids;
}

/** The ledger's complete lines so far (a line being appended is skipped until it is whole). */
function ledgerSoFar(file: string): Entry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const entries: Entry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as Entry);
    } catch {
      break;
    }
  }
  return entries;
}

/** Task-claim and task-end lines so far; -1 before the run has started (its state and ledger are not written yet). */
function progressOf(entries: readonly Entry[]): number {
  if (!entries.some((entry) => entry.type === 'run-start')) return -1;
  return entries.filter((entry) => entry.type === 'task-claim' || entry.type === 'task-end').length;
}

function readState(file: string): TeamState | undefined {
  try {
    return teamStateSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined; // not written yet
  }
}

/** Lines of the ledger that begin a coordinator's hold on the run. */
function startsOf(entries: readonly Entry[]): number {
  return entries.filter((entry) => entry.type === 'run-start' || entry.type === 'run-resume').length;
}

/** A coordinator process, whether it has ended, and the run starts and resumes in the ledger before it. */
interface Coordinator {
  cli: CliProcess;
  ended: CliResult | undefined;
  startsBefore: number;
}

function startCoordinator(input: { args: readonly string[]; configFile: string; cwd: string; ledgerFile: string }): Coordinator {
  const startsBefore = startsOf(ledgerSoFar(input.ledgerFile));
  const cli = startCli([...input.args, '--config', input.configFile], { cwd: input.cwd });
  const coordinator: Coordinator = { cli, ended: undefined, startsBefore };
  void coordinator.cli.done.then((result) => {
    coordinator.ended = result;
  });
  return coordinator;
}

/** What a round did, for the assertions' messages. */
interface RoundLog {
  seed: number;
  plan: Fault[];
  agentKills: number[];
  coordinatorKills: number;
  resumes: number;
  skipped: string[];
}

async function chaosRound(seed: number, round: TempProject): Promise<RoundLog> {
  const configFile = await round.write(
    'orchestrator-config.json',
    JSON.stringify({
      agents: [
        { id: 'manager', role: 'team_manager', max_concurrent_tasks: 2 },
        { id: 'backend-dev', role: 'backend_developer', max_concurrent_tasks: 1 },
        { id: 'frontend-dev', role: 'frontend_developer', max_concurrent_tasks: 1 },
      ],
      // Silent agents are noticed after 3 s; a lock left by a killed process is taken over after 2 s;
      // every kill of a round can hit the same agent without its role being given up.
      coordination: { heartbeat_seconds: 1, lock_stale_ms: 2000, agent_restarts: 20, check_interval_seconds: 5 },
      // A limit makes every call reserve its worst case first: the holds of killed agents must be dropped.
      budget: { max_usd: 50 },
      provider: { name: 'sim', seed, time_scale: 0.02, blocker_rate: 0.2 },
    }),
  );
  const stateFile = round.path('.ai-agents/state/team-communication.json');
  const ledgerFile = round.path('.ai-agents/state/run_ledger.jsonl');
  const random = SeededRandom.for('chaos-targets', seed);
  const log: RoundLog = { seed, plan: faultPlan(seed), agentKills: [], coordinatorKills: 0, resumes: 0, skipped: [] };
  const coordinators: Coordinator[] = [];
  const killed = new Set<number>();
  const start = (args: readonly string[]): Coordinator => startCoordinator({ args, configFile, cwd: round.dir, ledgerFile });
  let coordinator = start(['run', '--feature', FEATURE, '--processes', '--plan-tasks', String(TASKS)]);
  coordinators.push(coordinator);

  for (const fault of log.plan) {
    const current = coordinator;
    // The moment: the current coordinator holds the run (its run-start or run-resume is in) and progress has reached the point.
    await waitUntil(
      () => {
        const entries = ledgerSoFar(ledgerFile);
        return current.ended !== undefined || (startsOf(entries) > current.startsBefore && progressOf(entries) >= fault.afterProgress);
      },
      `progress ${fault.afterProgress} (seed ${seed})`,
      HANG_BOUND_MS,
    );
    if (current.ended !== undefined) break; // the run ended (or failed) before this fault
    if (fault.target === 'agent') {
      // An agent process that has joined the run (its agent-start is in the ledger), is still its agent's process and was
      // not killed already (the state names a killed process until the supervisor has noted its end); right after a start
      // or resume, wait for one.
      let candidates: number[] = [];
      await waitUntil(
        () => {
          const started = new Set(ledgerSoFar(ledgerFile).flatMap((entry) => (entry.type === 'agent-start' ? [Number(entry['pid'])] : [])));
          const agents = Object.values(readState(stateFile)?.agents ?? {});
          candidates = agents.flatMap((agent) =>
            agent.pid !== null && agent.status !== 'stopped' && started.has(agent.pid) && !killed.has(agent.pid) && !isGone(agent.pid)
              ? [agent.pid]
              : [],
          );
          return current.ended !== undefined || candidates.length > 0;
        },
        `an agent process to kill (seed ${seed})`,
        HANG_BOUND_MS,
      );
      if (current.ended !== undefined) break;
      const pid = random.pick(candidates.sort((a, b) => a - b));
      try {
        process.kill(pid, 'SIGKILL');
        log.agentKills.push(pid);
        killed.add(pid);
      } catch {
        log.skipped.push(`agent ${pid} ended before its kill at progress ${fault.afterProgress}`);
      }
      continue;
    }
    current.cli.kill('SIGKILL');
    const result = await current.cli.done;
    if (result.signal !== 'SIGKILL') break; // it had just finished by itself
    log.coordinatorKills += 1;
    // Its agents see the IPC channel close and stop; only then is the run resumed.
    await waitUntil(
      () => processesOf(round.dir).length === 0,
      `the processes of the killed coordinator are gone (seed ${seed})`,
      GONE_BOUND_MS,
    );
    coordinator = start(['run', '--resume', '--processes']);
    coordinators.push(coordinator);
    log.resumes += 1;
  }

  const last = await coordinator.cli.done;
  const context = JSON.stringify(log);
  expect(last.code, `${context}\n${last.stdout}\n${last.stderr}`).toBe(0);
  const state = readState(stateFile);
  expect(state?.run.status, context).toBe('done');
  if (state === undefined) return log;
  const ledger = await readEntries(ledgerFile);

  // Every task is done exactly once across all attempts, and never claimed after its done.
  const doneAt = new Map<string, number>();
  ledger.forEach((entry, index) => {
    if (entry.type !== 'task-end' || entry['status'] !== 'done') return;
    const taskId = String(entry['taskId']);
    expect(doneAt.has(taskId), `${taskId} done twice: ${context}`).toBe(false);
    doneAt.set(taskId, index);
  });
  expect([...doneAt.keys()].sort(), context).toEqual(state.tasks.map((task) => task.id).sort());
  expect(
    state.tasks.every((task) => task.status === 'done'),
    context,
  ).toBe(true);
  const lateClaims = ledger.filter(
    (entry, index) => entry.type === 'task-claim' && index > (doneAt.get(String(entry['taskId'])) ?? Number.POSITIVE_INFINITY),
  );
  expect(lateClaims, context).toEqual([]);

  // Spend is the ledger's calls, and no budget hold outlives the processes that made it.
  const ledgerSpend = ledger.filter((entry) => entry.type === 'model-call').reduce((sum, entry) => sum + Number(entry['costUsd']), 0);
  expect(Math.abs(state.budget.spentUsd - ledgerSpend), context).toBeLessThan(1e-9);
  expect(state.budget.reservations, context).toEqual({});
  expect(state.budget.reservedUsd, context).toBe(0);
  expect(state.budget.reservedTokens, context).toBe(0);

  // Each resume that the state recorded took over a run whose owner was gone. (A coordinator killed after its takeover's
  // events reached the ledger but before the state took them leaves no trace: the next commit cuts those events off.)
  const resumesRecorded = ledger.filter((entry) => entry.type === 'run-resume').length;
  // The last resume ran the round to its end, so it is recorded.
  expect(resumesRecorded, context).toBeGreaterThanOrEqual(Math.min(1, log.resumes));
  expect(resumesRecorded, context).toBeLessThanOrEqual(log.resumes);
  expect(ledger.filter((entry) => entry.type === 'run-takeover').length, context).toBe(resumesRecorded);

  // Nothing of the round is left running: every agent process that ever joined, every coordinator, and anything else started for it.
  const agentPids = ledger.filter((entry) => entry.type === 'agent-start').map((entry) => Number(entry['pid']));
  const alive = [...agentPids, ...coordinators.map((started) => started.cli.pid)].filter((pid) => !isGone(pid));
  expect(alive, context).toEqual([]);
  expect(processesOf(round.dir), context).toEqual([]);
  return log;
}

/** One round in its own project; whatever happens, nothing of it is left running or on disk. */
async function runRound(seed: number): Promise<RoundLog> {
  const round = await tempProject('agent-team-chaos-');
  try {
    return await chaosRound(seed, round);
  } finally {
    for (const pid of processesOf(round.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    await round.cleanup();
  }
}

describe('run --processes under seeded SIGKILLs of agents and the coordinator', () => {
  it.each(SEED_PAIRS)(
    'seeds %i and %i: each run ends done, every task done once, spend matching the ledger, no process left',
    async (...seeds) => {
      const rounds = await Promise.allSettled(seeds.map(runRound));
      for (const round of rounds) {
        if (round.status === 'rejected') throw round.reason;
        // At least one fault landed: the first comes before the last task can have ended.
        expect(round.value.agentKills.length + round.value.coordinatorKills, JSON.stringify(round.value)).toBeGreaterThan(0);
      }
    },
  );
});
