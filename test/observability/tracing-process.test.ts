/**
 * Tracing in a real `agent-team run` process (module loading and exit are per process): without
 * OTEL_EXPORTER_OTLP_ENDPOINT no SDK module is loaded; with it the spans reach the collector before
 * the process ends, after a finished run and after Ctrl-C alike. The bin loads the CLI's bundle: each
 * file of dist/bundle/ it loaded stands for the sources its esbuild metafile lists.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runCli, startCli } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

useProcessesTimeout();

const PRELOAD = pathToFileURL(join(ROOT, 'test', 'support', 'loaded-modules.mjs')).href;
const BUNDLE = join(ROOT, 'dist', 'bundle');
const RUN = ['run', '--feature', 'Add login', '--time-scale', '0', '--plan-tasks', '2'];
// Any module of the SDK or its exporter; the API package alone is the no-op tracer every run has.
const SDK_MODULE = /\/node_modules\/@opentelemetry\/(?!api\/)[^/]+\//;

let receiver: OtlpReceiver;
let project: TempProject;

beforeAll(async () => {
  ensureBuilt();
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  receiver.spans.length = 0;
  await project.cleanup();
});

afterAll(async () => {
  await receiver.close();
});

/** The sources each file of the bundle holds, as URLs. */
async function bundledSources(): Promise<Map<string, string[]>> {
  const meta = JSON.parse(await readFile(join(BUNDLE, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(
    Object.entries(meta.outputs).map(([output, { inputs }]) => [
      pathToFileURL(join(ROOT, output)).href,
      Object.keys(inputs).map((input) => pathToFileURL(join(ROOT, input)).href),
    ]),
  );
}

/** Runs `agent-team <args>` in the project with `env`; its exit code and every module it loaded. */
async function runLoading(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const file = project.path('loaded.json');
  const result = await runCli(RUN, {
    cwd: project.dir,
    env: { ...env, NODE_OPTIONS: `--import ${PRELOAD}`, AGENT_TEAM_LOADED_MODULES: file },
  });
  const loaded = JSON.parse(await readFile(file, 'utf8')) as { esm: string[]; cjs: string[] };
  const sources = await bundledSources();
  const modules = [...loaded.esm.flatMap((url) => sources.get(url) ?? [url]), ...loaded.cjs.map((path) => pathToFileURL(path).href)];
  return { code: result.code, stderr: result.stderr, modules };
}

describe('tracing in an agent-team run process', () => {
  it('without OTEL_EXPORTER_OTLP_ENDPOINT loads no SDK module; with it loads the SDK and sends the spans before exiting', async () => {
    project = await tempProject('agent-team-trace-process-');
    const off = await runLoading({ OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    expect(off.code, off.stderr).toBe(0);
    expect(off.modules.filter((url) => SDK_MODULE.test(url))).toEqual([]);
    expect(off.modules.filter((url) => url.endsWith('/src/observability/tracing-sdk.ts'))).toEqual([]);
    // The no-op API is there: the run's spans were opened, just not recorded.
    expect(off.modules.filter((url) => url.includes('/node_modules/@opentelemetry/api/')).length).toBeGreaterThan(0);
    expect(receiver.spans).toEqual([]);

    const on = await runLoading({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(on.code, on.stderr).toBe(0);
    expect(on.modules.filter((url) => /\/node_modules\/@opentelemetry\/sdk-trace-base\//.test(url)).length).toBeGreaterThan(0);
    expect(on.modules.filter((url) => url.endsWith('/src/observability/tracing-sdk.ts'))).toHaveLength(1);
    // Every span was sent before the process ended: the run's root, each model call.
    const names = receiver.spans.map((span) => span.name);
    expect(names.filter((name) => name === 'orchestrator.run')).toHaveLength(1);
    expect(names.filter((name) => name.startsWith('chat ')).length).toBeGreaterThan(0);
    expect(receiver.spans.find((span) => span.name === 'orchestrator.run')?.resource['service.version']).toEqual(expect.any(String));
  });

  it('with --processes puts the agent processes’ spans in the run’s trace, under its dispatch span', async () => {
    project = await tempProject('agent-team-trace-processes-');
    const result = await runCli([...RUN, '--processes'], { cwd: project.dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    expect(result.code, result.stderr).toBe(0);
    const { spans } = receiver;
    const root = spans.find((span) => span.name === 'orchestrator.run');
    const dispatch = spans.find((span) => span.name === 'orchestrator.dispatch');
    const work = spans.filter((span) => span.name.startsWith('invoke_agent ') && span.attributes['agent_team.purpose'] === 'work');
    expect(work.length).toBeGreaterThan(0);
    // Each agent's process exported its own spans (its own resource) as children of the run's dispatch span.
    expect(new Set(work.map((span) => span.resource['process.pid'])).has(root?.resource['process.pid'])).toBe(false);
    for (const span of work) {
      expect(span.traceId).toBe(root?.traceId);
      expect(span.parentSpanId).toBe(dispatch?.spanId);
      expect(span.attributes['agent_team.run_id']).toBe(root?.attributes['agent_team.run_id']);
      expect(span.attributes['agent_team.subtask_id']).toMatch(new RegExp(`::${String(root?.attributes['agent_team.run_id'])}::T\\d+$`));
    }
    const chats = spans.filter((span) => span.name.startsWith('chat ') && span.attributes['agent_team.purpose'] === 'work');
    expect(chats.length).toBe(work.length);
  });

  it('sends the spans of a run stopped by Ctrl-C, its root marked interrupted', async () => {
    project = await tempProject('agent-team-trace-interrupt-');
    // Slow enough (about 0.1-1 s per call) to be interrupted mid-run.
    const running = startCli(['run', '--feature', 'Add user authentication', '--seed', '2', '--time-scale', '0.06'], {
      cwd: project.dir,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    await running.waitForOutput(/finished T1/);
    running.kill('SIGINT');
    const interrupted = await running.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const root = receiver.spans.find((span) => span.name === 'orchestrator.run');
    expect(root?.attributes['agent_team.run.status']).toBe('interrupted');
    expect(receiver.spans.filter((span) => span.name.startsWith('chat ')).length).toBeGreaterThan(0);
  });
});
