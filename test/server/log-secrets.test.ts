import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logToStream } from '../../src/observability/index.js';
import { orchestrateBody, type ServiceFixture, startService, TEST_TOKEN } from './service-fixture.js';

// The logger reads its level once, at its first line: set before anything in this file logs.
process.env['AGENT_TEAM_LOG_LEVEL'] = 'debug';
const lines: string[] = [];
let service: ServiceFixture;

beforeAll(async () => {
  logToStream({ write: (chunk: string) => lines.push(String(chunk)) > 0 } as unknown as NodeJS.WritableStream);
  service = await startService();
});

afterAll(async () => {
  await service.cleanup();
  logToStream(process.stderr);
});

describe('the server log', () => {
  it('has a line per request and never the token: not on refused requests, not when a body carries it', async () => {
    const { call } = service;
    await call('/agents');
    await call('/agents', { headers: { authorization: `Bearer ${TEST_TOKEN}-wrong` } });
    await call('/orchestrate', { method: 'POST', json: { task_id: TEST_TOKEN } });
    const planned = await call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('logged', { description: `Use ${TEST_TOKEN} please` }),
    });
    expect(planned.status, lines.filter((line) => line.includes('error')).join('')).toBe(200);
    // A body that carries the token gets it back redacted.
    const view = await (await call('/tasks/logged')).text();
    expect(view).toContain('[redacted]');
    expect(view).not.toContain(TEST_TOKEN);
    // So do its events: the plan's stream carries the feature text.
    const controller = new AbortController();
    const stream = await call('/tasks/logged/events', { signal: controller.signal });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let events = '';
    while (!events.includes('plan-create')) events += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(events).toMatch(/run-start[\s\S]*\[redacted\]/);
    expect(events).not.toContain(TEST_TOKEN);
    const log = lines.join('');
    expect(log).toMatch(/"message":"request".*"path":"\/agents".*"status":200/);
    expect(log).toMatch(/"status":401/);
    expect(log).not.toContain(TEST_TOKEN);
  });
});
