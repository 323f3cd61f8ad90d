/**
 * The dashboard's pages in GET /openapi.json: each GET under /ui with its path and query parameters, answered
 * as text/html (the event stream as text/event-stream, the assets as what they are). The pages are plain
 * routes drawn on the server; this describes them from zod schemas like the API's own routes.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { SESSION_COOKIE } from './dashboard-auth.js';
import { UI_ROOT } from './dashboard-html.js';

/** One documented page: its OpenAPI path, what it shows, its parameters. */
interface DashboardPage {
  readonly path: string;
  readonly summary: string;
  readonly params?: z.ZodObject | undefined;
  readonly query?: z.ZodObject | undefined;
  /** What it answers with when the path names nothing it knows. */
  readonly notFound?: string | undefined;
  readonly content?: { readonly type: string; readonly description: string } | undefined;
}

const pathParam = (name: string, description: string, example: string) =>
  z.string().openapi({ param: { name, in: 'path' }, description, example });

const queryParam = (name: string, description: string) =>
  z
    .string()
    .optional()
    .openapi({ param: { name, in: 'query' }, description });

const runParams = z.object({ id: pathParam('id', 'The run: a task id (serve) or a run id (run --ui).', 'feature-1087') });

const TOKEN_QUERY = queryParam(
  'token',
  'Signs a browser in once: the server token sets the session cookie and redirects to the same page without it.',
);

/** The pages, in the order of the dashboard's navigation. */
export const DASHBOARD_PAGES: readonly DashboardPage[] = [
  {
    path: UI_ROOT,
    summary: 'The runs: status, feature, cost, start and time; filtered by status and by text in the id or feature.',
    query: z.object({
      status: queryParam('status', 'Only runs of this status.'),
      q: queryParam('q', 'Only runs whose id or feature holds this text.'),
      token: TOKEN_QUERY,
    }),
  },
  {
    path: `${UI_ROOT}/runs/{id}`,
    summary:
      "A run: money (gauge, forecast of the remaining cost against the cap, cost by agent, cost over time by model and by agent), the plan, the board, the agents, the timeline, the run's blockers.",
    params: runParams,
    notFound: 'No run by that id.',
  },
  {
    path: `${UI_ROOT}/runs/{id}/ledger`,
    summary: "The run's ledger, newest first (the last 500 that match), filtered by agent, task and event type.",
    params: runParams,
    query: z.object({
      agent: queryParam('agent', 'Only entries of this agent.'),
      task: queryParam('task', 'Only entries of this task.'),
      type: queryParam('type', 'Only entries of this event type (model-call, task-claim…).'),
    }),
    notFound: 'No run by that id.',
  },
  {
    path: `${UI_ROOT}/runs/{id}/agents/{agent}`,
    summary: "An agent's transcript in a run, narrowed to one task with ?task=.",
    params: runParams.extend({ agent: pathParam('agent', 'An agent of the run.', 'backend-dev') }),
    query: z.object({ task: queryParam('task', 'Only the calls about this task.') }),
    notFound: 'No run by that id, or no agent by that id in it.',
  },
  {
    path: `${UI_ROOT}/blockers`,
    summary: "Open blockers and pending approvals of every run, each with the form that answers it (serve's dashboard).",
  },
  {
    path: `${UI_ROOT}/compare`,
    summary: 'Two runs side by side: outcome, cost, tokens, time, speedup, tasks, blockers.',
    query: z.object({ a: queryParam('a', 'The first run.'), b: queryParam('b', 'The second run.') }),
  },
  {
    path: `${UI_ROOT}/experiments`,
    summary:
      "The experiments found in the project's experiments/ folder and in each --experiments DIR: status, designs, cells finished, done and failed, spend.",
  },
  {
    path: `${UI_ROOT}/experiments/{id}`,
    summary:
      'An experiment: per design the mean with its 95% bootstrap interval of each metric the report shows, the paired differences with the baseline, the Pareto and distribution charts, cells done and failed, total spend.',
    params: z.object({
      id: pathParam('id', 'The experiment: its directory name as the experiments list shows it.', 'reviewer-question'),
    }),
    notFound: 'No experiment by that id in the experiments folders.',
  },
  {
    path: `${UI_ROOT}/live`,
    summary:
      'Server-sent `change` events when what a page shows has changed: the run of ?run=, the experiment of ?experiment=, the experiments with ?experiments=1, else the runs.',
    query: z.object({
      run: queryParam('run', 'Follow this run.'),
      experiment: queryParam('experiment', 'Follow this experiment.'),
      experiments: queryParam('experiments', 'Follow the experiments list.'),
      since: queryParam('since', 'The fingerprint the page was drawn at: a change is sent when it differs.'),
    }),
    content: { type: 'text/event-stream', description: 'A `change` event (data: the new fingerprint) at each change.' },
  },
  {
    path: `${UI_ROOT}/assets/dashboard.css`,
    summary: "The dashboard's style sheet.",
    content: { type: 'text/css', description: 'The style sheet.' },
  },
  {
    path: `${UI_ROOT}/assets/dashboard.js`,
    summary: "The dashboard's one script: follows /ui/live and posts the answer forms.",
    content: { type: 'text/javascript', description: 'The script.' },
  },
  {
    path: `${UI_ROOT}/assets/icon.svg`,
    summary: "The dashboard's tab icon.",
    content: { type: 'image/svg+xml', description: 'The icon.' },
  },
];

/** The security scheme of a signed-in browser: the session cookie `/ui?token=` sets. */
const SESSION_SCHEME = 'dashboardSession';

/** Describes every dashboard page in the application's OpenAPI document. */
export function addDashboardDoc(app: OpenAPIHono): void {
  app.openAPIRegistry.registerComponent('securitySchemes', SESSION_SCHEME, {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Set by opening /ui?token=<token> once; stands for the bearer token on the dashboard and on reads.',
  });
  for (const page of DASHBOARD_PAGES) {
    const content = page.content ?? { type: 'text/html', description: 'The page, drawn on the server.' };
    const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
    app.openAPIRegistry.registerPath({
      method: 'get',
      path: page.path,
      tags: ['dashboard'],
      summary: page.summary,
      security: [{ bearer: [] }, { [SESSION_SCHEME]: [] }],
      request: {
        ...(page.params === undefined ? {} : { params: page.params }),
        ...(page.query === undefined ? {} : { query: page.query }),
      },
      responses: {
        200: { description: content.description, content: { [content.type]: { schema: z.string() } } },
        401: html('Not signed in: the page says how to sign in with ?token=.'),
        ...(page.notFound === undefined ? {} : { 404: html(page.notFound) }),
      },
    });
  }
}
