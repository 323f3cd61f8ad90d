/**
 * Team metrics of real sim runs come from model time: the same seed gives the same
 * parallel time, sequential time and speedup whatever the pacing and the process
 * layout, and a run stopped mid-way and resumed counts no pause.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig, type TeamConfig } from '../../src/config/index.js';
import { createSimProvider } from '../../src/providers/index.js';
import { runMetrics, type RunMetrics } from '../../src/report/run-metrics.js';
import { type LedgerEntry, type LedgerEvent, teamStateSchema } from '../../src/state/index.js';
import { runTeam } from '../../src/team/index.js';
import { runCommand } from '../support/cli-in-process.js';
import { ensureBuilt } from '../support/cli.js';
import { readEntries, type Entry } from '../support/ledger.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const FEATURE = 'Add user authentication with email and password';
const SEED = 2;
const projects: TempProject[] = [];

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

async function newProject(): Promise<{ project: TempProject; config: TeamConfig }> {
  const project = await tempProject();
  projects.push(project);
  return { project, config: loadTeamConfig({ cwd: project.dir }) };
}

function figures(metrics: RunMetrics): Pick<RunMetrics, 'parallelTimeMs' | 'estimatedSequentialTimeMs' | 'speedupRatio' | 'speedup'> {
  const { parallelTimeMs, estimatedSequentialTimeMs, speedupRatio, speedup } = metrics;
  return { parallelTimeMs, estimatedSequentialTimeMs, speedupRatio, speedup };
}

function modelTimeOf(ledger: readonly Entry[]): number {
  return ledger.filter((entry) => entry.type === 'model-call').reduce((sum, entry) => sum + (entry['latencyMs'] as number), 0);
}

describe('team metrics of a sim run', () => {
  it('are the same for a seed at time scale 0, at a small positive time scale and with agents as processes', async () => {
    const instant = await newProject();
    const first = await runTeam({ config: instant.config, feature: FEATURE, seed: SEED, timeScale: 0 });
    const paced = await newProject();
    const second = await runTeam({ config: paced.config, feature: FEATURE, seed: SEED, timeScale: 0.002 });
    const spawned = await newProject();
    const cli = await runCommand(['run', '--feature', FEATURE, '--seed', String(SEED), '--time-scale', '0', '--processes', '--json'], {
      cwd: spawned.project.dir,
    });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const third = JSON.parse(cli.stdout) as { status: string; files: { summary: string; ledger: string } };
    const thirdSummary = JSON.parse(await readFile(third.files.summary, 'utf8')) as { metrics: RunMetrics };

    expect([first.status, second.status, third.status]).toEqual(['done', 'done', 'done']);
    expect(figures(second.summary.metrics)).toEqual(figures(first.summary.metrics));
    expect(figures(thirdSummary.metrics)).toEqual(figures(first.summary.metrics));
    // Sequential time is the ledger's model time; parallel time is shorter with four agents, longer than any single call.
    const ledger = await readEntries(first.files.ledger);
    expect(first.summary.metrics.estimatedSequentialTimeMs).toBe(modelTimeOf(ledger));
    expect(first.summary.metrics.estimatedSequentialTimeMs).toBe(first.summary.time.modelMs);
    expect(first.summary.metrics.parallelTimeMs).toBeLessThan(first.summary.metrics.estimatedSequentialTimeMs);
    expect(first.summary.metrics.speedupRatio).toBeGreaterThan(1);
    expect(first.summary.metrics.timeBasis).toBe('simulated model time');
    // At time scale 0 the run took far less wall time than its model time: the figures are not the wall clock.
    expect(first.summary.time.wallMs ?? 0).toBeLessThan(first.summary.metrics.parallelTimeMs);
  });

  it('stopped mid-run and resumed, count no pause: the same figures as an uninterrupted run of the seed', async () => {
    const straight = await newProject();
    const uninterrupted = await runTeam({ config: straight.config, feature: FEATURE, seed: SEED, timeScale: 0 });
    expect(uninterrupted.status).toBe('done');

    const { config } = await newProject();
    const stop = new AbortController();
    let calls = 0;
    // The sim's waits are instant, except the fifth call's, which is still waiting when Ctrl-C comes.
    const sim = createSimProvider({
      seed: SEED,
      timeScale: 1,
      latencyMs: config.orchestrator.provider.latency_ms,
      blockerRate: config.orchestrator.provider.blocker_rate,
      gateFailureRate: config.orchestrator.provider.gate_failure_rate,
      sleep: (_ms, signal) => {
        calls += 1;
        if (calls !== 5) return Promise.resolve();
        stop.abort(new Error('Ctrl-C'));
        return new Promise((_resolve, reject) => {
          if (signal?.aborted === true) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      },
    });
    const interrupted = await runTeam({ config, feature: FEATURE, seed: SEED, providerInstance: sim, signal: stop.signal });
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.summary.tasks.byStatus['done'] ?? 0).toBeLessThan(interrupted.summary.tasks.total);

    const resumed = await runTeam({ config, resume: true, timeScale: 0 });
    expect(resumed.status).toBe('done');
    expect(resumed.summary.resumes).toBe(1);
    expect(figures(resumed.summary.metrics)).toEqual(figures(uninterrupted.summary.metrics));
    const ledger = (await readEntries(resumed.files.ledger)) as unknown as LedgerEntry<LedgerEvent>[];
    expect(resumed.summary.metrics.estimatedSequentialTimeMs).toBe(modelTimeOf(ledger as unknown as Entry[]));

    // However long the pause before the resume, the figures stay: here a day.
    const resumedAt = ledger.findIndex((entry) => entry.type === 'run-resume');
    expect(resumedAt).toBeGreaterThan(0);
    const paused = ledger.map((entry, index) =>
      index < resumedAt ? entry : { ...entry, at: new Date(Date.parse(entry.at) + 86_400_000).toISOString() },
    );
    const state = teamStateSchema.parse(JSON.parse(await readFile(resumed.files.state, 'utf8')));
    expect(figures(runMetrics(state, paused, resumed.summary.costUsd))).toEqual(figures(resumed.summary.metrics));
  });
});
