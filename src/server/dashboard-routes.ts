/**
 * The dashboard under /ui: server-rendered pages over a DashboardSource, its assets, and one server-sent
 * event stream per page that says when what the page shows has changed. Every page is served with a
 * Content-Security-Policy that allows this server only: no inline script or style, nothing from elsewhere.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { Env } from 'hono';
import { createHash } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import { streamSSE } from 'hono/streaming';
import { pricedSummary } from '../report/index.js';
import { DASHBOARD_CSS, DASHBOARD_ICON, DASHBOARD_JS } from './dashboard-assets.js';
import { html, page, type SafeHtml, UI_ROOT, uiHref } from './dashboard-html.js';
import { ledgerPage, readTranscript, transcriptPage } from './dashboard-ledger-page.js';
import {
  blockersPage,
  type CompareSide,
  comparePage,
  type OpenBlocker,
  type PendingApproval,
  type RunLine,
  runsPage,
} from './dashboard-pages.js';
import type { TeamState } from '../state/index.js';
import { featureHeadline, runPage } from './dashboard-run-page.js';
import type { DashboardRun, DashboardSource } from './dashboard-source.js';
import { readExperimentOverview } from '../experiment/index.js';
import { experimentPage, experimentsPage } from './dashboard-experiment-pages.js';
import type { ExperimentSource } from './dashboard-experiment-source.js';
import { ExperimentDetails } from './experiment-details.js';

/** What the dashboard's pages may load and connect to: this server, nothing else. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** How often a page's event stream looks for a change: one run, or the whole list. */
const RUN_POLL_MS = 400;
const LIST_POLL_MS = 1000;

/** Sets the dashboard's security headers on everything under /ui. */
export function dashboardHeaders(): MiddlewareHandler {
  return async (context, next) => {
    await next();
    const path = context.req.path;
    if (path !== UI_ROOT && !path.startsWith(`${UI_ROOT}/`)) return;
    context.header('Content-Security-Policy', DASHBOARD_CSP);
    context.header('X-Content-Type-Options', 'nosniff');
    context.header('Referrer-Policy', 'no-referrer');
    context.header('X-Frame-Options', 'DENY');
    if (!path.startsWith(`${UI_ROOT}/assets/`)) context.header('Cache-Control', 'no-store');
  };
}

/** A short fingerprint of what a run's pages show: it changes with every write to the run's state. */
function fingerprint(run: DashboardRun | null): string {
  return run === null ? 'none' : `${run.status}:${run.state?.seq ?? -1}:${run.active ? 1 : 0}`;
}

