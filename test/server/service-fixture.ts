import { afterEach } from 'vitest';
/** A running service for one test: a temp project, the built-in team (sim) and the server on a free loopback port. */
import { loadTeamConfig } from '../../src/config/index.js';
import { type RunningServer, startServer, type WebhookSettings } from '../../src/server/index.js';
import type { WebhookSeams } from '../../src/server/webhook-service.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

/** The token tests serve with. */
export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** A started service and how to call it. */
export interface ServiceFixture {
  readonly project: TempProject;
  readonly server: RunningServer;
  /** fetch on the service with the bearer token (unless `headers.authorization` says otherwise). */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Stops the server and removes the project. */
  cleanup(): Promise<void>;
}

/** Starts a service in a fresh temp project; `orchestrator` is written as its orchestrator-config.json when given. */
export async function startService(
  input: {
    token?: string | null;
    orchestrator?: Record<string, unknown>;
    timeScale?: number;
    maxBodyBytes?: number;
    store?: string;
    /** Serve from this project (a restart) instead of a new one. */
    project?: TempProject;
    webhooks?: WebhookSettings;
    webhookSeams?: WebhookSeams;
    /** The server's clock (a fake one for SLA tests). */
    now?: () => Date;
    /** Folders of experiments for the dashboard besides the project's experiments/ (`serve --experiments`). */
    experimentDirs?: string[];
  } = {},
): Promise<ServiceFixture> {
  const project = input.project ?? (await tempProject('agent-team-service-'));
  if (input.orchestrator !== undefined) await project.write('orchestrator-config.json', JSON.stringify(input.orchestrator));
  const config = loadTeamConfig({ cwd: project.dir, store: input.store, storeFrom: '--store' });
  const token = input.token === null ? undefined : (input.token ?? TEST_TOKEN);
  const server = await startServer({
    config,
    dataDir: project.path('.agent-team-server'),
    host: '127.0.0.1',
    port: 0,
    token,
    timeScale: input.timeScale ?? 0,
    maxBodyBytes: input.maxBodyBytes,
    webhooks: input.webhooks,
    webhookSeams: input.webhookSeams,
    now: input.now,
    experimentDirs: input.experimentDirs,
  });
  return {
    project,
    server,
    call(path, init = {}) {
      const headers = new Headers(init.headers);
      if (token !== undefined && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(`${server.url}${path}`, { ...init, headers, body });
    },
    async cleanup() {
      await server.close();
      await project.cleanup();
    },
  };
}

/** A valid POST /orchestrate body for `taskId`. */
export function orchestrateBody(taskId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: taskId,
    title: 'Implement invoice PDF export',
    description: 'Add PDF export support to the billing dashboard including automated regression tests.',
    priority: 'high',
    metadata: { repository: 'git@example.com:shop/billing.git', requester: 'product-management', due_date: '2099-11-22' },
    ...overrides,
  };
}

/** The task's view once its status is one of `statuses` (polled; the test's timeout bounds the wait). */
export async function waitForStatus(
  call: ServiceFixture['call'],
  taskId: string,
  statuses: readonly string[],
): Promise<Record<string, unknown> & { status: string }> {
  for (;;) {
    const response = await call(`/tasks/${taskId}`);
    const view = (await response.json()) as Record<string, unknown> & { status: string };
    if (statuses.includes(view.status)) return view;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts services for the calling test file's tests and stops each after its test. */
export function useServices(): (input?: Parameters<typeof startService>[0]) => Promise<ServiceFixture> {
  const services: ServiceFixture[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((started) => started.cleanup()));
  });
  return async (input = {}) => {
    const started = await startService(input);
    services.push(started);
    return started;
  };
}
