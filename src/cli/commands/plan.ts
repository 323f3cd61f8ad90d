import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTeamConfig, type TeamConfig } from '../../config/index.js';
import { designOverrides } from './design-options.js';
import { UsageError } from '../../errors/index.js';
import { FileStore, ledgerEventSchema, readLedger, teamStateSchema } from '../../state/index.js';
import { createSimProvider } from '../../providers/index.js';
import { runTeam } from '../../team/index.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { plainText } from '../../observability/index.js';

/** Options of `agent-team plan`. */
export interface PlanCommandOptions {
  feature?: string | undefined;
  config?: string | undefined;
  /** `--roster FILE`: the roster replacing the config's. */
  roster?: string | undefined;
  /** `--tiers FILE`: a tier → model map replacing the config's tiers. */
  tiers?: string | undefined;
  seed?: number | undefined;
  blockerRate?: number | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/**
 * `agent-team plan`: the manager's task graph and a cost forecast, from a complete
 * simulated run in a scratch directory. Nothing in the project is written.
 */
export async function plan(options: PlanCommandOptions): Promise<number> {
  const { terminal } = options;
  const feature = options.feature?.trim() ?? '';
  if (feature === '') throw new UsageError('Missing --feature. Example: agent-team plan --feature "Add a shopping cart"');
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, overrides: designOverrides(options) });
  const scratch = await mkdtemp(join(tmpdir(), 'agent-team-plan-'));
  try {
    const forecastConfig: TeamConfig = {
      ...config,
      stateFile: join(scratch, 'team-communication.json'),
      ledgerFile: join(scratch, 'run_ledger.jsonl'),
      runsDir: join(scratch, 'runs'),
      orchestrator: {
        ...config.orchestrator,
        budget: { max_usd: null, max_tokens: null, per_agent_usd: null, per_agent_tokens: null },
      },
    };
    const seed = options.seed ?? config.orchestrator.provider.seed;
    const blockerRate = options.blockerRate ?? config.orchestrator.provider.blocker_rate;
    const result = await runTeam({
      config: forecastConfig,
      feature,
      // Every role is simulated, whatever provider it names: a forecast makes no real call.
      providerInstance: createSimProvider({
        seed,
        timeScale: 0,
        blockerRate,
        gateFailureRate: config.orchestrator.provider.gate_failure_rate,
      }),
      seed,
      blockerRate,
      timeScale: 0,
    });
    const state = await new FileStore({ file: result.files.state, schema: teamStateSchema }).read();
    const planned = state.tasks.filter((task) => task.createdBy === config.manager.id && !task.id.includes('-B'));
    const models = new Map<string, string>();
    for (const entry of await readLedger(result.files.ledger, { eventSchema: ledgerEventSchema })) {
      if (entry.type === 'task-claim') models.set(entry.taskId, entry.model);
    }
    const forecast = {
      calls: result.summary.calls,
      tokens: result.summary.tokens,
      costUsd: result.summary.costUsd,
      modelSeconds: result.summary.time.modelMs / 1000,
      blockersExpected: result.summary.blockers.raised,
      byModel: result.summary.byModel,
    };
    if (options.json === true) {
      printJson(terminal, {
        feature,
        tasks: planned.map(({ id, title, role, dependsOn, files, complexity, acceptanceCriteria }) => ({
          id,
          title,
          role,
          dependsOn,
          files,
          complexity,
          model: models.get(id) ?? null,
          acceptanceCriteria,
        })),
        forecast,
      });
      return 0;
    }
    println(
      terminal,
      paint(terminal, 'bold', `Plan for: ${plainText(feature)}`) + paint(terminal, 'dim', ' (sim planner; forecast from a simulated run)'),
    );
    for (const task of planned) {
      const after = task.dependsOn.length === 0 ? '' : paint(terminal, 'dim', ` after ${task.dependsOn.join(', ')}`);
      println(terminal, `  ${task.id.padEnd(4)} ${task.role.padEnd(20)} ${task.complexity.padEnd(8)} ${plainText(task.title)}${after}`);
    }
    println(terminal);
    println(terminal, paint(terminal, 'bold', 'Forecast'));
    println(
      terminal,
      `  ${forecast.calls} model calls, ${forecast.tokens.total} tokens, $${forecast.costUsd.toFixed(4)}, ${forecast.modelSeconds.toFixed(0)} s of model time`,
    );
    println(terminal, `  about ${forecast.blockersExpected} blocker(s) at blocker rate ${state.run.options.blockerRate}`);
    for (const [model, line] of Object.entries(forecast.byModel)) {
      println(
        terminal,
        `  ${model.padEnd(20)} ${String(line.calls).padStart(4)} calls ${String(line.totalTokens).padStart(9)} tokens  $${line.costUsd.toFixed(4)}`,
      );
    }
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
