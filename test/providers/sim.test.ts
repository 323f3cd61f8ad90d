import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig, type TeamConfig } from '../../src/config/index.js';
import { countTokens, createSimProvider, type LlmRequest, type LlmResponse, type SimWorkContext } from '../../src/providers/index.js';
import { simulatePlan } from '../../src/providers/sim-plan.js';
import type { SimPlanContext, SimResolveContext, SimRosterRole } from '../../src/providers/sim-context.js';
import { blockedTaskIds } from '../../src/providers/sim-answers.js';
import { planSchema, workReportSchema } from '../../src/team/tasks/answer-schemas.js';
import { planProblems } from '../../src/team/tasks/plan-graph.js';

let dir: string;
let config: TeamConfig;
let roles: SimRosterRole[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-team-sim-'));
  config = loadTeamConfig({ cwd: dir });
  const byRole = new Map<string, string[]>();
  for (const member of config.roster) if (!member.isManager) byRole.set(member.role, [...(byRole.get(member.role) ?? []), member.id]);
  roles = [...byRole].map(([role, agentIds]) => ({ role, agentIds }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const FEATURE = 'Add user authentication with email and password';

function dependsTransitively(tasks: readonly { id: string; dependsOn: readonly string[] }[], from: string): Set<string> {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const seen = new Set<string>();
  const stack = [...(byId.get(from)?.dependsOn ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return seen;
}

function planRequest(context: SimPlanContext): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are the manager.',
    messages: [{ role: 'user', content: `Plan: ${context.feature}` }],
    maxTokens: 8000,
    metadata: { agentId: 'manager', role: 'team_manager', purpose: 'plan', context: { ...context } },
  };
}

function workRequest(context: SimWorkContext, agentId = 'backend-dev'): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are a developer.',
    messages: [{ role: 'user', content: `Task ${context.task.id}: ${context.task.title}` }],
    maxTokens: 8000,
    metadata: { agentId, role: context.task.role, purpose: 'work', taskId: context.task.id, context: { ...context } },
  };
}

function workContext(taskId: string, overrides: Partial<SimWorkContext> = {}): SimWorkContext {
  return {
    task: {
      id: taskId,
      title: `Task ${taskId}`,
      description: 'Build it.',
      role: 'backend_developer',
      files: ['src/a.ts'],
      complexity: 'medium',
    },
    attempt: 0,
    resolutions: [],
    planTaskIds: ['T1', 'T2', 'T3', 'T4'],
    dependencyTitles: [],
    ...overrides,
  };
}

describe('sim plan', () => {
  it('plans the default roster as a sound graph: contract first, reviewer last', () => {
    const roleNames = roles.map((role) => role.role);
    expect(roleNames).toEqual(['backend_developer', 'frontend_developer', 'qa_tester', 'reviewer']);
    for (const seed of [1, 2, 3, 42]) {
      const plan = planSchema.parse(simulatePlan({ feature: FEATURE, roles }, { seed, planTasks: null }));
      expect(planProblems(plan, { workerRoles: roleNames, managerRole: config.manager.role })).toEqual([]);

      const [contract] = plan.tasks;
      expect(contract?.title).toContain('API contract');
      expect(contract?.dependsOn).toEqual([]);
      for (const task of plan.tasks.slice(1)) expect(dependsTransitively(plan.tasks, task.id), task.id).toContain(contract?.id);

      const last = plan.tasks.at(-1);
      expect(last?.role).toBe('reviewer');
      const reviewed = dependsTransitively(plan.tasks, last?.id ?? '');
      expect([...reviewed].sort()).toEqual(
        plan.tasks
          .slice(0, -1)
          .map((task) => task.id)
          .sort(),
      );
      // Every worker role gets work.
      expect(new Set(plan.tasks.map((task) => task.role))).toEqual(new Set(roleNames));
    }
  });

  it('plans a sound graph of exactly the requested size', () => {
    const roleNames = roles.map((role) => role.role);
    for (const taskCount of [1, 2, 7, 25]) {
      const plan = planSchema.parse(simulatePlan({ feature: FEATURE, roles }, { seed: 5, planTasks: taskCount }));
      expect(plan.tasks).toHaveLength(taskCount);
      expect(planProblems(plan, { workerRoles: roleNames, managerRole: config.manager.role })).toEqual([]);
    }
  });

  it('answers a plan call with JSON that passes the plan schema and checks', async () => {
    const provider = createSimProvider({ seed: 1, timeScale: 0 });
    const response = await provider.complete(planRequest({ feature: FEATURE, roles }));
    const plan = planSchema.parse(JSON.parse(response.text));
    expect(planProblems(plan, { workerRoles: roles.map((role) => role.role), managerRole: 'team_manager' })).toEqual([]);
    expect(response).toMatchObject({ simulated: true, model: 'claude-sonnet-5', stopReason: 'end' });
    expect(provider.simulated).toBe(true);
  });

  it('plans exactly as many tasks as its planTasks setting says', async () => {
    const provider = createSimProvider({ seed: 1, timeScale: 0, planTasks: 7 });
    const response = await provider.complete(planRequest({ feature: FEATURE, roles }));
    expect(planSchema.parse(JSON.parse(response.text)).tasks).toHaveLength(7);
  });
});

describe('sim determinism', () => {
  const resolveContext: SimResolveContext = {
    blockerId: 'T2-B1',
    kind: 'question',
    question: 'Which error code for duplicates?',
    task: workContext('T2').task,
    roles: ['backend_developer', 'frontend_developer'],
  };
  const script = (): LlmRequest[] => [
    planRequest({ feature: FEATURE, roles }),
    workRequest(workContext('T1')),
    workRequest(workContext('T2', { resolutions: ['Use 409'] })),
    {
      ...workRequest(workContext('T3')),
      metadata: { agentId: 'manager', role: 'team_manager', purpose: 'resolve', taskId: 'T2', context: { ...resolveContext } },
    },
  ];
  const run = async (seed: number): Promise<LlmResponse[]> => {
    const provider = createSimProvider({ seed, timeScale: 0, blockerRate: 0.5 });
    const responses: LlmResponse[] = [];
    for (const request of script()) responses.push(await provider.complete(request));
    return responses;
  };

  it('gives identical answers, usage and latency for the same seed', async () => {
    expect(await run(7)).toEqual(await run(7));
  });

  it('draws different usage for a different seed', async () => {
    const [a, b] = await Promise.all([run(7), run(8)]);
    expect(a.map((response) => response.usage.outputTokens)).not.toEqual(b.map((response) => response.usage.outputTokens));
    // Input tokens are counted on the prompt, not drawn: the seed does not change them.
    expect(a.map((response) => response.usage.inputTokens)).toEqual(b.map((response) => response.usage.inputTokens));
  });
});

describe('blockedTaskIds', () => {
  const ids = Array.from({ length: 10 }, (_, index) => `T${index + 1}`);

  it('picks round(rate × n) of the tasks, at least one when the rate is above zero', () => {
    expect(blockedTaskIds(ids, 0.3, 1).size).toBe(3);
    expect(blockedTaskIds(ids, 0.25, 1).size).toBe(3); // 2.5 rounds up
    expect(blockedTaskIds(ids, 0.01, 1).size).toBe(1);
    expect(blockedTaskIds(ids, 1, 1).size).toBe(10);
    expect(blockedTaskIds(ids.slice(0, 7), 0.5, 1).size).toBe(4);
    expect(blockedTaskIds(ids, 0, 1).size).toBe(0);
    expect(blockedTaskIds([], 0.5, 1).size).toBe(0);
  });

  it('picks plan tasks only, the same ones whatever the order, per seed', () => {
    const picked = blockedTaskIds(ids, 0.3, 9);
    for (const id of picked) expect(ids).toContain(id);
    expect(blockedTaskIds([...ids].reverse(), 0.3, 9)).toEqual(picked);
    const seeds = new Set(Array.from({ length: 20 }, (_, seed) => [...blockedTaskIds(ids, 0.3, seed)].sort().join(',')));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('makes the chosen tasks block on their first attempt and finish once resolved', async () => {
    const provider = createSimProvider({ seed: 3, timeScale: 0, blockerRate: 0.25 });
    const [blockedId] = [...blockedTaskIds(['T1', 'T2', 'T3', 'T4'], 0.25, 3)];
    const first = workReportSchema.parse(JSON.parse((await provider.complete(workRequest(workContext(blockedId ?? '')))).text));
    expect(first.status).toBe('blocked');
    const resumed = workRequest(workContext(blockedId ?? '', { resolutions: ['Use 409'] }));
    expect(workReportSchema.parse(JSON.parse((await provider.complete(resumed)).text)).status).toBe('done');
  });
});

describe('sim prompt caching', () => {
  // Well over claude-sonnet's 1024-token cache minimum.
  const longSystem = 'You follow the team protocol and answer with one JSON object. '.repeat(150);

  it('anthropic style: writes the system prompt on the first call, reads it on the next, input excludes both', async () => {
    const provider = createSimProvider({ seed: 1, timeScale: 0 });
    const systemTokens = countTokens(longSystem);
    expect(systemTokens).toBeGreaterThan(1024);
    const request = (taskId: string): LlmRequest => ({ ...workRequest(workContext(taskId)), system: longSystem, cacheSystemPrompt: true });
    const messageTokens = (value: LlmRequest): number => countTokens(value.messages[0]?.content ?? '') + 4;

    const first = await provider.complete(request('T1'));
    const second = await provider.complete(request('T2'));
    expect(first.usage.cacheWriteTokens).toBe(systemTokens);
    expect(first.usage.cacheReadTokens).toBe(0);
    expect(second.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens);
    expect(second.usage.cacheWriteTokens).toBe(0);
    expect(first.usage.inputTokens).toBe(messageTokens(request('T1')));
    expect(second.usage.inputTokens).toBe(messageTokens(request('T2')));

    // The cache is per agent: another agent with the same prompt writes its own.
    const other = await provider.complete({ ...request('T3'), metadata: { ...request('T3').metadata, agentId: 'frontend-dev' } });
    expect(other.usage).toMatchObject({ cacheWriteTokens: systemTokens, cacheReadTokens: 0 });
  });

  it('does not cache a prompt below the minimum or when caching is off', async () => {
    const provider = createSimProvider({ seed: 1, timeScale: 0 });
    const short = workRequest(workContext('T1'));
    await provider.complete(short);
    expect((await provider.complete(short)).usage).toMatchObject({ cacheReadTokens: 0, cacheWriteTokens: 0 });
    const off: LlmRequest = { ...short, system: longSystem, cacheSystemPrompt: false };
    await provider.complete(off);
    const again = await provider.complete(off);
    expect(again.usage).toMatchObject({ cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(again.usage.inputTokens).toBe(countTokens(longSystem) + countTokens(off.messages[0]?.content ?? '') + 4);
  });

  it('openai style: no write charge, later calls read whole 128-token blocks of the prefix', async () => {
    const provider = createSimProvider({ seed: 1, timeScale: 0 });
    const request: LlmRequest = { ...workRequest(workContext('T1')), model: 'gpt-4.1', system: longSystem, cacheSystemPrompt: true };
    const first = await provider.complete(request);
    const second = await provider.complete(request);
    const systemTokens = countTokens(longSystem);
    expect(first.usage).toMatchObject({ cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(second.usage.cacheReadTokens).toBe(Math.floor(systemTokens / 128) * 128);
    expect(second.usage.inputTokens + second.usage.cacheReadTokens).toBe(first.usage.inputTokens);
  });
});

describe('sim latency', () => {
  it('does not wait at time scale 0, and waits latency × scale otherwise', async () => {
    const requested: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      requested.push(ms);
    };
    const instant = createSimProvider({ seed: 1, timeScale: 0, sleep });
    const response = await instant.complete(workRequest(workContext('T1')));
    expect(requested).toEqual([]);
    expect(response.latencyMs).toBeGreaterThan(0);

    const scaled = createSimProvider({ seed: 1, timeScale: 0.5, sleep });
    const slow = await scaled.complete(workRequest(workContext('T1')));
    // claude-sonnet profile: 800 ms to the first token, then 75 tokens per second.
    expect(slow.latencyMs).toBe(Math.round(800 + (slow.usage.outputTokens / 75) * 1000));
    expect(requested).toEqual([slow.latencyMs * 0.5]);
  });

  it('stops at once when the signal is already aborted', async () => {
    const provider = createSimProvider({ seed: 1, timeScale: 1, sleep: async () => undefined });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(provider.complete(workRequest(workContext('T1')), controller.signal)).rejects.toThrow('stop');
  });
});
