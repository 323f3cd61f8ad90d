import { resolve } from 'node:path';
import { loadTeamConfig, type StoreLocation } from '../../config/index.js';
import { designOverrides } from './design-options.js';
import { SignalInterruptError, UsageError } from '../../errors/index.js';
import { plainText, startTracing, stopTracing, withTraceParentFromEnv } from '../../observability/index.js';
import { resumeCommand, runTeam, type RunTeamResult } from '../../team/index.js';
import { exitCodeForRunStatus } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { packageVersion } from '../package-version.js';
import { showProgress } from '../progress.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { storeChoice } from '../store-option.js';
import { experimentFolders } from '../experiments-option.js';

/** Options of `agent-team run`. */
export interface RunCommandOptions {
  /** `--store`: the file store or a PostgreSQL URL (default: AGENT_TEAM_STORE, else the file store). */
  store?: string | undefined;
  /** `--remote-agents`: role agents served by `agent-team worker` elsewhere, comma-separated. */
  remoteAgents?: string | undefined;
  feature?: string | undefined;
  config?: string | undefined;
  /** `--roster FILE`: the roster (the `agents` list of orchestrator-config.json) replacing the config's. */
  roster?: string | undefined;
  /** `--tiers FILE`: a YAML or JSON map tier → model replacing the config's tiers. */
  tiers?: string | undefined;
  provider?: string | undefined;
  seed?: number | undefined;
  budgetUsd?: number | undefined;
  timeScale?: number | undefined;
  blockerRate?: number | undefined;
  planTasks?: number | undefined;
  processes?: boolean | undefined;
  record?: string | undefined;
  replay?: string | undefined;
  /** A repository path, or true for the config's project_dir. */
  workspace?: string | boolean | undefined;
  resume?: boolean | undefined;
  force?: boolean | undefined;
  json?: boolean | undefined;
  /** `--ui`: a read-only dashboard of the run on 127.0.0.1 while it runs. */
  ui?: boolean | undefined;
  /** `--ui-port`: its port (default: a free one). */
  uiPort?: number | undefined;
  /** `--experiments DIR`: more folders of experiments the --ui dashboard shows, besides ./experiments. */
  experiments?: string[] | undefined;
  cwd: string;
  terminal: Terminal;
  /** Supplied by tests and the server; the CLI uses Ctrl-C. */
  signal?: AbortSignal | undefined;
}

function printSummary(terminal: Terminal, result: RunTeamResult, store: StoreLocation['kind']): void {
  const { summary } = result;
  const byStatus = Object.entries(summary.tasks.byStatus)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  const forecast = summary.simulated ? paint(terminal, 'dim', ' (simulated)') : '';
  println(terminal);
  println(
    terminal,
    paint(terminal, 'bold', `Run ${summary.runId}: ${summary.status}`) +
      (summary.endReason === null ? '' : ` — ${plainText(summary.endReason)}`),
  );
  println(terminal, `  tasks     ${summary.tasks.total} (${byStatus})`);
  const loops = summary.blockers.loops > 0 ? `, ${summary.blockers.loops} loop(s)` : '';
  println(terminal, `  blockers  ${summary.blockers.raised} raised, ${summary.blockers.resolved} resolved${loops}`);
  println(
    terminal,
    `  tokens    ${summary.tokens.total} (input ${summary.tokens.inputTokens}, output ${summary.tokens.outputTokens}, ` +
      `cache read ${summary.tokens.cacheReadTokens}, cache write ${summary.tokens.cacheWriteTokens}) in ${summary.calls} calls${forecast}`,
  );
  println(terminal, `  cost      $${summary.costUsd.toFixed(4)}${forecast} (top tier alone: $${summary.topTierCostUsd.toFixed(4)})`);
  println(
    terminal,
    `  time      ${summary.time.wallMs === null ? 'n/a' : `${(summary.time.wallMs / 1000).toFixed(1)} s wall`}, ` +
      `${(summary.time.modelMs / 1000).toFixed(1)} s model time${forecast}`,
  );
  const { metrics } = summary;
  println(
    terminal,
    `  team      ${metrics.parallelTime} in parallel for ${metrics.estimatedSequentialTime} of work: speedup ${metrics.speedup} (${metrics.timeBasis})` +
      (summary.workspace === null ? '' : `, ${metrics.gateBlocks} gate block(s), ${metrics.testFailures} test failure(s)`),
  );
  println(terminal, `  record    ${result.files.dir}`);
  if (summary.status === 'interrupted' || summary.status === 'budget_exceeded') {
    println(terminal, `Continue with: ${resumeCommand(store, summary.status === 'budget_exceeded' ? ' --budget-usd <more>' : '')}`);
  }
}

