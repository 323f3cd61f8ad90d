/**
 * What an exact hold costs: the extra `count_tokens` round trip a call makes when the run
 * has a hard limit, through the real SDK against the local Anthropic stand-in (so only our
 * side: a real API adds its network latency once more per call), next to the hold from
 * our estimate alone; and in a whole team run, how many counts a limited run makes.
 */
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { BudgetGuard, InputMargins } from '../../src/cost/index.js';
import { createAnthropicProvider, type LlmRequest } from '../../src/providers/index.js';
import { runTeam } from '../../src/team/index.js';
import { start as startAnthropic } from '../support/anthropic-server.js';
import { tempProject } from '../support/temp-project.js';
import { CLAUDE_TEAM_YML, clearWireTeamKeys, startWireTeam, writeWireTeamProject } from '../support/wire-team.js';
import { quantile } from './percentiles.js';

const ROUNDS = 200;
const PRICE = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 };
const AGENTS_YML = CLAUDE_TEAM_YML;

function request(): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are the backend developer of a team. '.repeat(200),
    messages: [{ role: 'user', content: 'Implement the login endpoint and report as JSON. '.repeat(50) }],
    maxTokens: 4000,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
  };
}

/** Runs the benchmark and returns its figures. */
export async function benchBudgetHold(): Promise<Record<string, number>> {
  const server = await startAnthropic();
  const provider = createAnthropicProvider({ apiKey: 'sk-ant-bench-000000000000', baseURL: server.url });
  const guard = new BudgetGuard({
    agentId: 'backend-dev',
    margins: new InputMargins(),
    store: { read: () => Promise.reject(new Error('unused')), update: () => Promise.reject(new Error('unused')) },
    changes: { version: 0, wait: () => Promise.resolve(), notify: () => undefined },
  });
  const counter = provider.countInputTokens?.bind(provider);
  const timed = async (withCount: boolean): Promise<number[]> => {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const started = performance.now();
      await guard.hold({
        request: request(),
        price: PRICE,
        simulated: false,
        key: 'anthropic:claude-sonnet-5',
        counter: withCount ? counter : undefined,
      });
      times.push(performance.now() - started);
    }
    return times;
  };
  let counted: number[];
  let estimated: number[];
  try {
    await timed(true); // warm-up: tokenizer, connections
    counted = await timed(true);
    estimated = await timed(false);
  } finally {
    await server.close();
  }

  const servers = await startWireTeam();
  const project = await tempProject('agent-team-bench-hold-');
  let calls = 0;
  let counts = 0;
  try {
    await writeWireTeamProject(project, { agentsYml: AGENTS_YML, anthropic: servers.anthropic.url });
    const result = await runTeam({
      config: loadTeamConfig({ cwd: project.dir }),
      feature: 'Add user authentication with email and password',
    });
    calls = result.summary.calls;
    counts = servers.anthropic.countRequests.length;
  } finally {
    await servers.close();
    await project.cleanup();
    clearWireTeamKeys();
  }

  const figures = {
    holdCountedMedianMs: quantile(counted, 0.5),
    holdCountedP95Ms: quantile(counted, 0.95),
    holdEstimatedMedianMs: quantile(estimated, 0.5),
    holdEstimatedP95Ms: quantile(estimated, 0.95),
    limitedRunCalls: calls,
    limitedRunCounts: counts,
  };
  console.log('Budget holds (Anthropic stand-in on localhost, real SDK):');
  console.log(
    `  hold with count_tokens: median ${figures.holdCountedMedianMs.toFixed(2)} ms, p95 ${figures.holdCountedP95Ms.toFixed(2)} ms ` +
      `(${ROUNDS} holds; a real API adds one network round trip per call)`,
  );
  console.log(
    `  hold from our estimate: median ${figures.holdEstimatedMedianMs.toFixed(2)} ms, p95 ${figures.holdEstimatedP95Ms.toFixed(2)} ms`,
  );
  console.log(`  a team run with a $5 limit: ${counts} count request(s) for ${calls} model call(s)`);
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchBudgetHold();
