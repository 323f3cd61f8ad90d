import { describe, expect, it } from 'vitest';
import { orchestrateBody, useServices, waitForStatus } from './service-fixture.js';

const service = useServices();

interface Subtask {
  subtask_id: string;
  agent: string | null;
  state: string;
  depends_on: string[];
  outputs: Record<string, unknown>;
}
interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; issue: string }[] };
}

// A team on Anthropic, run where ANTHROPIC_API_KEY is not set.
const ANTHROPIC_TEAM = {
  orchestrator: {
    agents: [
      { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
      { id: 'backend-dev', role: 'backend_developer', max_concurrent_tasks: 1 },
    ],
    provider: { name: 'anthropic' },
  },
};

async function withoutAnthropicKey(test: () => Promise<void>): Promise<void> {
  const previous = process.env['ANTHROPIC_API_KEY'];
  delete process.env['ANTHROPIC_API_KEY'];
  try {
    await test();
  } finally {
    if (previous !== undefined) process.env['ANTHROPIC_API_KEY'] = previous;
  }
}

describe('POST /orchestrate', () => {
  it('plans the feature: status planned, subtasks with ids, agents and states; the same request again answers the same', async () => {
    const { call } = await service();
    const first = await call('/orchestrate', { method: 'POST', json: orchestrateBody('feature-1087') });
    expect(first.status).toBe(200);
    const plan = (await first.json()) as { task_id: string; status: string; subtasks: Subtask[] };
    expect(plan.task_id).toBe('feature-1087');
    expect(plan.status).toBe('planned');
    expect(plan.subtasks.length).toBeGreaterThan(1);
    for (const subtask of plan.subtasks) {
      expect(subtask.subtask_id).toMatch(/^[a-z_]+::feature-1087::T\d+$/);
      expect(subtask.agent).toEqual(expect.any(String));
      expect(['ready', 'pending']).toContain(subtask.state);
    }
    expect(plan.subtasks.some((subtask) => subtask.depends_on.length > 0)).toBe(true);
    const again = await call('/orchestrate', { method: 'POST', json: orchestrateBody('feature-1087') });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(plan);
  });

  it('under 50 concurrent identical submissions plans once and gives 50 identical answers', async () => {
    const { call, server } = await service();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        call('/orchestrate', { method: 'POST', json: orchestrateBody('burst') }).then(async (response) => ({
          status: response.status,
          body: await response.text(),
        })),
      ),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    const { readRunLedger } = await import('../../src/team/index.js');
    const ledger = await readRunLedger(server.runs.configFor('burst'));
    expect(ledger.filter((entry) => entry.type === 'run-start')).toHaveLength(1);
    expect(ledger.filter((entry) => entry.type === 'plan-create')).toHaveLength(1);
  });

  it('answers 409 naming the fields that differ when the same task_id comes with another body', async () => {
    const { call } = await service();
    expect((await call('/orchestrate', { method: 'POST', json: orchestrateBody('t-409') })).status).toBe(200);
    const other = orchestrateBody('t-409', {
      title: 'Another title',
      metadata: { repository: 'git@example.com:shop/billing.git', requester: 'product-management', due_date: '2099-12-01' },
    });
    const response = await call('/orchestrate', { method: 'POST', json: other });
    expect(response.status).toBe(409);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('task_conflict');
    expect(body.error.fields?.map((field) => field.field)).toEqual(['metadata.due_date', 'title']);
    expect(body.error.message).toContain('metadata.due_date, title');
  });

  it('answers 400 with fields[].issue for each invalid field', async () => {
    const { call } = await service();
    const cases: { body: unknown; fields: string[] }[] = [
      { body: { task_id: 'x' }, fields: ['description', 'title'] },
      { body: orchestrateBody('x', { priority: 'urgent' }), fields: ['priority'] },
      { body: orchestrateBody('x', { metadata: { due_date: '2025-02-30' } }), fields: ['metadata.due_date'] },
      { body: orchestrateBody('x', { metadata: { due: 'tomorrow' } }), fields: ['metadata.due'] },
      { body: orchestrateBody('../etc', {}), fields: ['task_id'] },
      { body: orchestrateBody('x', { title: '   ' }), fields: ['title'] },
      { body: orchestrateBody('x', { extra: true }), fields: ['extra'] },
    ];
    for (const { body, fields } of cases) {
      const response = await call('/orchestrate', { method: 'POST', json: body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = ((await response.json()) as ErrorBody).error;
      expect(error.code).toBe('invalid_request');
      for (const field of error.fields ?? []) expect(field.issue.length).toBeGreaterThan(0);
      const named = (error.fields ?? []).map((field) => field.field).sort();
      expect(named, JSON.stringify(error)).toEqual(fields);
    }
    const broken = await call('/orchestrate', { method: 'POST', body: '{"task_id": ', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as ErrorBody).error.fields?.[0]?.issue).toMatch(/JSON/i);
  });
});

describe('POST /orchestrate when no agent can plan', () => {
  it('answers 503 naming the missing key, keeps nothing, and takes the same task again once it can', async () => {
    await withoutAnthropicKey(async () => {
      const { call } = await service(ANTHROPIC_TEAM);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await call('/orchestrate', { method: 'POST', json: orchestrateBody('no-key') });
        expect(response.status).toBe(503);
        const body = (await response.json()) as ErrorBody;
        expect(body.error.code).toBe('agent_unavailable');
        expect(body.error.message).toMatch(/ANTHROPIC_API_KEY/);
      }
      expect((await call('/tasks/no-key')).status).toBe(404);
    });
  });
});

describe('POST /execute/{task_id} and GET /tasks/{task_id}', () => {
  it('runs the planned feature to the end; the view has outputs, metrics, history and dependencies', async () => {
    const { call } = await service();
    const plan = (await (await call('/orchestrate', { method: 'POST', json: orchestrateBody('run-1') })).json()) as { subtasks: Subtask[] };
    const started = await call('/execute/run-1', { method: 'POST', json: { execution_mode: 'auto' } });
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ task_id: 'run-1', status: 'running' });
    const view = (await waitForStatus(call, 'run-1', ['completed', 'failed', 'interrupted'])) as unknown as {
      status: string;
      subtasks: Subtask[];
      dependencies: { subtask_id: string; depends_on: string[] }[];
      metrics: {
        elapsed_seconds: number;
        on_time: boolean | null;
        due_date: string;
        tokens: { total: number; input: number };
        cost_usd: number;
        model_calls: number;
      };
      status_history: { status: string; at: string }[];
      run_id: string;
    };
    expect(view.status).toBe('completed');
    const planned = new Set(plan.subtasks.map((subtask) => subtask.subtask_id));
    const done = view.subtasks.filter((subtask) => planned.has(subtask.subtask_id));
    expect(done).toHaveLength(planned.size);
    for (const subtask of done) {
      expect(subtask.state).toBe('completed');
      expect(subtask.outputs['summary']).toEqual(expect.any(String));
    }
    expect(view.dependencies).toEqual(view.subtasks.map((subtask) => ({ subtask_id: subtask.subtask_id, depends_on: subtask.depends_on })));
    expect(view.metrics.tokens.total).toBeGreaterThan(view.metrics.tokens.input);
    expect(view.metrics.cost_usd).toBeGreaterThan(0);
    expect(view.metrics.model_calls).toBeGreaterThan(plan.subtasks.length);
    expect(view.metrics.on_time).toBe(true);
    expect(view.metrics.due_date).toBe('2099-11-22');
    expect(view.metrics.elapsed_seconds).toBeGreaterThanOrEqual(0);
    expect(view.status_history.map((change) => change.status)).toEqual(['planning', 'planned', 'running', 'completed']);
    const again = await call('/execute/run-1', { method: 'POST', json: {} });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.code).toBe('task_ended');
  });

  it('a task past its due date is not on time; execute without a body runs in auto mode', async () => {
    const { call } = await service();
    const body = orchestrateBody('late', { metadata: { due_date: '2000-01-01T00:00:00Z' } });
    expect((await call('/orchestrate', { method: 'POST', json: body })).status).toBe(200);
    expect((await call('/execute/late', { method: 'POST' })).status).toBe(202);
    const view = (await waitForStatus(call, 'late', ['completed', 'failed'])) as unknown as { metrics: { on_time: boolean } };
    expect(view.metrics.on_time).toBe(false);
  });

  it('404 for unknown task ids, 400 for an invalid mode, checkpoint or task id', async () => {
    const { call } = await service();
    for (const [path, method] of [
      ['/tasks/nope', 'GET'],
      ['/execute/nope', 'POST'],
      ['/tasks/nope/cancel', 'POST'],
      ['/tasks/nope/events', 'GET'],
    ] as const) {
      const response = await call(path, { method });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as ErrorBody).error.code).toBe('task_not_found');
    }
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('m-1') });
    const unknownCheckpoint = await call('/execute/m-1', {
      method: 'POST',
      json: { execution_mode: 'manual', checkpoints: ['after_plan', 'nowhere'] },
    });
    expect(unknownCheckpoint.status).toBe(400);
    expect(((await unknownCheckpoint.json()) as ErrorBody).error.fields?.map((field) => field.field)).toEqual(['checkpoints.1']);
    const autoWithCheckpoints = await call('/execute/m-1', { method: 'POST', json: { checkpoints: ['after_plan'] } });
    expect(autoWithCheckpoints.status).toBe(400);
    expect(((await autoWithCheckpoints.json()) as ErrorBody).error.fields?.[0]?.field).toBe('checkpoints');
    const invalid = await call('/execute/m-1', { method: 'POST', json: { execution_mode: 'fast' } });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ErrorBody).error.fields?.[0]?.field).toBe('execution_mode');
    expect((await call('/tasks/bad%20id')).status).toBe(400);
  });
});

