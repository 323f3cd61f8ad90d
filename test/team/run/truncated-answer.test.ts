import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { askStructured, createOpenAIProvider } from '../../../src/providers/index.js';
import { runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';
import { z } from 'zod';

const AGENTS_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 3000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: claude-haiku-4-5, max_tokens: 4000 }
`;

let project: TempProject | undefined;
let servers: WireTeamServers | undefined;
let openai: OpenAIServer | undefined;

afterEach(async () => {
  await servers?.close();
  await openai?.close();
  servers = undefined;
  openai = undefined;
  await project?.cleanup();
  clearWireTeamKeys();
});

describe('an answer that stopped at max_tokens', () => {
  it('anthropic, in a team run: is asked again once with twice the max_tokens, and the ledger says so', async () => {
    servers = await startWireTeam();
    // The manager's plan, cut off mid-answer.
    servers.anthropic.script({
      kind: 'text',
      text: '{"tasks": [{"id": "T1", "title": "Sign',
      stopReason: 'max_tokens',
      outputTokens: 3000,
    });
    project = await tempProject();
    await writeWireTeamProject(project, { agentsYml: AGENTS_YML, anthropic: servers.anthropic.url });
    const result = await runTeam({
      config: loadTeamConfig({ cwd: project.dir }),
      feature: 'Add user authentication with email and password',
    });
    expect(result.status).toBe('done');

    expect(servers.anthropic.requests.slice(0, 2).map((request) => request.body.max_tokens)).toEqual([3000, 6000]);
    const plans = (await readEntries(result.files.ledger)).filter((entry) => entry.type === 'model-call' && entry['purpose'] === 'plan');
    expect(plans).toHaveLength(2);
    expect(plans[0]).not.toHaveProperty('raisedFromMaxTokens');
    expect(plans[1]).toMatchObject({ maxTokens: 6000, raisedFromMaxTokens: 3000, repair: false });
    expect(result.summary.repairs).toBe(0);
  });

  it('openai, finish_reason "length": is asked again with twice the max_tokens, capped by the model limit', async () => {
    openai = await startOpenAIServer();
    openai.script(
      { text: '{"answer": ', finishReason: 'length' },
      { json: { answer: 42 } },
      { text: '{"answer": ', finishReason: 'length' },
      { json: { answer: 7 } },
    );
    const provider = createOpenAIProvider({ baseURL: openai.url, apiKey: 'sk-test-key-0000' });
    const ask = (model: string, maxTokens: number) =>
      askStructured({
        request: {
          model,
          system: 'Answer with JSON.',
          messages: [{ role: 'user', content: 'What is six times seven?' }],
          maxTokens,
          metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
        },
        schema: z.object({ answer: z.number() }),
        what: 'answer',
        call: (request) => provider.complete(request),
      });
    expect((await ask('gpt-4.1', 1000)).value).toEqual({ answer: 42 });
    // gpt-4o writes at most 16384 tokens.
    expect((await ask('gpt-4o', 12_000)).value).toEqual({ answer: 7 });
    const sent = openai.requests.map((request) => request.body.max_completion_tokens ?? request.body.max_tokens);
    expect(sent).toEqual([1000, 2000, 12_000, 16_384]);
  });
});
