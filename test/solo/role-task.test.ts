import { afterEach, describe, expect, it } from 'vitest';
import { builtInPaths } from '../../src/config/index.js';
import { InvalidModelOutputError, UsageError } from '../../src/errors/index.js';
import { listRoles, roleOf, runRoleTask } from '../../src/solo/index.js';
import { MemoryStore } from '../../src/memory/index.js';
import type { RoleName } from '../../src/solo/roles.js';
import { createSimProvider, type LlmProvider, type LlmRequest } from '../../src/providers/index.js';
import { createScriptedProvider } from '../support/scripted-provider.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const projects: TempProject[] = [];
const promptsDir = builtInPaths().promptsDir;

afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

async function newStore(): Promise<MemoryStore> {
  const project = await tempProject('agent-team-role-task-');
  projects.push(project);
  return MemoryStore.forProject(project.dir);
}

/** Wraps a provider to keep every request it receives. */
function recording(provider: LlmProvider): LlmProvider & { requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    name: provider.name,
    simulated: provider.simulated,
    requests,
    complete: (request, signal) => {
      requests.push(request);
      return provider.complete(request, signal);
    },
  };
}

const sim = (): LlmProvider => createSimProvider({ seed: 1, timeScale: 0 });

function task(role: string, store: MemoryStore, provider: LlmProvider = sim(), text = 'Implement the password reset flow.') {
  return runRoleTask({
    role,
    directory: './src',
    task: text,
    project: 'shop',
    agentId: `${role}-1`,
    provider,
    model: 'claude-sonnet-5',
    promptsDir,
    store,
  });
}

describe('runRoleTask', () => {
  const expected: Record<RoleName, { type: string; tags?: string[] }> = {
    test: { type: 'error' },
    code: { type: 'decision' },
    review: { type: 'fact' },
    docs: { type: 'doc' },
    debug: { type: 'error', tags: ['resolved'] },
    orchestrator: { type: 'fact' },
    custom: { type: 'fact' },
  };

  it.each(listRoles().map((role) => role.name))(
    'the %s role saves its own memory types, tagged with its agent, role and project',
    async (role) => {
      const store = await newStore();
      const result = await task(role, store);
      const want = expected[role];
      expect(result.saved.length).toBeGreaterThan(0);
      for (const memory of result.saved) {
        expect(memory.type).toBe(want.type);
        expect(roleOf(role).saves).toContain(memory.type);
        expect(memory).toMatchObject({ agent: `${role}-1`, role, project: 'shop' });
        expect(memory.tags).toEqual(expect.arrayContaining([`${role}-agent`, ...(want.tags ?? [])]));
      }
      expect(await store.all()).toEqual(result.saved);
      expect(result.simulated).toBe(true);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
    },
  );

  it('gives the agent the relevant memories before it works, and its answer builds on them', async () => {
    const store = await newStore();
    const [decision] = await store.append([
      {
        type: 'decision',
        content: 'Password reset tokens are single use and expire after 30 minutes.',
        tags: ['reset'],
        agent: 'code-1',
        role: 'code',
        project: 'shop',
      },
    ]);
    await store.append([
      { type: 'fact', content: 'Password reset in another project.', tags: [], agent: 'x', role: 'custom', project: 'blog' },
    ]);
    const provider = recording(sim());
    const result = await task('review', store, provider, 'Review the password reset flow.');

    expect(result.recalled).toEqual([decision]);
    expect(result.summary).toContain('Used 1 memory, first: "Password reset tokens are single use and expire after 30 mi');
    const [request] = provider.requests;
    expect(request?.system).toContain('# Review agent');
    expect(request?.system).toContain('## Memory protocol');
    expect(request?.messages[0]?.content).toContain('Task: Review the password reset flow.');
    expect(request?.messages[0]?.content).toContain('1. [decision] Password reset tokens are single use');
    expect(request?.metadata).toMatchObject({ agentId: 'review-1', role: 'review', purpose: 'role-task' });
    expect(request?.metadata.context).toMatchObject({
      role: 'review',
      task: 'Review the password reset flow.',
      directory: './src',
      memories: [{ type: 'decision', content: decision?.content }],
    });
  });

  it('tells a first agent that memory is empty', async () => {
    const provider = recording(sim());
    const result = await task('code', await newStore(), provider);
    expect(result.recalled).toEqual([]);
    expect(provider.requests[0]?.messages[0]?.content).toContain('No memories yet for this project');
  });

  it('repairs one invalid answer, summing the usage of both calls', async () => {
    const store = await newStore();
    const provider = createScriptedProvider().enqueue(
      'I wrote the code.',
      '```json\n{"summary": "Added the reset endpoint.", "memories": [{"type": "pattern", "content": "Handlers validate with zod.", "tags": ["Api"]}]}\n```',
    );
    const result = await task('code', store, provider);
    expect(result).toMatchObject({ summary: 'Added the reset endpoint.', repaired: true, usage: { inputTokens: 200, outputTokens: 100 } });
    expect(result.saved[0]).toMatchObject({ type: 'pattern', tags: ['api', 'code-agent'] });
    const repair = provider.calls[1];
    expect(repair?.metadata.repair).toBe(true);
    expect(repair?.messages.at(-1)?.content).toContain('the answer is not valid JSON');
    provider.assertComplete();
  });

  it('fails with the problems after a second invalid answer, saving nothing', async () => {
    const store = await newStore();
    const provider = createScriptedProvider().enqueue(
      '{"summary": ""}',
      '{"summary": "ok", "memories": [{"type": "rumour", "content": "x"}]}',
    );
    const error = await task('code', store, provider).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidModelOutputError);
    expect((error as InvalidModelOutputError).message).toMatch(/memories\.0\.type: expected one of fact, decision, error, doc, pattern/);
    expect(await store.all()).toEqual([]);
  });

  it('rejects an unknown role before calling the model', async () => {
    const provider = recording(sim());
    await expect(task('tester', await newStore(), provider)).rejects.toThrow(UsageError);
    await expect(task('tester', await newStore(), provider)).rejects.toThrow(
      /Unknown role "tester". Expected one of: orchestrator, test, code, review, docs, debug, custom/,
    );
    expect(provider.requests).toEqual([]);
  });

  it('stops on an aborted signal without saving', async () => {
    const store = await newStore();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      runRoleTask({
        role: 'code',
        directory: '.',
        task: 'x',
        project: 'shop',
        agentId: 'c',
        provider: sim(),
        model: 'm',
        promptsDir,
        store,
        signal: controller.signal,
      }),
    ).rejects.toThrow('stop');
    expect(await store.all()).toEqual([]);
  });
});