/** `agent-team run`: runs the team on a feature (or resumes the last run) and prints a summary. */
export async function run(options: RunCommandOptions): Promise<number> {
  const { terminal } = options;
  if (options.resume !== true && (options.feature === undefined || options.feature.trim() === '')) {
    throw new UsageError('Missing --feature. Example: agent-team run --feature "Add user authentication with email and password"');
  }
  if (options.resume === true) {
    const fixed = (['feature', 'provider', 'seed', 'blockerRate', 'planTasks', 'record', 'replay', 'workspace'] as const).filter(
      (key) => options[key] !== undefined,
    );
    if (fixed.length > 0) {
      const flags = fixed.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
      throw new UsageError(
        `--resume continues the run as it was started; drop ${flags} (only --budget-usd, --time-scale and --processes may change).`,
      );
    }
  }
  if ((options.experiments ?? []).length > 0 && options.ui !== true && options.uiPort === undefined) {
    throw new UsageError('--experiments adds experiments to the dashboard of --ui; add --ui, or drop --experiments.');
  }
  const config = loadTeamConfig({
    configPath: options.config,
    cwd: options.cwd,
    ...storeChoice(options.store),
    overrides: designOverrides(options),
  });
  const interrupt =
    options.signal === undefined
      ? interruptSignal({
          onFirst: () => terminal.err.write('\nStopping: in-flight tasks go back to ready… (Ctrl-C again to quit at once)\n'),
          everyEnding: true,
        })
      : undefined;
  const signal = options.signal ?? interrupt?.signal;
  const progressStop = new AbortController();
  let progress: Promise<void> | undefined;
  let running = true;
  let dashboard: { close(): Promise<void> } | undefined;
  try {
    if (options.ui === true || options.uiPort !== undefined) {
      // Loaded only when asked for: a plain run starts no HTTP server and reads none of its code.
      const { startDashboard } = await import('../../server/index.js');
      const started = await startDashboard({
        config,
        active: () => running,
        port: options.uiPort,
        experimentDirs: experimentFolders({ values: options.experiments, cwd: options.cwd }),
      });
      dashboard = started;
      // With --json, stdout is the result alone.
      (options.json === true ? terminal.err : terminal.out).write(`Dashboard: ${started.url} (this machine only, until the run ends)\n`);
    }
    // Spans are exported only with OTEL_EXPORTER_OTLP_ENDPOINT set; without it the SDK is never loaded.
    await startTracing({ serviceVersion: packageVersion });
    const result = await withTraceParentFromEnv(() =>
      runTeam({
        config,
        feature: options.feature,
        resume: options.resume,
        force: options.force,
        provider: options.provider,
        seed: options.seed,
        timeScale: options.timeScale,
        blockerRate: options.blockerRate,
        planTasks: options.planTasks,
        budgetUsd: options.budgetUsd,
        processes: options.processes,
        remoteAgents: options.remoteAgents
          ?.split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
        record: options.record,
        replay: options.replay,
        workspace:
          options.workspace === undefined || options.workspace === false
            ? undefined
            : options.workspace === true
              ? config.projectDir
              : resolve(options.cwd, options.workspace),
        cwd: options.cwd,
        signal,
        onStart: (state) => {
          if (options.json === true) return;
          const simulated = state.run.simulated
            ? `simulated run: ${state.run.options.provider} provider, seed ${state.run.options.seed}, ` +
              `time scale ${state.run.options.timeScale}; no model is called and every figure is a forecast`
            : `run on ${state.run.options.provider}`;
          println(terminal, paint(terminal, 'bold', `agent-team: ${simulated}`));
          if (options.resume === true)
            println(terminal, `Resuming run ${state.run.id} (resume ${state.run.resumes}): ${state.run.feature}`);
          progress = showProgress({ terminal, config, signal: progressStop.signal, fromEnd: options.resume });
        },
      }),
    );
    progressStop.abort();
    await progress;
    // An error that escaped everything stopped the run (recorded as interrupted); it is this command's failure.
    const reason: unknown = interrupt?.signal.reason;
    if (interrupt?.signal.aborted === true && !(reason instanceof SignalInterruptError)) throw reason;
    if (options.json === true)
      printJson(terminal, { runId: result.runId, status: result.status, files: result.files, summary: result.summary });
    else printSummary(terminal, result, config.store.kind);
    return exitCodeForRunStatus(result.status);
  } finally {
    running = false;
    await dashboard?.close();
    progressStop.abort();
    await progress;
    // Whatever ended the run (its end, Ctrl-C, an error), the spans still held are sent before the command returns.
    await stopTracing();
    interrupt?.dispose();
  }
}
