/**
 * Prompt caching at work: a 20-task run of the default team on the Anthropic
 * provider, through the real SDK, against a local server that reports cache
 * writes and reads for a repeated prefix as the API does. The share of input
 * tokens read from cache after each agent's first call.
 */
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { readEntries } from '../support/ledger.js';
import { tempProject } from '../support/temp-project.js';
import { startWireTeam } from '../support/wire-team.js';

/** Runs the benchmark and returns its figures. */
export async function benchPromptCache(): Promise<Record<string, number>> {
  const servers = await startWireTeam({ totalTasks: 20, blockOnce: ['T4', 'T9'] });
  const project = await tempProject('agent-team-bench-cache-');
  process.env['AGENT_TEAM_BENCH_KEY'] = 'sk-ant-bench-000000000000';
  try {
    await project.write(
      'orchestrator-config.json',
      JSON.stringify({
        agents: [
          { id: 'manager', role: 'team_manager', max_concurrent_tasks: 4 },
          { id: 'backend-dev', role: 'backend_developer' },
          { id: 'frontend-dev', role: 'frontend_developer' },
          { id: 'qa-tester', role: 'qa_tester' },
          { id: 'reviewer', role: 'reviewer' },
        ],
        budget: { max_usd: 20 },
        provider: { name: 'anthropic' },
        providers: { anthropic: { base_url: servers.anthropic.url, api_key_env: 'AGENT_TEAM_BENCH_KEY' } },
      }),
    );
    const result = await runTeam({
      config: loadTeamConfig({ cwd: project.dir }),
      feature: 'Add user authentication with email and password',
    });
    const calls = (await readEntries(result.files.ledger)).filter((entry) => entry.type === 'model-call');
    // A provider's cache is per model: with tiering an agent's first call on each model writes it.
    const share = (firstKey: (call: (typeof calls)[number]) => string): number => {
      const seen = new Set<string>();
      let read = 0;
      let input = 0;
      for (const call of calls) {
        const usage = call['usage'] as { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
        const key = firstKey(call);
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        read += usage.cacheReadTokens;
        input += usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
      }
      return read / input;
    };
    const perAgentModel = share((call) => `${String(call['agentId'])}|${String(call['model'])}`);
    const perAgent = share((call) => String(call['agentId']));
    const figures = {
      cache_tasks: result.summary.tasks.total,
      cache_calls: calls.length,
      cache_read_share_after_first_call: Number(perAgentModel.toFixed(4)),
      cache_read_share_after_first_call_any_model: Number(perAgent.toFixed(4)),
      cache_hit_ratio_whole_run: Number(result.summary.cacheHitRatio.toFixed(4)),
      cache_cost_usd: Number(result.summary.costUsd.toFixed(6)),
    };
    console.log(
      `Prompt caching: ${figures.cache_tasks} tasks on the anthropic provider (real SDK, local wire server), ${calls.length} calls, ${result.status}`,
    );
    console.log(
      `  input tokens read from cache after each agent's first call on a model: ` +
        `${(figures.cache_read_share_after_first_call * 100).toFixed(1)}%   (target: >= 80%)`,
    );
    console.log(
      `  counting a tier switch to another model as a miss: ${(figures.cache_read_share_after_first_call_any_model * 100).toFixed(1)}%`,
    );
    console.log(
      `  whole run, first calls included: ${(figures.cache_hit_ratio_whole_run * 100).toFixed(1)}%; cost $${figures.cache_cost_usd}`,
    );
    return figures;
  } finally {
    delete process.env['AGENT_TEAM_BENCH_KEY'];
    await servers.close();
    await project.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPromptCache();
}
