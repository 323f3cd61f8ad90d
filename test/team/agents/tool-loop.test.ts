import { describe, expect, it } from 'vitest';
import { createSimProvider, type LlmRequest, type SimWorkContext } from '../../../src/providers/index.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import { runToolLoop, ToolLoopLimitError } from '../../../src/team/agents/tool-loop.js';
import { commitAll, createTaskWorktree, executeTool, workspaceToolSpecs } from '../../../src/workspace/index.js';
import { sampleRepo } from '../../support/sample-repo.js';
import { createScriptedProvider } from '../../support/scripted-provider.js';
import { createTeamFixture } from '../../support/team-fixture.js';

const CONTEXT: SimWorkContext = {
  task: {
    id: 'T1',
    title: 'Add a greeting helper',
    description: 'Write the greeting module and its notes.',
    role: 'backend_developer',
    files: ['src/greeting.js', 'docs/greeting.md'],
    complexity: 'simple',
  },
  attempt: 0,
  resolutions: [],
  planTaskIds: ['T1'],
  dependencyTitles: [],
};

function workRequest(): LlmRequest {
  return {
    model: 'claude-haiku-4-5',
    system: 'You are the backend developer.',
    messages: [{ role: 'user', content: '# Task T1: Add a greeting helper' }],
    maxTokens: 4000,
    tools: workspaceToolSpecs({ allowlist: [], sandbox: 'bwrap' }),
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1', context: { ...CONTEXT } },
  };
}

describe('the tool loop', () => {
  it('lets the sim write real files in a worktree through the file tools, then report; the work commits', async () => {
    const repo = await sampleRepo();
    const fixture = await createTeamFixture({ provider: createSimProvider({ seed: 1, timeScale: 0 }), status: 'running' });
    try {
      const worktree = await createTaskWorktree({ repo: repo.dir, runId: 'r1', agentId: 'backend-dev', taskId: 'T1', base: 'main' });
      const caller = new ModelCaller(fixture.context, 'backend-dev');
      const { response, steps } = await runToolLoop({
        caller,
        request: workRequest(),
        maxSteps: 5,
        execute: (call) =>
          executeTool({ worktree: worktree.path, call, allowlist: [], sandbox: 'bwrap', commandTimeoutMs: 10_000, outputCapBytes: 50_000 }),
      });
      expect(steps).toBe(2);
      expect(JSON.parse(response.text)).toMatchObject({ status: 'done', filesChanged: ['src/greeting.js', 'docs/greeting.md'] });
      const commit = await commitAll({ worktree: worktree.path, message: 'Add a greeting helper' });
      expect(commit).not.toBeNull();
      const files = await repo.git('show', '--name-only', '--format=', worktree.branch);
      expect(files.split('\n').sort()).toEqual(['docs/greeting.md', 'src/greeting.js']);
      expect(await repo.git('show', `${worktree.branch}:src/greeting.js`)).toContain('T1: Add a greeting helper');
      // Both steps were priced and recorded.
      expect((await fixture.store.read()).agents['backend-dev']?.calls).toBe(2);
    } finally {
      await fixture.cleanup();
      await repo.cleanup();
    }
  });

  it('stops at the step limit, every step counted', async () => {
    const provider = createScriptedProvider();
    const fixture = await createTeamFixture({ provider, status: 'running' });
    try {
      const forever = { respond: () => ({ text: '', toolCalls: [{ id: 'c', name: 'list_files', input: {} }] }) };
      provider.enqueue(forever, forever, forever);
      const caller = new ModelCaller(fixture.context, 'backend-dev');
      const failure = await runToolLoop({
        caller,
        request: workRequest(),
        maxSteps: 3,
        execute: async () => ({ content: 'nothing', isError: false }),
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ToolLoopLimitError);
      expect((await fixture.store.read()).agents['backend-dev']?.calls).toBe(3);
    } finally {
      await fixture.cleanup();
    }
  });
});