/** Declares the dashboard's routes on `app`. */
export function addDashboardRoutes(input: {
  app: Hono<Env>;
  source: DashboardSource;
  /** The experiments it shows beside the runs. */
  experiments: ExperimentSource;
  scrub: <T>(value: T) => T;
  readOnly: boolean;
  now?: () => Date;
}): void {
  const { app, source, experiments, scrub, readOnly } = input;
  const now = input.now ?? (() => new Date());
  const details = new ExperimentDetails({ now: () => now().getTime() });
  const read = async (id: string): Promise<DashboardRun | null> => {
    const found = await source.run(id);
    return found === null ? null : { ...found, state: scrub(found.state) };
  };
  const all = async (): Promise<DashboardRun[]> =>
    (await Promise.all((await source.ids()).map(read))).filter((run): run is DashboardRun => run !== null);
  const listFingerprint = async (): Promise<string> => {
    const runs = await Promise.all((await source.ids()).map(async (id) => `${id}=${fingerprint(await source.run(id))}`));
    return createHash('sha256').update(runs.join(',')).digest('hex').slice(0, 16);
  };
  const live = (query: Record<string, string>): string => uiHref('/live', query);
  const respond = (title: string, body: SafeHtml, liveUrl?: string): string => page({ title, body, live: liveUrl, readOnly });
  const missing = (id: string): string => respond('Not found', html`<h1>No run ${id}</h1><p><a href="${uiHref('/')}">All runs</a></p>`);

  app.get(`${UI_ROOT}/assets/dashboard.css`, (context) => context.body(DASHBOARD_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));
  app.get(`${UI_ROOT}/assets/dashboard.js`, (context) =>
    context.body(DASHBOARD_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get(`${UI_ROOT}/assets/icon.svg`, (context) => context.body(DASHBOARD_ICON, 200, { 'content-type': 'image/svg+xml' }));

  app.get(UI_ROOT, async (context) => {
    const runs = await all();
    const lines: RunLine[] = runs.map((run) => ({ id: run.id, status: run.status, state: run.state }));
    const body = runsPage({ lines, status: context.req.query('status') ?? '', search: context.req.query('q') ?? '', now: now() });
    return context.html(respond('Runs', body, live({ since: await listFingerprint() })));
  });

  app.get(`${UI_ROOT}/runs/:id`, async (context) => {
    const id = context.req.param('id');
    const run = await read(id);
    if (run === null) return context.html(missing(id), 404);
    const ledger = scrub(await source.ledger(run));
    const body = runPage({ id, status: run.status, config: run.config, state: run.state, ledger, now: now() });
    return context.html(
      respond(run.state === null ? id : featureHeadline(run.state.run.feature), body, live({ run: id, since: fingerprint(run) })),
    );
  });

  app.get(`${UI_ROOT}/runs/:id/ledger`, async (context) => {
    const id = context.req.param('id');
    const run = await read(id);
    if (run === null) return context.html(missing(id), 404);
    const filter = {
      agent: context.req.query('agent') ?? '',
      task: context.req.query('task') ?? '',
      type: context.req.query('type') ?? '',
    };
    const body = ledgerPage({ runId: id, ledger: scrub(await source.ledger(run)), filter });
    return context.html(respond(`Ledger of ${id}`, body, live({ run: id, since: fingerprint(run) })));
  });

  app.get(`${UI_ROOT}/runs/:id/agents/:agent`, async (context) => {
    const id = context.req.param('id');
    const agentId = context.req.param('agent');
    const run = await read(id);
    // Only an agent of the run names a file: nothing else reaches the file system.
    if (run === null || run.state?.agents[agentId] === undefined || run.runDir === null) return context.html(missing(id), 404);
    const transcript = scrub(await readTranscript({ runDir: run.runDir, agentId }));
    const body = transcriptPage({ runId: id, agentId, task: context.req.query('task') ?? '', transcript });
    return context.html(respond(`${agentId} in ${id}`, body, live({ run: id, since: fingerprint(run) })));
  });

  app.get(`${UI_ROOT}/blockers`, async (context) => {
    const runs = await all();
    const blockers: OpenBlocker[] = runs.flatMap((run) =>
      run.state === null
        ? []
        : run.state.blockers
            .filter((blocker) => blocker.status !== 'resolved')
            .map((blocker) => ({ runId: run.id, answerable: run.answerable && !readOnly, state: run.state as TeamState, blocker })),
    );
    const approvals: PendingApproval[] = runs.flatMap((run) =>
      (run.state?.run.approvals ?? [])
        .filter((approval) => approval.status === 'pending')
        .map((approval) => ({ runId: run.id, answerable: run.answerable && !readOnly, approval })),
    );
    return context.html(respond('Open blockers', blockersPage({ blockers, approvals }), live({ since: await listFingerprint() })));
  });

  app.get(`${UI_ROOT}/compare`, async (context) => {
    const a = context.req.query('a') ?? '';
    const b = context.req.query('b') ?? '';
    const sides: CompareSide[] = [];
    for (const id of [a, b]) {
      const run = id === '' ? null : await read(id);
      if (run?.state == null) continue;
      const ledger = await source.ledger(run);
      sides.push({ id, status: run.status, state: run.state, summary: pricedSummary({ config: run.config, state: run.state, ledger }) });
    }
    const body = comparePage({ ids: await source.ids(), a, b, sides });
    return context.html(respond('Compare runs', body, live({ since: await listFingerprint() })));
  });

  app.get(`${UI_ROOT}/experiments`, async (context) => {
    const lines = await Promise.all(
      (await experiments.list()).map(async (experiment) => ({ id: experiment.id, overview: await readExperimentOverview(experiment.dir) })),
    );
    const body = experimentsPage({ lines: scrub(lines), roots: experiments.roots });
    return context.html(respond('Experiments', body, live({ experiments: '1', since: await experiments.fingerprint() })));
  });

  app.get(`${UI_ROOT}/experiments/:id`, async (context) => {
    const id = context.req.param('id');
    // The id is looked up in the listing of the experiments folders, never joined to a path.
    const found = await experiments.find(id);
    if (found === null) {
      const body = html`<h1>No experiment ${id}</h1><p><a href="${uiHref('/experiments')}">All experiments</a></p>`;
      return context.html(respond('Not found', body), 404);
    }
    const stamp = await experiments.stampOf(found);
    const body = experimentPage({ id: found.id, detail: scrub(await details.detail(found.dir, stamp)) });
    return context.html(
      respond(`Experiment ${found.id}`, body, live({ experiment: found.id, since: details.liveStamp(found.dir, stamp) })),
    );
  });

  app.get(`${UI_ROOT}/live`, (context) => {
    const id = context.req.query('run');
    const experiment = context.req.query('experiment');
    const allExperiments = context.req.query('experiments') !== undefined;
    let last = context.req.query('since') ?? '';
    const look = async (): Promise<string> => {
      if (experiment !== undefined) {
        const found = await experiments.find(experiment);
        return found === null ? 'none' : details.liveStamp(found.dir, await experiments.stampOf(found));
      }
      if (allExperiments) return experiments.fingerprint();
      return id === undefined ? listFingerprint() : fingerprint(await source.run(id));
    };
    return streamSSE(context, async (stream) => {
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      context.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
      while (!stop.signal.aborted) {
        try {
          const current = await look();
          if (current !== last) {
            last = current;
            await stream.writeSSE({ event: 'change', data: current });
          }
        } catch {
          // A state caught mid-write or a store that did not answer: the next look tries again.
        }
        // Aborted: the loop ends on its next test.
        await wait(id === undefined ? LIST_POLL_MS : RUN_POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    });
  });
}
