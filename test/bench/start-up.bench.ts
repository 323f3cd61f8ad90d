/**
 * Start-up: how long the CLI entry takes to load (`--help`, `--version`), and a real
 * `run --provider anthropic` against a local server answering with ~100 ms latency,
 * without and with a budget: from spawning the process to its first request on the
 * wire, and the orchestration overhead per call (wall per call minus the server's 100 ms).
 *
 * Wall times follow the machine's load; the CPU figures (the process's own user + system
 * time, from /proc on Linux) much less, so both are printed. Each figure is the median of
 * RUNS runs. AGENT_TEAM_BENCH_BIN names another build's bin/agent-team.js to compare with.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { start as startAnthropic } from '../support/anthropic-server.js';
import { BIN, ensureBuilt } from '../support/cli.js';
import { answerFor, lastUserText } from '../support/team-brain.js';
import { tempProject } from '../support/temp-project.js';
import { shaped } from '../support/wire-team.js';
import { quantile } from './percentiles.js';

const LATENCY_MS = 100;
const RUNS = 5;
const bin = process.env['AGENT_TEAM_BENCH_BIN'] ?? BIN;
// Linux's clock tick for /proc/<pid>/stat times; 100 on every kernel configuration in use.
const TICKS_PER_SECOND = 100;

/** The CPU time (user + system) a live process has used so far, in ms; undefined where /proc is missing. */
function cpuMsOf(pid: number): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return undefined;
  // The command name may hold spaces: the fields that follow it start after its closing parenthesis.
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The module the bin imports `main` from (the bundle's entry, or tsc's dist/cli/main.js in an older build). */
function entryModule(): string {
  const imported = /from '(\.\.\/dist\/[^']+)'/.exec(readFileSync(bin, 'utf8'))?.[1];
  if (imported === undefined) throw new Error(`${bin} imports no module from dist/`);
  return pathToFileURL(join(dirname(bin), imported)).href;
}

/** Imports the CLI's entry module in a fresh process: wall and CPU ms of the import alone. */
function entryImport(): { wallMs: number; cpuMs: number } {
  const main = entryModule();
  const script = `
    const cpu = process.cpuUsage();
    const started = performance.now();
    await import(${JSON.stringify(main)});
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
    wallMs: number;
    cpuMs: number;
  };
}

/** Runs `agent-team <flag>` to its end: wall ms from spawn to exit. */
function wholeCommandMs(flag: string): number {
  const started = performance.now();
  execFileSync(process.execPath, [bin, flag], { encoding: 'utf8' });
  return performance.now() - started;
}

interface FirstRequest {
  firstRequestMs: number;
  firstRequestCpuMs: number | undefined;
  calls: number;
  overheadPerCallMs: number;
}

/** Spawns `run --provider anthropic` against a local server and times its requests. */
async function firstRequest(budget: boolean): Promise<FirstRequest> {
  const arrivals: number[] = [];
  let pid = -1;
  let firstCpuMs: number | undefined;
  const server = await startAnthropic({
    fallback: (recorded) => {
      if (arrivals.length === 0) firstCpuMs = cpuMsOf(pid);
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
        ...(budget ? { budget: { max_usd: 20 } } : {}),
        providers: { anthropic: { base_url: server.url, api_key_env: 'AGENT_TEAM_BENCH_KEY' } },
      }),
    );
    const spawnedAt = performance.now();
    const run = startCliAt(['run', '--feature', 'Add a health endpoint', '--provider', 'anthropic'], project.dir);
    pid = run.pid;
    const result = await run.done;
    const endedAt = performance.now();
    if (result.code !== 0) throw new Error(`run exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
    const first = arrivals[0];
    if (first === undefined) throw new Error('the run sent no request');
    // One worker and one task at a time: calls follow one another, so wall per call minus the latency is ours.
    const calls = arrivals.length;
    return {
      firstRequestMs: first - spawnedAt,
      firstRequestCpuMs: firstCpuMs,
      calls,
      overheadPerCallMs: (endedAt - first) / calls - LATENCY_MS,
    };
  } finally {
    await server.close();
    await project.cleanup();
  }
}

