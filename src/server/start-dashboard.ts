/**
 * The dashboard of one local run (`agent-team run --ui`): the service's dashboard routes, read-only, over the
 * run's team config and the runs recorded beside it, on loopback only. It starts nothing and answers nothing.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { TeamConfig } from '../config/index.js';
import { UsageError } from '../errors/index.js';
import { scrubber } from './create-app.js';
import { UI_ROOT } from './dashboard-html.js';
import { addDashboardRoutes, dashboardHeaders } from './dashboard-routes.js';
import { localRunSource } from './dashboard-source.js';
import { experimentSource, projectExperimentsDir } from './dashboard-experiment-source.js';

/** A listening dashboard. */
export interface RunningDashboard {
  /** The dashboard's address: `http://127.0.0.1:<port>/ui`. */
  readonly url: string;
  /** Stops listening and drops open event streams. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard of `config`'s run on 127.0.0.1 (`port` 0 picks a free one); `active` says whether the
 * run goes on here. It shows the experiments of the project's `experiments/` and of `experimentDirs` too.
 */
export async function startDashboard(input: {
  config: TeamConfig;
  active: () => boolean;
  port?: number | undefined;
  experimentDirs?: readonly string[] | undefined;
}): Promise<RunningDashboard> {
  const app = new Hono();
  app.use(dashboardHeaders());
  const source = localRunSource({ config: input.config, active: input.active });
  addDashboardRoutes({
    app,
    source,
    experiments: experimentSource([projectExperimentsDir(input.config.projectDir), ...(input.experimentDirs ?? [])]),
    scrub: scrubber(undefined),
    readOnly: true,
  });
  app.get('/', (context) => context.redirect(UI_ROOT, 302));
  app.notFound((context) => context.text(`No page ${context.req.path}; the dashboard is at ${UI_ROOT}.`, 404));
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const port = input.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new UsageError(`Cannot serve the dashboard on 127.0.0.1:${port} (${error.code}): choose another --ui-port.`)
          : error,
      );
    };
    server.once('error', onError);
    // Loopback only: the dashboard has no token, and a run's transcripts are nobody else's business.
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${bound}${UI_ROOT}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => source.close?.());
      return closing;
    },
  };
}
