/**
 * The service's log file: a task served through to done over real HTTP leaves JSON lines in
 * <data dir>/logs/orchestrator.log, each about the task carrying its task_id and, for the work on
 * a subtask, its subtask_id; the bearer token and API keys never appear, not even in a path.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { serviceLogPath } from '../../src/server/index.js';
import { orchestrateBody, TEST_TOKEN, useServices, waitForStatus } from '../server/service-fixture.js';

const API_KEY = 'sk-ant-api03-servicelogtest0000000000';
const startService = useServices();

describe("the service's log file", () => {
  it('has the lines of a task served to done, correlated by task_id and subtask_id, with no token or key', async () => {
    process.env['ANTHROPIC_API_KEY'] = API_KEY;
    const service = await startService();
    const { call } = service;
    const taskId = 'invoice-export';
    expect((await call('/orchestrate', { method: 'POST', json: orchestrateBody(taskId, { description: `Use ${API_KEY}` }) })).status).toBe(
      200,
    );
    expect((await call(`/execute/${taskId}`, { method: 'POST', json: { execution_mode: 'auto' } })).status).toBe(202);
    const view = (await waitForStatus(call, taskId, ['completed', 'failed', 'interrupted'])) as unknown as {
      status: string;
      subtasks: { subtask_id: string }[];
    };
    expect(view.status).toBe('completed');
    // Secrets where a log line could pick them up: a path naming the token, a header with a key.
    expect((await call(`/tasks/${TEST_TOKEN}`)).status).toBe(404);
    expect((await call(`/tasks/${API_KEY}`, { headers: { 'x-api-key': API_KEY } })).status).toBe(404);
    // Closing the service writes the last lines.
    await service.server.close();
    delete process.env['ANTHROPIC_API_KEY'];

    const text = await readFile(serviceLogPath(service.project.path('.agent-team-server')), 'utf8');
    expect(text).not.toContain(TEST_TOKEN);
    expect(text).not.toContain(API_KEY);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ofTask = lines.filter((line) => line['task_id'] === taskId);
    // The requests about the task, its plan and its run: all carry the task's id.
    expect(ofTask.filter((line) => line['message'] === 'request').map((line) => line['path'])).toEqual(
      expect.arrayContaining(['/orchestrate', `/execute/${taskId}`, `/tasks/${taskId}`]),
    );
    expect(ofTask.some((line) => line['message'] === 'agent work started' && line['purpose'] === 'plan')).toBe(true);
    // Every subtask of the task has its work in the log under its subtask_id, as the API names it.
    const logged = new Set(ofTask.map((line) => line['subtask_id']).filter((id) => id !== undefined));
    expect(view.subtasks.length).toBeGreaterThan(0);
    for (const { subtask_id: subtaskId } of view.subtasks) expect(logged).toContain(subtaskId);
    for (const line of ofTask.filter((candidate) => candidate['subtask_id'] !== undefined)) {
      expect(line['subtask_id']).toMatch(new RegExp(`^[a-z_]+::${taskId}::T\\d+$`));
      expect(line['run_id']).toEqual(expect.any(String));
    }
    // The secrets' requests were logged, redacted.
    expect(lines.filter((line) => line['message'] === 'request' && line['status'] === 404)).toHaveLength(2);
  });
});
