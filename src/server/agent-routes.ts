/** GET /agents: the specialists of the team, filtered by domain, capability and health. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { TeamConfig } from '../config/index.js';
import type { TeamState } from '../state/index.js';
import { agentsQuerySchema, agentsResponseSchema, errorResponseSchema } from './api-schemas.js';
import { listAgents } from './agent-directory.js';
import type { TaskRuns } from './task-runs.js';

const agentsRoute = createRoute({
  method: 'get',
  path: '/agents',
  summary: 'The roster: roles, skills (capability tags), models, health and load.',
  request: { query: agentsQuerySchema },
  responses: {
    200: { content: { 'application/json': { schema: agentsResponseSchema } }, description: 'The agents matching every filter.' },
    400: { content: { 'application/json': { schema: errorResponseSchema } }, description: 'A filter is invalid.' },
    401: { content: { 'application/json': { schema: errorResponseSchema } }, description: 'The bearer token is missing or wrong.' },
  },
});

/** Declares GET /agents on `app`. */
export function addAgentRoutes(input: { app: OpenAPIHono; config: TeamConfig; runs: TaskRuns }): void {
  const { app, config, runs } = input;
  app.openapi(agentsRoute, async (context) => {
    const filters = context.req.valid('query');
    const states: TeamState[] = [];
    for (const taskId of runs.activeTaskIds()) {
      const { state } = await runs.snapshot(taskId);
      if (state !== null) states.push(state);
    }
    return context.json({ agents: listAgents({ config, states, filters }) }, 200);
  });
}