/** Starts `agent-team <args>` (this build's or AGENT_TEAM_BENCH_BIN's) in `cwd`. */
function startCliAt(
  args: readonly string[],
  cwd: string,
): { pid: number; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', AGENT_TEAM_BENCH_KEY: 'sk-ant-bench-000000000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid ?? -1, done };
}

const round = (value: number | undefined): number => (value === undefined ? Number.NaN : Math.round(value));
const medianOf = (values: readonly (number | undefined)[]): number =>
  values.some((value) => value === undefined) ? Number.NaN : Math.round(quantile(values as number[], 0.5));

/** Runs the benchmark and returns its figures. */
export async function benchStartUp(): Promise<Record<string, number>> {
  ensureBuilt();
  const imports = Array.from({ length: RUNS }, entryImport);
  const help = Array.from({ length: RUNS }, () => wholeCommandMs('--help'));
  const version = Array.from({ length: RUNS }, () => wholeCommandMs('--version'));
  const plain: FirstRequest[] = [];
  const budgeted: FirstRequest[] = [];
  // Alternated, so a burst of load on the machine falls on both kinds alike.
  for (let index = 0; index < RUNS; index += 1) {
    plain.push(await firstRequest(false));
    budgeted.push(await firstRequest(true));
  }
  const figures = {
    entry_import_ms: medianOf(imports.map((figure) => figure.wallMs)),
    entry_import_cpu_ms: medianOf(imports.map((figure) => figure.cpuMs)),
    help_ms: medianOf(help),
    version_ms: medianOf(version),
    start_to_first_request_ms: medianOf(plain.map((figure) => figure.firstRequestMs)),
    start_to_first_request_cpu_ms: medianOf(plain.map((figure) => figure.firstRequestCpuMs)),
    start_to_first_request_budget_ms: medianOf(budgeted.map((figure) => figure.firstRequestMs)),
    start_to_first_request_budget_cpu_ms: medianOf(budgeted.map((figure) => figure.firstRequestCpuMs)),
    run_calls: plain[0]?.calls ?? 0,
    overhead_per_call_ms: medianOf(plain.map((figure) => figure.overheadPerCallMs)),
    overhead_per_call_budget_ms: medianOf(budgeted.map((figure) => figure.overheadPerCallMs)),
  };
  const fastest = (values: readonly number[]): number => round(Math.min(...values));
  console.log(`Start-up (median of ${RUNS} runs${bin === BIN ? '' : `, ${bin}`})`);
  console.log(`  import of the CLI entry ${figures.entry_import_ms} ms wall, ${figures.entry_import_cpu_ms} ms CPU`);
  console.log(`  agent-team --help ${figures.help_ms} ms, --version ${figures.version_ms} ms (spawn to exit)`);
  console.log(`Start -> first request on the wire, run --provider anthropic, server latency ${LATENCY_MS} ms`);
  console.log(
    `  no budget   ${figures.start_to_first_request_ms} ms wall (fastest ${fastest(plain.map((figure) => figure.firstRequestMs))}), ` +
      `${figures.start_to_first_request_cpu_ms} ms CPU   (target: < 300 ms on an idle machine)`,
  );
  console.log(
    `  budget set  ${figures.start_to_first_request_budget_ms} ms wall (fastest ${fastest(budgeted.map((figure) => figure.firstRequestMs))}), ` +
      `${figures.start_to_first_request_budget_cpu_ms} ms CPU`,
  );
  console.log(
    `  orchestration overhead per call ${figures.overhead_per_call_ms} ms (budget set: ${figures.overhead_per_call_budget_ms} ms) ` +
      `over ${figures.run_calls} calls (wall per call - ${LATENCY_MS} ms)`,
  );
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchStartUp();
}
