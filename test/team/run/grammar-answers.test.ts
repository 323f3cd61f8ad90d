/**
 * A grammar-constrained model holds an answer to its schema, not to the request: asked
 * with one union of every manager answer, it may answer a plan request with the
 * integration branch. Here the servers answer every structured request with the
 * minimal value the call's schema allows (first union branch, first enum value), and
 * a team still plans, works and integrates — through the real SDKs over HTTP, for
 * Anthropic (answer tools), OpenAI's own API shape (strict answer tools) and a
 * compatible server (response_format with only the call's schema).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadTeamConfig } from '../../../src/config/index.js';
import { runTeam } from '../../../src/team/index.js';
import { integrationSchema, planSchema, resolutionSchema } from '../../../src/team/tasks/answer-schemas.js';
import { planProblems } from '../../../src/team/tasks/plan-graph.js';
import { grammarAnswer } from '../../support/grammar-answer.js';
import { readEntries } from '../../support/ledger.js';
import { lastUserText } from '../../support/team-brain.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';

const CLAUDE_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, max_tokens: 4000 }
`;

const GPT_YML = `
tiers: { simple: gpt-4.1-nano, medium: gpt-4.1-mini, complex: gpt-4.1 }
agents:
  team_manager: { base: base/manager.md, model: gpt-4.1, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, max_tokens: 4000 }
`;

const MANAGER_ANSWER_TOOLS = ['plan', 'blocker_resolution', 'integration_summary'];
const WORKER_ROLES = ['backend_developer', 'frontend_developer', 'qa_tester', 'reviewer'];

let project: TempProject | undefined;
let servers: WireTeamServers | undefined;

afterEach(async () => {
  await servers?.close();
  await project?.cleanup();
  clearWireTeamKeys();
});

async function run(input: {
  agentsYml: string;
  provider: 'anthropic' | 'openai';
  openaiMode?: string;
}): Promise<{ result: Awaited<ReturnType<typeof runTeam>>; servers: WireTeamServers }> {
  servers = await startWireTeam({ grammar: true });
  project = await tempProject();
  await writeWireTeamProject(project, {
    agentsYml: input.agentsYml,
    anthropic: servers.anthropic.url,
    openai: servers.openai.url,
    provider: input.provider,
    ...(input.openaiMode === undefined ? {} : { structuredOutput: { openai: input.openaiMode } }),
  });
  const config = loadTeamConfig({ cwd: project.dir });
  const result = await runTeam({ config, feature: 'Add user authentication with email and password' });
  return { result, servers };
}

async function expectNoRepairs(ledgerFile: string): Promise<void> {
  const calls = (await readEntries(ledgerFile)).filter((entry) => entry.type === 'model-call');
  expect(calls.length).toBeGreaterThan(2);
  expect(calls.filter((entry) => entry['repair'] === true)).toEqual([]);
}

/** Who claimed the planned tasks: the careless plan still names a roster role, because roles are an enum of them. */
async function claimants(ledgerFile: string): Promise<unknown[]> {
  return (await readEntries(ledgerFile)).filter((entry) => entry.type === 'task-claim').map((entry) => entry['agentId']);
}

describe('the minimal answer a grammar allows', () => {
  it('would not hold the old single union to the call: a plan where an integration summary was wanted, roles any text', () => {
    const union = z.toJSONSchema(z.union([planSchema, resolutionSchema, integrationSchema]), { io: 'input' }) as Record<string, unknown>;
    expect(union['anyOf']).toBeDefined();
    const answer = grammarAnswer(union);
    expect(planSchema.safeParse(answer).success).toBe(true);
    expect(integrationSchema.safeParse(answer).success).toBe(false);
    // With roles as free strings, the minimal plan names no roster role.
    const plan = planSchema.parse(grammarAnswer(z.toJSONSchema(planSchema, { io: 'input' }) as Record<string, unknown>));
    expect(planProblems(plan, { workerRoles: WORKER_ROLES, managerRole: 'team_manager' }).join('\n')).toMatch(/role/);
  });
});

describe('a team whose model answers like a careless grammar, over the real SDKs', () => {
  it('anthropic: each manager call offers the same answer tools and forces its own; the run ends done without a repair', async () => {
    const { result, servers } = await run({ agentsYml: CLAUDE_YML, provider: 'anthropic' });
    expect(result.status).toBe('done');
    await expectNoRepairs(result.files.ledger);
    const managerCalls = servers.anthropic.requests.filter((request) => lastUserText(request.body.messages).startsWith('# Request:'));
    const forced = managerCalls.map((request) => request.body.tool_choice);
    expect(forced[0]).toEqual({ type: 'tool', name: 'plan' });
    expect(forced.at(-1)).toEqual({ type: 'tool', name: 'integration_summary' });
    for (const request of managerCalls) expect(request.body.tools?.map((tool) => tool.name)).toEqual(MANAGER_ANSWER_TOOLS);
    const planTool = managerCalls[0]?.body.tools?.[0]?.input_schema ?? {};
    expect(planTool['anyOf']).toBeUndefined();
    expect(planTool['type']).toBe('object');
    expect(await claimants(result.files.ledger)).toEqual(['backend-dev']);
  });

  it('openai tools mode: strict answer tools, the call named in tool_choice, no response_format; the run ends done', async () => {
    const { result, servers } = await run({ agentsYml: GPT_YML, provider: 'openai', openaiMode: 'tools' });
    expect(result.status).toBe('done');
    await expectNoRepairs(result.files.ledger);
    const managerCalls = servers.openai.requests.filter((request) =>
      lastUserText(request.body.messages as { role: string; content: unknown }[]).startsWith('# Request:'),
    );
    expect(managerCalls.length).toBeGreaterThanOrEqual(2);
    for (const request of servers.openai.requests) expect(request.body.response_format).toBeUndefined();
    const names = (request: (typeof managerCalls)[number]): string[] =>
      (request.body.tools ?? []).flatMap((tool) => (tool.type === 'function' ? [tool.function.name] : []));
    for (const request of managerCalls) expect(names(request)).toEqual(MANAGER_ANSWER_TOOLS);
    expect(managerCalls[0]?.body.tool_choice).toEqual({ type: 'function', function: { name: 'plan' } });
    expect(managerCalls.at(-1)?.body.tool_choice).toEqual({ type: 'function', function: { name: 'integration_summary' } });
    for (const tool of managerCalls[0]?.body.tools ?? []) {
      if (tool.type !== 'function') continue;
      expect(tool.function.strict).toBe(true);
      expect(tool.function.parameters?.['additionalProperties']).toBe(false);
    }
    expect(await claimants(result.files.ledger)).toEqual(['backend-dev']);
  });

  it('compatible server (json_schema): response_format carries only the call’s schema; the run ends done', async () => {
    const { result, servers } = await run({ agentsYml: GPT_YML, provider: 'openai' });
    expect(result.status).toBe('done');
    await expectNoRepairs(result.files.ledger);
    const formats = servers.openai.requests.map(
      (request) => request.body.response_format as { json_schema?: { name: string; schema: Record<string, unknown> } },
    );
    for (const request of servers.openai.requests) expect(request.body.tools).toBeUndefined();
    expect(formats[0]?.json_schema?.name).toBe('plan');
    expect(formats[0]?.json_schema?.schema['anyOf']).toBeUndefined();
    expect(formats.at(-1)?.json_schema?.name).toBe('integration_summary');
    expect(new Set(formats.map((format) => format.json_schema?.name))).toEqual(new Set(['plan', 'task_report', 'integration_summary']));
  });
});
