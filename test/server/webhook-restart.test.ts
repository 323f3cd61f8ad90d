import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../src/config/index.js';
import { taskTeamConfig } from '../../src/server/task-config.js';
import { readRunLedger, withTeamStore } from '../../src/team/index.js';
import { bundledScript } from '../support/bundled-script.js';
import { ROOT } from '../support/cli.js';
import { isGone } from '../support/processes.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { orchestrateBody } from './service-fixture.js';
import { eventIds, type ReceivedEvent, readEvents } from './sse-reader.js';
import { signatureHolds, startReceiver, type WebhookReceiver } from './webhook-receiver.js';

useProcessesTimeout();

const SECRET = 'restart-secret-0123456789abcdef';
const TASK = 'killed-1';

/** A `agent-team serve` process, run from the sources. */
interface ServeProcess {
  readonly pid: number;
  readonly url: string;
  readonly exited: Promise<string>;
  stderr(): string;
}

const started: ServeProcess[] = [];
const receivers: WebhookReceiver[] = [];
let project: TempProject | undefined;

afterEach(async () => {
  // A failed case must not leave a server behind: only the ones this file started, by pid.
  for (const server of started.splice(0)) if (!isGone(server.pid)) process.kill(server.pid, 'SIGKILL');
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await project?.cleanup();
  project = undefined;
});

async function startServe(input: { cwd: string; webhook: string; timeScale: number }): Promise<ServeProcess> {
  const entry = await bundledScript(join(ROOT, 'test', 'fixtures', 'cli-from-source.ts'));
  const args = ['serve', '--port', '0', '--json', '--time-scale', String(input.timeScale), '--webhook', input.webhook];
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: input.cwd,
    env: { ...process.env, NO_COLOR: '1', AGENT_TEAM_WEBHOOK_SECRET: SECRET, AGENT_TEAM_API_TOKEN: '', AGENT_TEAM_WEBHOOK_URLS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(String(signal ?? code))));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((text) => text.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((how) => reject(new Error(`serve ended (${how}) before listening:\n${stdout}\n${stderr}`)));
  });
  const server = { pid: child.pid as number, url, exited, stderr: () => stderr };
  started.push(server);
  return server;
}

/** The outbox entries on disk: file name and the event each holds. */
async function outboxEvents(dir: string): Promise<{ name: string; event: { event_id: string; type: string; status?: string } }[]> {
  const names = await readdir(join(dir, '.agent-team-server', 'webhooks', 'outbox')).catch(() => [] as string[]);
  const entries = [];
  for (const name of names.filter((file) => file.endsWith('.json') && !file.startsWith('.'))) {
    const text = await readFile(join(dir, '.agent-team-server', 'webhooks', 'outbox', name), 'utf8').catch(() => null);
    if (text !== null)
      entries.push({ name, event: (JSON.parse(text) as { event: { event_id: string; type: string; status?: string } }).event });
  }
  return entries;
}

describe('agent-team serve killed with SIGKILL', () => {
  it('delivers on its next start what its outbox held; streams resume after Last-Event-ID; the run it owned resumes by itself and ends', async () => {
    project = await tempProject('agent-team-webhook-restart-');
    const cwd = project.dir;
    // The receiver is down while the first server works: its port is reserved, then closed.
    const probe = await startReceiver();
    const port = probe.port;
    const hook = probe.url;
    await probe.close();

    const first = await startServe({ cwd, webhook: hook, timeScale: 0.3 });
    const post = (server: ServeProcess, path: string, json?: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json ?? {}),
      });
    expect((await post(first, '/orchestrate', orchestrateBody(TASK))).status).toBe(200);
    expect((await post(first, `/execute/${TASK}`)).status).toBe(202);
    // Some events of the stream, before the kill.
    const controller = new AbortController();
    const stream = await fetch(`${first.url}/tasks/${TASK}/events`, { signal: controller.signal });
    const before: ReceivedEvent[] = [];
    for await (const event of readEvents(stream)) {
      before.push(event);
      if (before.length === 8) break;
    }
    controller.abort();
    const lastId = before.at(-1)?.id as string;
    // The change to running is in the outbox (the receiver refuses connections, so it stays there).
    let running: { name: string; event: { event_id: string } } | undefined;
    for (;;) {
      running = (await outboxEvents(cwd)).find((entry) => entry.event.type === 'task.status_changed' && entry.event.status === 'running');
      if (running !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const config = taskTeamConfig({ base: loadTeamConfig({ cwd }), dataDir: join(cwd, '.agent-team-server'), taskId: TASK });
    const atKill = await withTeamStore(config, (store) => store.read());
    expect(atKill.run.status).toBe('running');
    process.kill(first.pid, 'SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const left = await outboxEvents(cwd);
    expect(left.map((entry) => entry.name)).toContain(running.name);

    const receiver = await startReceiver({ port });
    receivers.push(receiver);
    const second = await startServe({ cwd, webhook: hook, timeScale: 0 });
    // What the killed server could not deliver arrives, under the id it had, signed.
    const delivered = await receiver.waitFor((delivery) => delivery.event.event_id === running?.event.event_id);
    expect(delivered.headers['x-agent-team-event-id']).toBe(running.event.event_id);
    expect(signatureHolds(delivered, SECRET)).toBe(true);
    for (const entry of left) await receiver.waitFor((delivery) => delivery.event.event_id === entry.event.event_id);

    // A client that comes back with the last id it saw gets exactly what followed, across the restart.
    const resumed = new AbortController();
    const response = await fetch(`${second.url}/tasks/${TASK}/events`, { headers: { 'last-event-id': lastId }, signal: resumed.signal });
    expect(response.status).toBe(200);
    const after: ReceivedEvent[] = [];
    const reading = (async () => {
      for await (const event of readEvents(response)) after.push(event);
    })();
    // The run the killed server owned is taken up by the next server on its own, and executed to its end.
    await reading;
    resumed.abort();
    const view = (await (await fetch(`${second.url}/tasks/${TASK}`)).json()) as { status: string };
    expect(view.status).toBe('completed');
    expect((await post(second, `/execute/${TASK}`)).status).toBe(409);
    const ledger = await readRunLedger(config);
    const ids = eventIds(ledger);
    expect(ids.indexOf(lastId)).toBeGreaterThanOrEqual(0);
    expect(after.map((event) => event.id)).toEqual(ids.slice(ids.indexOf(lastId) + 1));
    expect([...before, ...after].map((event) => event.id)).toEqual(ids);

    const completed = await receiver.waitFor(
      (delivery) => delivery.event.type === 'task.status_changed' && delivery.event['status'] === 'completed',
    );
    expect(completed.event['previous_status']).toBe('running');
    expect(signatureHolds(completed, SECRET)).toBe(true);
    // At least once, never a different id for one change: the task's statuses, each under one id.
    const statuses = new Map<string, string>();
    for (const delivery of receiver.deliveries) {
      if (delivery.event.type === 'task.status_changed') statuses.set(delivery.event.event_id, String(delivery.event['status']));
    }
    expect([...statuses.values()].sort()).toEqual(['completed', 'planned', 'planning', 'running']);
    // Each entry leaves the outbox once its receiver said 2xx.
    while ((await outboxEvents(cwd)).length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    process.kill(second.pid, 'SIGTERM');
    expect(await second.exited).toBe('0');
    // The failed deliveries were logged (warn), never with the secret.
    expect(first.stderr()).toMatch(/webhook delivery failed/);
    expect(first.stderr() + second.stderr()).not.toContain(SECRET);
  });
});
