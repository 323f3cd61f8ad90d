/**
 * What start-up loads: `--help` and `--version` no command implementation and no SDK; a sim run
 * neither SDK's client nor winston; an Anthropic run without a budget, by its first request, the
 * Anthropic SDK only and not the tokenizer (its requests fit their window by size alone; it loads
 * while the answer is awaited, from the table the build wrote). Module loading is per process,
 * so each case is a real `bin/agent-team.js` process with a preload that lists what it loaded.
 * The bin loads the CLI's bundle: each file of dist/bundle/ it loaded stands for the sources
 * (src/ and node_modules/) that esbuild's metafile says it holds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as startAnthropic, type AnthropicServer } from '../support/anthropic-server.js';
import { ensureBuilt, ROOT, runCli } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const PRELOAD = pathToFileURL(join(ROOT, 'test', 'support', 'loaded-modules.mjs')).href;
const BUNDLE = join(ROOT, 'dist', 'bundle');

let project: TempProject;

beforeAll(async () => {
  ensureBuilt();
  project = await tempProject('agent-team-start-up-');
});

afterAll(async () => {
  await project.cleanup();
});

/** Runs `agent-team <args>` and returns its exit code, output and every module it loaded. */
async function loadedBy(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string; modules: string[]; atFirstRequest: string[] | null }> {
  const file = project.path(`loaded-${args.join('-').replace(/[^a-z-]/gi, '')}.json`);
  const result = await runCli(args, {
    cwd: project.dir,
    env: { ...env, NODE_OPTIONS: `--import ${PRELOAD}`, AGENT_TEAM_LOADED_MODULES: file },
  });
  const loaded = JSON.parse(await readFile(file, 'utf8')) as {
    esm: string[];
    cjs: string[];
    esmAtFirstRequest: string[] | null;
    cjsAtFirstRequest: string[] | null;
  };
  const sources = await bundledSources();
  const expand = (esm: readonly string[], cjs: readonly string[]): string[] => [
    ...esm.flatMap((url) => sources.get(url) ?? [url]),
    ...cjs.map((path) => pathToFileURL(path).href),
  ];
  return {
    code: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
    modules: expand(loaded.esm, loaded.cjs),
    atFirstRequest:
      loaded.esmAtFirstRequest === null || loaded.cjsAtFirstRequest === null
        ? null
        : expand(loaded.esmAtFirstRequest, loaded.cjsAtFirstRequest),
  };
}

