/** GET /healthz (the process answers) and GET /readyz (the store answers too): open to probes without a token. */
import { access, constants, mkdir } from 'node:fs/promises';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { TeamConfig } from '../config/index.js';
import { withTeamStore } from '../team/index.js';
import { healthResponseSchema } from './api-schemas.js';

/** How long /readyz waits for the store before it says unavailable. */
const READY_TIMEOUT_MS = 3000;

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'The process is up.',
  responses: { 200: { content: { 'application/json': { schema: healthResponseSchema } }, description: 'Up.' } },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'The store is reachable: the data directory is writable, and PostgreSQL answers when it is the store.',
  responses: {
    200: { content: { 'application/json': { schema: healthResponseSchema } }, description: 'Ready.' },
    503: { content: { 'application/json': { schema: healthResponseSchema } }, description: 'The store does not answer.' },
  },
});

/** Why the store cannot serve now, or null when it can. */
async function storeProblem(config: TeamConfig, dataDir: string): Promise<string | null> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK);
  } catch {
    return 'the data directory is not writable';
  }
  if (config.store.kind === 'file') return null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`PostgreSQL did not answer within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
  });
  const probe = withTeamStore(config, (store) => store.exists()).then(
    () => null,
    () => 'PostgreSQL cannot be reached',
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Declares /healthz and /readyz on `app`. */
export function addHealthRoutes(input: { app: OpenAPIHono; config: TeamConfig; dataDir: string }): void {
  const { app, config, dataDir } = input;
  app.openapi(healthRoute, (context) => context.json({ status: 'ok' as const }, 200));
  app.openapi(readyRoute, async (context) => {
    const problem = await storeProblem(config, dataDir);
    return problem === null
      ? context.json({ status: 'ok' as const }, 200)
      : context.json({ status: 'unavailable' as const, detail: problem }, 503);
  });
}
