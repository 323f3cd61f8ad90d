/**
 * The dashboard's pages in GET /openapi.json: every page under /ui (the experiment pages among them) with its
 * parameters and content type, and each page so described answers as described over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/experiment/index.js';
import { DASHBOARD_PAGES } from '../../src/server/dashboard-doc.js';
import { orchestrateBody, type ServiceFixture, startService, TEST_TOKEN } from './service-fixture.js';

interface Operation {
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: Record<string, string[]>[];
}
interface Document {
  paths: Record<string, { get?: Operation }>;
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> };
}

let service: ServiceFixture;
let document: Document;

/** Real values for a documented path's parameters: the planned task, its manager, the experiment. */
function filled(path: string): string {
  const id = path.startsWith('/ui/experiments/') ? 'doc-experiment' : 'doc-task';
  return path.replace('{id}', id).replace('{agent}', 'manager');
}

beforeAll(async () => {
  service = await startService({ token: TEST_TOKEN });
  expect((await service.call('/orchestrate', { method: 'POST', json: orchestrateBody('doc-task') })).status).toBe(200);
  const row = CSV_COLUMNS.map((column) =>
    column === 'design' ? 'only' : column === 'status' ? 'done' : column === 'designHash' ? 'h' : '1',
  ).join(',');
  await service.project.write('experiments/doc-experiment/results.csv', `${CSV_COLUMNS.join(',')}\n${row}\n`);
  document = (await (await service.call('/openapi.json')).json()) as Document;
});

afterAll(async () => {
  await service?.cleanup();
});

describe('the dashboard in the API description', () => {
  it('lists every dashboard page, the experiment pages among them, as a GET answered with HTML', () => {
    const documented = Object.keys(document.paths).filter((path) => path === '/ui' || path.startsWith('/ui/'));
    for (const path of ['/ui', '/ui/runs/{id}', '/ui/runs/{id}/ledger', '/ui/runs/{id}/agents/{agent}', '/ui/blockers', '/ui/compare']) {
      expect(documented).toContain(path);
    }
    expect(documented).toContain('/ui/experiments');
    expect(documented).toContain('/ui/experiments/{id}');
    expect(documented.sort()).toEqual(DASHBOARD_PAGES.map((page) => page.path).sort());
    for (const path of ['/ui', '/ui/runs/{id}', '/ui/experiments', '/ui/experiments/{id}']) {
      const operation = document.paths[path]?.get as Operation;
      expect(operation.tags).toEqual(['dashboard']);
      expect(Object.keys(operation.responses['200']?.content ?? {})).toEqual(['text/html']);
    }
    const experiment = document.paths['/ui/experiments/{id}']?.get as Operation;
    expect(experiment.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    expect(Object.keys(experiment.responses)).toEqual(expect.arrayContaining(['200', '401', '404']));
    expect(document.paths['/ui']?.get?.parameters?.map((parameter) => parameter.name)).toEqual(['status', 'q', 'token']);
    expect(Object.keys(document.paths['/ui/live']?.get?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(document.components.securitySchemes['dashboardSession']).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'agent_team_ui' }),
    );
  });

  it('answers each documented page as described: 200 with its content type, 404 for what it does not know', async () => {
    for (const page of DASHBOARD_PAGES) {
      const controller = new AbortController();
      const response = await service.call(filled(page.path), { signal: controller.signal });
      const type = Object.keys(document.paths[page.path]?.get?.responses['200']?.content ?? {})[0] as string;
      expect(response.status, page.path).toBe(200);
      expect(response.headers.get('content-type'), page.path).toContain(type);
      // The event stream goes on until the page leaves: this one leaves at once.
      controller.abort();
      await response.body?.cancel().catch(() => undefined);
      if (page.notFound !== undefined) {
        const missing = await service.call(page.path.replace('{id}', 'no-such-thing').replace('{agent}', 'nobody'));
        expect(missing.status, page.path).toBe(404);
        expect(missing.headers.get('content-type'), page.path).toContain('text/html');
      }
    }
    // Without the token or a session, a page says how to sign in (the documented 401).
    const stranger = await fetch(`${service.server.url}/ui/experiments`);
    expect(stranger.status).toBe(401);
  });
});
