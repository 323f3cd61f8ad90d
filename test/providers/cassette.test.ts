import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ProviderError } from '../../src/errors/index.js';
import { cassetteKey } from '../../src/providers/cassette.js';
import { createReplayProvider, withRecording } from '../../src/providers/index.js';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../src/providers/index.js';
import { createScriptedProvider } from '../support/scripted-provider.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-team-cassette-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SECRET = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123';

function request(input: { agentId: string; purpose: LlmRequest['metadata']['purpose']; taskId?: string; content: string }): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: `You are ${input.agentId}.`,
    messages: [{ role: 'user', content: input.content }],
    maxTokens: 1000,
    metadata: {
      agentId: input.agentId,
      role: 'developer',
      purpose: input.purpose,
      ...(input.taskId === undefined ? {} : { taskId: input.taskId }),
      context: { feature: 'login', roster: ['dev-1', 'qa-1'] },
    },
  };
}

const plan = request({ agentId: 'manager', purpose: 'plan', content: 'Plan the login feature.' });
const work = request({ agentId: 'dev-1', purpose: 'work', taskId: 'task-1', content: 'Build the login form.' });
const secret = request({
  agentId: 'dev-1',
  purpose: 'work',
  taskId: 'task-2',
  content: `Deploy with key ${SECRET} and header Bearer abcdefghijkl123`,
});

async function record(file: string): Promise<LlmResponse[]> {
  const scripted = createScriptedProvider({ name: 'anthropic' }).enqueue(
    { text: '{"tasks":[]}', usage: { inputTokens: 120, outputTokens: 30, cacheWriteTokens: 900 } },
    { text: 'first answer', usage: { inputTokens: 50, outputTokens: 5 } },
    {
      text: 'second answer to the same prompt',
      usage: { inputTokens: 50, outputTokens: 7, cacheReadTokens: 40 },
      model: 'claude-sonnet-5-20260101',
    },
    'deployed',
  );
  const recording = withRecording(scripted, { file });
  expect(recording).toMatchObject({ name: 'anthropic', simulated: false });
  const responses: LlmResponse[] = [];
  for (const call of [plan, work, work, secret]) responses.push(await recording.complete(call));
  scripted.assertComplete();
  return responses;
}

describe('withRecording and createReplayProvider', () => {
  it('replays recorded calls with identical responses, repeated prompts in recorded order', async () => {
    const file = join(dir, 'replay.jsonl');
    const recorded = await record(file);

    const replay = createReplayProvider({ file });

    expect(replay).toMatchObject({ name: 'anthropic', simulated: false });
    const replayed: LlmResponse[] = [];
    for (const call of [plan, work, work, secret]) replayed.push(await replay.complete(call));
    expect(replayed).toEqual(recorded);
    expect(replayed.map((response) => response.text)).toEqual([
      '{"tasks":[]}',
      'first answer',
      'second answer to the same prompt',
      'deployed',
    ]);
  });

  it('writes one redacted line per call, without the sim context', async () => {
    const file = join(dir, 'lines.jsonl');
    await record(file);

    const text = readFileSync(file, 'utf8');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

    expect(lines).toHaveLength(4);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('abcdefghijkl123');
    expect(text).toContain('Deploy with key [redacted]');
    expect(lines.map((line) => [line['provider'], line['agentId'], line['purpose'], line['taskId'], line['repair']])).toEqual([
      ['anthropic', 'manager', 'plan', null, false],
      ['anthropic', 'dev-1', 'work', 'task-1', false],
      ['anthropic', 'dev-1', 'work', 'task-1', false],
      ['anthropic', 'dev-1', 'work', 'task-2', false],
    ]);
    expect(lines[1]?.['key']).toBe(lines[2]?.['key']);
    expect(lines[1]?.['key']).toBe(cassetteKey(work));
    expect(lines[0]?.['request']).toMatchObject({ metadata: { agentId: 'manager', role: 'developer', purpose: 'plan' } });
    expect(text).not.toContain('"context"');
  });

  it('keys on what decides the answer: not the sim context or temperature, but the repair flag', () => {
    const other = { ...work, temperature: 0.7, metadata: { ...work.metadata, context: { feature: 'something else' } } };
    expect(cassetteKey(other)).toBe(cassetteKey(work));
    expect(cassetteKey({ ...work, metadata: { ...work.metadata, repair: false } })).toBe(cassetteKey(work));
    expect(cassetteKey({ ...work, metadata: { ...work.metadata, repair: true } })).not.toBe(cassetteKey(work));
    expect(cassetteKey({ ...work, maxTokens: 999 })).not.toBe(cassetteKey(work));
  });

  it('names the agent, purpose, task and cassette on a miss, and suggests recording again', async () => {
    const file = join(dir, 'miss.jsonl');
    await record(file);
    const replay = createReplayProvider({ file, name: 'replay' });
    await replay.complete(work);
    await replay.complete(work);

    const usedUp = await replay.complete(work).catch((error: unknown) => error);
    const unknown = await replay.complete({ ...work, metadata: { ...work.metadata, taskId: 'task-9' } }).catch((error: unknown) => error);

    expect(usedUp).toBeInstanceOf(ProviderError);
    expect(usedUp).toMatchObject({ failure: 'cassette_miss', provider: 'replay', retryable: false });
    expect((usedUp as ProviderError).message).toContain('only 2 recording(s) of this request, all used');
    const message = (unknown as ProviderError).message;
    expect(message).toContain(file);
    expect(message).toContain('agent "dev-1", purpose "work", task "task-9"');
    expect(message).toContain('record the run again');
  });

  it('keeps the simulated flag of recorded answers', async () => {
    const file = join(dir, 'sim.jsonl');
    const sim: LlmProvider = {
      name: 'sim',
      simulated: true,
      complete: async (call) => ({
        text: 'simulated',
        usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
        model: call.model,
        stopReason: 'end',
        latencyMs: 1234,
        simulated: true,
      }),
    };
    await withRecording(sim, { file }).complete(plan);
    const replay = createReplayProvider({ file });
    expect(replay).toMatchObject({ name: 'sim', simulated: true });
    await expect(replay.complete(plan)).resolves.toMatchObject({ simulated: true, latencyMs: 1234 });
  });

  it('refuses a missing or broken cassette, naming the file and the line', async () => {
    const missing = join(dir, 'nothing-here.jsonl');
    expect(() => createReplayProvider({ file: missing })).toThrow(ConfigError);
    expect(() => createReplayProvider({ file: missing })).toThrow(/nothing-here\.jsonl[\s\S]*cassette not found/);

    const broken = join(dir, 'broken.jsonl');
    await record(broken);
    await appendFile(broken, '{"version":1,"provider":"anthropic","key":"abc"');
    expect(() => createReplayProvider({ file: broken })).toThrow(
      'broken.jsonl is invalid:\n  - line 5, column 48: expected one JSON object, ' +
        'found a syntax error: expected "," or "}" after a property value, found the end of the text',
    );

    const wrongShape = join(dir, 'wrong-shape.jsonl');
    const noUsage = {
      version: 1,
      provider: 'x',
      key: 'a'.repeat(64),
      agentId: 'a',
      purpose: 'work',
      taskId: null,
      repair: false,
      request: {},
      response: { text: 'x' },
    };
    await writeFile(wrongShape, `${JSON.stringify(noUsage)}\n`);
    expect(() => createReplayProvider({ file: wrongShape })).toThrow(/line 1, response\.usage: /);
  });
});