describe('GET /agents', () => {
  it('lists the roster with skills, models and health, filtered by domain, capability and health', async () => {
    const { call } = await service();
    const all = (await (await call('/agents')).json()) as {
      agents: { name: string; skills: string[]; domains: string[]; health: string; model: string }[];
    };
    expect(all.agents.map((agent) => agent.name)).toEqual(['manager', 'backend-dev', 'frontend-dev', 'qa-tester', 'reviewer']);
    expect(all.agents.every((agent) => agent.health === 'healthy' && agent.model !== '')).toBe(true);
    const names = async (query: string): Promise<string[]> =>
      ((await (await call(`/agents?${query}`)).json()) as { agents: { name: string }[] }).agents.map((agent) => agent.name);
    expect(await names('domain=web')).toEqual(['backend-dev', 'frontend-dev']);
    expect(await names('capability=qa-tester')).toEqual(['qa-tester']);
    expect(await names('capability=backend-developer&domain=web')).toEqual(['backend-dev']);
    expect(await names('health=unavailable')).toEqual([]);
    const bad = await call('/agents?health=sick');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.fields?.[0]?.field).toBe('health');
  });

  it('marks agents whose provider has no API key unavailable', async () => {
    await withoutAnthropicKey(async () => {
      const { call } = await service(ANTHROPIC_TEAM);
      const body = (await (await call('/agents?health=unavailable')).json()) as { agents: { name: string; health_reason: string }[] };
      expect(body.agents.map((agent) => agent.name)).toEqual(['manager', 'backend-dev']);
      expect(body.agents[0]?.health_reason).toBe('ANTHROPIC_API_KEY is not set');
    });
  });
});