/** The URL of each file of the bundle -> the URLs of the sources it holds, from esbuild's metafile. */
async function bundledSources(): Promise<Map<string, string[]>> {
  const meta = JSON.parse(await readFile(join(BUNDLE, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const sources = new Map<string, string[]>();
  for (const [output, { inputs }] of Object.entries(meta.outputs)) {
    sources.set(
      pathToFileURL(join(ROOT, output)).href,
      Object.keys(inputs).map((input) => pathToFileURL(join(ROOT, input)).href),
    );
  }
  return sources;
}

const SDK_CLIENTS = [/\/@anthropic-ai\/sdk\/(index|client)\.mjs$/, /\/openai\/(index|client)\.mjs$/];
const matching = (modules: readonly string[], pattern: RegExp): string[] => modules.filter((url) => pattern.test(url));

describe('start-up loading', () => {
  it('--help lists every command and loads no command implementation, SDK, winston or tokenizer', async () => {
    const { code, stdout, modules } = await loadedBy(['--help']);
    expect(code).toBe(0);
    for (const command of ['run', 'plan', 'status', 'clean', 'ledger', 'agent', 'prompt', 'config', 'batch', 'roles', 'spawn', 'queue']) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    for (const command of ['init-config', 'findings', 'errors', 'monitor']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(matching(modules, /\/src\/(team|state|workspace|batch|solo|report|providers)\//)).toEqual([]);
    expect(matching(modules, /\/node_modules\/(@anthropic-ai\/sdk|openai|winston|gpt-tokenizer|prom-client)\//)).toEqual([]);
    // The lists are complete: our sources and the dependencies bundled with them (commander's own files) both show.
    expect(matching(modules, /\/src\/cli\/main\.ts$/)).toHaveLength(1);
    expect(matching(modules, /\/node_modules\/commander\/lib\/command\.js$/)).toHaveLength(1);
  });

  it('--version prints the version of package.json and loads no command implementation', async () => {
    const { code, stdout, modules } = await loadedBy(['--version']);
    expect(code).toBe(0);
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`${version}\n`);
    expect(matching(modules, /\/src\/(team|state|workspace|batch|solo|report|providers)\//)).toEqual([]);
  });

  it('a sim run loads neither SDK client, winston, prom-client nor the PostgreSQL driver', async () => {
    const { code, stdout, stderr, modules } = await loadedBy(['run', '--feature', 'Add login', '--time-scale', '0', '--plan-tasks', '2']);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Run \S+: done — all tasks done$/m);
    expect(matching(modules, /\/src\/team\//).length).toBeGreaterThan(0);
    for (const client of SDK_CLIENTS) expect(matching(modules, client)).toEqual([]);
    expect(matching(modules, /\/node_modules\/winston\//)).toEqual([]);
    // Metrics are the server's: a run from the command line does not load their library.
    expect(matching(modules, /\/node_modules\/prom-client\//)).toEqual([]);
    // The file store's run never loads the PostgreSQL driver.
    expect(matching(modules, /\/node_modules\/pg(-pool|-protocol)?\//)).toEqual([]);
  });

  describe('an Anthropic run', () => {
    let server: AnthropicServer;

    beforeAll(async () => {
      server = await startAnthropic();
    });

    afterAll(async () => {
      await server.close();
    });

    it('sends its first request with the SDK imported on demand and no tokenizer (loaded while it waits), and maps the SDK error it gets', async () => {
      await project.write(
        'team/orchestrator-config.json',
        JSON.stringify({
          agents: [
            { id: 'manager', role: 'team_manager', max_concurrent_tasks: 1 },
            { id: 'backend-dev', role: 'backend_developer' },
          ],
          providers: { anthropic: { base_url: server.url, api_key_env: 'AGENT_TEAM_TEST_KEY' } },
        }),
      );
      // A 401 ends the run at its first request: what is loaded by then is what the first request needed.
      server.script({ kind: 'http_error', status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' });
      const { code, stderr, modules, atFirstRequest } = await loadedBy(
        ['run', '--feature', 'Add a health endpoint', '--provider', 'anthropic', '--config', 'team/orchestrator-config.json'],
        { AGENT_TEAM_TEST_KEY: 'sk-ant-test-000000000000' },
      );
      expect(server.requests).toHaveLength(1);
      server.assertComplete();
      // The SDK's own error class, from the lazily imported SDK, is recognised: an auth failure naming the key's variable.
      expect(code, stderr).toBe(2);
      expect(stderr).toContain('HTTP 401 (authentication_error: invalid x-api-key)');
      expect(stderr).toContain('Check AGENT_TEAM_TEST_KEY');
      expect(matching(modules, SDK_CLIENTS[0] as RegExp).length).toBeGreaterThan(0);
      expect(matching(modules, SDK_CLIENTS[1] as RegExp)).toEqual([]);
      // The tokenizer was not needed for the first request; it loaded once that request was on the wire.
      expect(matching(atFirstRequest ?? [], /\/node_modules\/commander\//).length).toBeGreaterThan(0);
      expect(matching(atFirstRequest ?? [], /\/node_modules\/gpt-tokenizer\//)).toEqual([]);
      expect(matching(modules, /\/node_modules\/gpt-tokenizer\/cjs\/encodingParams\/constants\.js$/)).toHaveLength(1);
      // It read the table the build wrote: the ranks' 2.4 MB of JavaScript were never compiled.
      expect(matching(modules, /\/node_modules\/gpt-tokenizer\/cjs\/bpeRanks\//)).toEqual([]);
    });

    it("with a budget holds its first call at Anthropic's own count, so neither that count nor the call waits for our tokenizer", async () => {
      server.script({ kind: 'http_error', status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' });
      const countsBefore = server.countRequests.length;
      const requestsBefore = server.requests.length;
      const { code, stderr, atFirstRequest } = await loadedBy(
        [
          'run',
          '--feature',
          'Add a health endpoint',
          '--provider',
          'anthropic',
          '--config',
          'team/orchestrator-config.json',
          '--budget-usd',
          '5',
          '--force',
        ],
        { AGENT_TEAM_TEST_KEY: 'sk-ant-test-000000000000' },
      );
      // (--force: the run before ended at its 401, interrupted.)
      expect(code, stderr).toBe(2);
      // The count went first (the hold is sized from it), then the call the 401 ended.
      expect(server.countRequests.length - countsBefore, stderr).toBe(1);
      expect(server.requests.length - requestsBefore).toBe(1);
      expect(matching(atFirstRequest ?? [], /\/node_modules\/commander\//).length).toBeGreaterThan(0);
      expect(matching(atFirstRequest ?? [], /\/node_modules\/gpt-tokenizer\//)).toEqual([]);
    });
  });
});
