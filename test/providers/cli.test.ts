import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ProviderError, UsageError } from '../../src/errors/index.js';
import { CLI_PRESETS, createCliProvider } from '../../src/providers/index.js';
import { renderCliPrompt, STDIN_PROMPT_NOTE } from '../../src/providers/cli.js';
import { countTokens, type LlmRequest } from '../../src/providers/index.js';
import { captureTimers } from '../support/captured-timers.js';
import { isGone, waitUntil } from '../support/processes.js';

const AGENTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cli-agents');
const NODE = process.execPath;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-team-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(content: string): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are a QA tester.',
    messages: [{ role: 'user', content }],
    maxTokens: 2000,
    metadata: { agentId: 'qa-1', role: 'qa_tester', purpose: 'work', taskId: 'task-7' },
  };
}

// A timeout no other timer of a call uses: only the test fires it.
const TIMEOUT_MS = 3_600_000;

function readPids(file: string): { agent: number; grandchild: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { agent: number; grandchild: number };
}

describe('createCliProvider', () => {
  it('passes the prompt as one argv element, with no shell to interpret it', async () => {
    const marker = join(dir, 'pwned');
    const tricky = `it's "quoted" $(touch ${marker}) ; touch ${marker} \`touch ${marker}\` && echo hi | cat > ${marker}\nsecond line $HOME $& $'`;
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'echo-agent.mjs'), '--model', '{model}', '{prompt}'] });
    const call = request(tricky);

    const response = await provider.complete(call);

    const prompt = renderCliPrompt(call);
    // A lone user message is passed as written, after the system prompt.
    expect(prompt).toBe(`You are a QA tester.\n\n${tricky}`);
    // The fixture pads its answer with blank lines and spaces: the text is trimmed.
    const echoed = JSON.parse(response.text) as { argc: number; args: string[]; reversed: string };
    expect(echoed.argc).toBe(3);
    expect(echoed.args).toEqual(['--model', 'claude-sonnet-5', prompt]);
    expect(echoed.reversed).toBe([...prompt].reverse().join(''));
    expect(existsSync(marker)).toBe(false);
    expect(response).toMatchObject({ model: 'claude-sonnet-5', stopReason: 'end', simulated: false });
    expect(response.usage).toEqual({
      inputTokens: countTokens(prompt),
      outputTokens: countTokens(response.text),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(provider).toMatchObject({ name: 'cli', simulated: false });
  });

  it('uses the configured model for {model} and in the response', async () => {
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'echo-agent.mjs'), '{model}', '{prompt}'], model: 'opus-cli' });
    const response = await provider.complete(request('hello'));
    expect((JSON.parse(response.text) as { args: string[] }).args[0]).toBe('opus-cli');
    expect(response.model).toBe('opus-cli');
  });

  it('turns a non-zero exit into a non-retryable process error with the end of stderr', async () => {
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'fail-agent.mjs'), '{prompt}'] });

    const error = await provider.complete(request('anything')).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ failure: 'process', retryable: false });
    const message = (error as ProviderError).message;
    expect(message).toContain('exited with code 3');
    expect(message).toContain('fatal: model quota exhausted');
    expect(message).toContain('diagnostic line 30');
    expect(message).not.toContain('diagnostic line 1\n');
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const pidFile = join(dir, 'timeout-pids.json');
    // The timeout fires once the agent and its grandchild are running, however long a loaded machine takes to start them.
    const timeouts = captureTimers(TIMEOUT_MS);
    onTestFinished(() => timeouts.restore());
    const provider = createCliProvider({
      command: [NODE, join(AGENTS, 'hang-agent.mjs'), pidFile, '{prompt}'],
      timeoutMs: TIMEOUT_MS,
      killGraceMs: 300,
    });

    const pending = provider.complete(request('hang')).catch((caught: unknown) => caught);
    await waitUntil(() => existsSync(pidFile), 'the agent has started its grandchild');
    timeouts.fireLast();
    const error = await pending;

    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ failure: 'timeout', retryable: false });
    expect((error as ProviderError).message).toContain(`did not finish within ${TIMEOUT_MS} ms`);
    const pids = readPids(pidFile);
    await waitUntil(() => isGone(pids.agent) && isGone(pids.grandchild), 'the agent and its grandchild are gone');
  });

  it('kills the whole process group when the caller aborts, and rethrows the abort reason', async () => {
    const pidFile = join(dir, 'abort-pids.json');
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'hang-agent.mjs'), pidFile, '{prompt}'], killGraceMs: 300 });
    const controller = new AbortController();
    const reason = new Error('run interrupted');

    const call = provider.complete(request('hang'), controller.signal).catch((caught: unknown) => caught);
    await waitUntil(() => existsSync(pidFile), 'the agent wrote its pids');
    controller.abort(reason);

    expect(await call).toBe(reason);
    const pids = readPids(pidFile);
    await waitUntil(() => isGone(pids.agent) && isGone(pids.grandchild), 'the agent and its grandchild are gone');
  });

  it('names a missing executable and suggests --provider sim', async () => {
    const provider = createCliProvider({ command: ['agent-team-no-such-agent-cli', '-p', '{prompt}'] });
    const error = await provider.complete(request('hi')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(/"agent-team-no-such-agent-cli" was not found.*--provider sim/);
  });

  it('kills a command that writes more than maxOutputBytes', async () => {
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'echo-agent.mjs'), '{prompt}'], maxOutputBytes: 100 });
    const error = await provider.complete(request('x'.repeat(1_000))).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ failure: 'process' });
    expect((error as ProviderError).message).toContain('wrote more than 100 bytes to stdout');
  });

  it('passes a prompt too large for one argument (300 KiB) on stdin, the {prompt} argument saying so', async () => {
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'stdin-agent.mjs'), '-p', '{prompt}', '--model', '{model}'] });
    const line = 'Refactor the session store; keep the API — ünïcode too.\n';
    const call = request(line.repeat(Math.ceil((300 * 1024) / Buffer.byteLength(line))));
    const prompt = renderCliPrompt(call);
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(300 * 1024);

    const response = await provider.complete(call);

    const received = JSON.parse(response.text) as { args: string[]; stdinBytes: number; stdinSha256: string };
    expect(received.args).toEqual(['-p', STDIN_PROMPT_NOTE, '--model', 'claude-sonnet-5']);
    expect(received.stdinBytes).toBe(Buffer.byteLength(prompt));
    expect(received.stdinSha256).toBe(createHash('sha256').update(prompt).digest('hex'));
    expect(response.usage.inputTokens).toBe(countTokens(prompt));
  });

  it('keeps a prompt below the limit in argv, with no stdin', async () => {
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'stdin-agent.mjs'), '{prompt}'], stdinAboveBytes: 1000 });
    const received = JSON.parse((await provider.complete(request('y'.repeat(900)))).text) as { args: string[]; stdinBytes: number };
    expect(received.args).toEqual([renderCliPrompt(request('y'.repeat(900)))]);
    expect(received.stdinBytes).toBe(0);
    const large = JSON.parse((await provider.complete(request('y'.repeat(1000)))).text) as { args: string[]; stdinBytes: number };
    expect(large.args).toEqual([STDIN_PROMPT_NOTE]);
    expect(large.stdinBytes).toBe(Buffer.byteLength(renderCliPrompt(request('y'.repeat(1000)))));
  });

  it('explains a prompt too long for one argument instead of failing obscurely', async () => {
    // Sent in argv whatever its size: the operating system refuses it.
    const provider = createCliProvider({ command: [NODE, join(AGENTS, 'echo-agent.mjs'), '{prompt}'], stdinAboveBytes: 1_000_000 });
    const error = await provider.complete(request('x'.repeat(200_000))).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ failure: 'invalid_request', retryable: false });
    expect((error as ProviderError).message).toMatch(/too long for one command-line argument/);
  });

  it('refuses a command template without {prompt}', () => {
    expect(() => createCliProvider({ command: ['claude', '-p'] })).toThrow(UsageError);
    expect(() => createCliProvider({ command: [] })).toThrow(UsageError);
  });

  it('ships presets that pass the prompt with -p', () => {
    expect(CLI_PRESETS).toEqual({
      claude: ['claude', '-p', '{prompt}'],
      gemini: ['gemini', '-p', '{prompt}'],
      auggie: ['auggie', '-p', '{prompt}'],
    });
  });
});
