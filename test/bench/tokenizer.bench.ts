/**
 * Token counting and start-up: the tokenizer's load time (its first count in a
 * fresh process), counting 200,000 repeated characters and 2 MB of random words, and a real `run` on the
 * Anthropic adapter against a local server answering with ~100 ms latency:
 * from spawning the process to its first request on the wire, and the
 * orchestration overhead per call (wall per call minus the server's 100 ms).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { start as startAnthropic } from '../support/anthropic-server.js';
import { ensureBuilt, ROOT, startCli } from '../support/cli.js';
import { answerFor, lastUserText } from '../support/team-brain.js';
import { tempProject } from '../support/temp-project.js';
import { shaped } from '../support/wire-team.js';

const LATENCY_MS = 100;
const REPEATED = 200_000;

/** Times the first count and long repeated runs in a fresh process (nothing loaded before). */
function countingFigures(): { loadMs: number; loadCpuMs: number; repeated: Record<string, number>; randomMs: number } {
  const module = pathToFileURL(join(ROOT, 'dist', 'providers', 'tokenizer.js')).href;
  const script = `
    const { countTokens } = await import(${JSON.stringify(module)});
    const figures = { repeated: {} };
    let started = performance.now();
    const cpu = process.cpuUsage();
    countTokens('hello world');
    figures.loadMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    figures.loadCpuMs = (used.user + used.system) / 1000;
    for (const char of ['=', 'x', ' ']) {
      const text = char.repeat(${REPEATED});
      started = performance.now();
      countTokens(text);
      figures.repeated[char] = performance.now() - started;
    }
    let seed = 3;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/';
    let text = '';
    while (text.length < 2_000_000) {
      let word = '';
      const length = next() < 0.01 ? 600 : 1 + Math.floor(next() * 9);
      for (let index = 0; index < length; index += 1) word += letters[Math.floor(next() * 64)];
      text += word + (next() < 0.1 ? '.\\n' : ' ');
    }
    started = performance.now();
    countTokens(text);
    figures.randomMs = performance.now() - started;
    process.stdout.write(JSON.stringify(figures));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as ReturnType<
    typeof countingFigures
  >;
}

/** Spawns `run --provider anthropic` against a local server and times its requests. */
async function startToFirstRequest(): Promise<{ firstRequestMs: number; calls: number; overheadPerCallMs: number }> {
  const arrivals: number[] = [];
  const server = await startAnthropic({
    fallback: (recorded) => {
      arrivals.push(performance.now());
      const body = recorded.body;
      const forced = body.tools?.find((tool) => tool.name === body.tool_choice?.name);
      return {
        kind: 'structured',
        input: shaped(forced?.input_schema, answerFor(lastUserText(body.messages), { totalTasks: 4 })),
        delayMs: LATENCY_MS,
      };
    },
  });
  const project = await tempProject('agent-team-bench-start-');
  try {
    await project.write(
      'orchestrator-config.json',
      JSON.stringify({
        agents: [
          { id: 'manager', role: 'team_manager', max_concurrent_tasks: 1 },
          { id: 'backend-dev', role: 'backend_developer' },
        ],
        budget: { max_usd: 20 },
        providers: { anthropic: { base_url: server.url, api_key_env: 'AGENT_TEAM_BENCH_KEY' } },
      }),
    );
    const spawnedAt = performance.now();
    const run = startCli(['run', '--feature', 'Add a health endpoint', '--provider', 'anthropic'], {
      cwd: project.dir,
      env: { AGENT_TEAM_BENCH_KEY: 'sk-ant-bench-000000000000' },
    });
    const result = await run.done;
    const endedAt = performance.now();
    if (result.code !== 0) throw new Error(`run exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
    const first = arrivals[0];
    if (first === undefined) throw new Error('the run sent no request');
    // One worker and one task at a time: calls follow one another, so wall per call minus the latency is ours.
    const calls = arrivals.length;
    return { firstRequestMs: first - spawnedAt, calls, overheadPerCallMs: (endedAt - first) / calls - LATENCY_MS };
  } finally {
    await server.close();
    await project.cleanup();
  }
}

/** Runs the benchmark and returns its figures. */
export async function benchTokenizer(): Promise<Record<string, number>> {
  ensureBuilt();
  const counting = countingFigures();
  const start = await startToFirstRequest();
  const figures = {
    tokenizer_load_ms: Math.round(counting.loadMs),
    tokenizer_load_cpu_ms: Math.round(counting.loadCpuMs),
    tokenizer_200k_equals_ms: Math.round(counting.repeated['='] ?? Number.NaN),
    tokenizer_200k_x_ms: Math.round(counting.repeated['x'] ?? Number.NaN),
    tokenizer_200k_spaces_ms: Math.round(counting.repeated[' '] ?? Number.NaN),
    tokenizer_2mb_random_ms: Math.round(counting.randomMs),
    start_to_first_request_ms: Math.round(start.firstRequestMs),
    run_calls: start.calls,
    overhead_per_call_ms: Math.round(start.overheadPerCallMs),
  };
  console.log('Tokenizer (o200k) in a fresh process');
  console.log(`  load (first count) ${figures.tokenizer_load_ms} ms wall, ${figures.tokenizer_load_cpu_ms} ms CPU`);
  console.log(
    `  ${REPEATED.toLocaleString('en')} repeated characters: "=" ${figures.tokenizer_200k_equals_ms} ms   "x" ${figures.tokenizer_200k_x_ms} ms   ` +
      `" " ${figures.tokenizer_200k_spaces_ms} ms   (target: well under 1000 ms)`,
  );
  console.log(`  2 MB of random words and 600-character lines ${figures.tokenizer_2mb_random_ms} ms   (target: well under 1000 ms)`);
  console.log(`Start -> first request on the wire, run --provider anthropic, server latency ${LATENCY_MS} ms`);
  console.log(`  ${figures.start_to_first_request_ms} ms   (target: < 300 ms on an idle machine)`);
  console.log(
    `  orchestration overhead per call ${figures.overhead_per_call_ms} ms over ${figures.run_calls} calls (wall per call - ${LATENCY_MS} ms)`,
  );
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchTokenizer();
}