describe('GET /openapi.json', () => {
  it('is generated from the schemas that validate requests', async () => {
    const { call } = await service();
    const document = (await (await call('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/agents',
        '/execute/{task_id}',
        '/healthz',
        '/metrics',
        '/orchestrate',
        '/readyz',
        '/tasks/{task_id}',
        '/tasks/{task_id}/approvals/{approval_id}',
        '/tasks/{task_id}/blockers/{blocker_id}/resolve',
        '/tasks/{task_id}/cancel',
        '/tasks/{task_id}/events',
        // The dashboard's pages (test/server/dashboard-openapi.test.ts checks them).
        ...['', '/assets/dashboard.css', '/assets/dashboard.js', '/assets/icon.svg', '/blockers', '/compare', '/experiments'].map(
          (path) => `/ui${path}`,
        ),
        ...['/experiments/{id}', '/live', '/runs/{id}', '/runs/{id}/agents/{agent}', '/runs/{id}/ledger'].map((path) => `/ui${path}`),
      ].sort(),
    );
    // The person-in-the-loop shapes and their documented meaning are part of the document.
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Approval', 'Blocker', 'ResolveBlockerRequest', 'ApprovalDecisionRequest', 'ExecuteRequest']),
    );
    const execute = document.components.schemas['ExecuteRequest'] as { properties: Record<string, { description?: string }> };
    expect(execute.properties['checkpoints']?.description).toMatch(/after_plan.*subtask_id.*before_integration/s);
    const request = document.components.schemas['OrchestrateRequest'];
    expect(Object.keys(request?.properties ?? {}).sort()).toEqual(['description', 'metadata', 'priority', 'task_id', 'title']);
    expect(request?.required).toEqual(expect.arrayContaining(['task_id', 'title', 'description']));
  });
});
