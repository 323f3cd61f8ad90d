import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';

const FEATURE = 'Add user authentication with email and password';
const AGENTS_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], provider: openai, model: gpt-4.1, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, provider: openai, model: gpt-4.1-mini, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: claude-haiku-4-5, max_tokens: 4000 }
`;

const projects: TempProject[] = [];
let servers: WireTeamServers | undefined;

afterEach(async () => {
  await servers?.close();
  servers = undefined;
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
  clearWireTeamKeys();
});

async function project(urls: { anthropic: string; openai: string }): Promise<TempProject> {
  const created = await tempProject();
  projects.push(created);
  await writeWireTeamProject(created, { agentsYml: AGENTS_YML, anthropic: urls.anthropic, openai: urls.openai });
  return created;
}

/** Each model call as `agent purpose task provider model`, in a stable order. */
async function callsOf(ledgerFile: string): Promise<string[]> {
  const entries = await readEntries(ledgerFile);
  return entries
    .filter((entry) => entry.type === 'model-call')
    .map((entry) => [entry['agentId'], entry['purpose'], entry['taskId'], entry['provider'], entry['model']].join(' '))
    .sort();
}

describe('replaying a run that mixed providers', () => {
  it('reports each call under the provider that answered it when recorded, in the ledger and the summary', async () => {
    servers = await startWireTeam();
    const recording = await project({ anthropic: servers.anthropic.url, openai: servers.openai.url });
    const cassette = recording.path('mixed.cassette.jsonl');
    const recorded = await runTeam({ config: loadTeamConfig({ cwd: recording.dir }), feature: FEATURE, record: cassette });
    expect(recorded.status).toBe('done');
    const answered = servers.anthropic.requests.length + servers.openai.requests.length;
    await servers.close();
    servers = undefined;

    // The servers are gone: every answer now comes from the cassette.
    const replaying = await project({ anthropic: 'http://127.0.0.1:9', openai: 'http://127.0.0.1:9' });
    const replayed = await runTeam({ config: loadTeamConfig({ cwd: replaying.dir }), feature: FEATURE, replay: cassette });
    expect(replayed.status).toBe('done');

    const recordedCalls = await callsOf(recorded.files.ledger);
    expect(recordedCalls).toHaveLength(answered);
    expect(new Set(recordedCalls.map((call) => call.split(' ')[3]))).toEqual(new Set(['anthropic', 'openai']));
    expect(await callsOf(replayed.files.ledger)).toEqual(recordedCalls);
    expect(Object.keys(recorded.summary.byProvider).sort()).toEqual(['anthropic', 'openai']);
    expect(replayed.summary.byProvider).toEqual(recorded.summary.byProvider);
    expect(replayed.summary.simulated).toBe(false);
  });
});
