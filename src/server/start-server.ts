/** Starts the service: checks that it may listen where asked, then serves the application until closed. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { TeamConfig } from '../config/index.js';
import { UsageError } from '../errors/index.js';
import { createServiceMetrics, getLogger, logToFile, registerSecret } from '../observability/index.js';
import { API_TOKEN_ENV } from './bearer-auth.js';
import { createApp } from './create-app.js';
import { isLoopbackHost } from './loopback-host.js';
import { TaskRuns } from './task-runs.js';
import { type RunningWebhooks, startWebhooks, type WebhookSeams } from './webhook-service.js';
import { checkWebhookSettings, type WebhookSettings } from './webhook-settings.js';

const log = getLogger('server');

/** The shortest token accepted: a guessable token is no protection. */
export const MIN_TOKEN_LENGTH = 16;

/** The service's log file under its data directory. */
export function serviceLogPath(dataDir: string): string {
  return join(dataDir, 'logs', 'orchestrator.log');
}

/** How to start the service. */
export interface ServerOptions {
  /** The team config every task's run derives from (its store: the file store or PostgreSQL). */
  readonly config: TeamConfig;
  /** Where task records (and, on the file store, task states) live. */
  readonly dataDir: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Required beyond loopback; undefined serves without authentication (loopback only). */
  readonly token: string | undefined;
  readonly maxBodyBytes?: number | undefined;
  /** Sim latency multiplier of every run (default: the config's). */
  readonly timeScale?: number | undefined;
  readonly version?: string | undefined;
  /** Receivers and secret of the status-change webhooks; undefined: none. */
  readonly webhooks?: WebhookSettings | undefined;
  /** Timers, clock and jitter of the webhooks (tests). */
  readonly webhookSeams?: WebhookSeams | undefined;
  /** The clock of task records and of the runs' stores and SLA checks (tests pass a fake one); default: the system clock. */
  readonly now?: (() => Date) | undefined;
  /** Folders the dashboard looks for experiments in, besides the project's `experiments/` (absolute). */
  readonly experimentDirs?: readonly string[] | undefined;
}

/** A listening service. */
export interface RunningServer {
  /** `http://host:port`, the port as bound. */
  readonly url: string;
  readonly port: number;
  readonly runs: TaskRuns;
  /** The task ids whose runs a dead server left running and this one took up at its start (see TaskRuns.resumeAbandoned). */
  readonly resumed: Promise<string[]>;
  /** The webhooks, or null when the server sends none. */
  readonly webhooks: RunningWebhooks | null;
  /** Stops the runs of this server (resumable, as Ctrl-C leaves a CLI run), then stops listening and drops open streams. */
  close(reason?: unknown): Promise<void>;
}

/** Refuses settings that would expose the service: beyond loopback without a token, or a token too short to be secret. */
export function checkExposure(input: { host: string; token: string | undefined }): void {
  const { host, token } = input;
  if (token === undefined && !isLoopbackHost(host)) {
    throw new UsageError(
      `Refusing to listen on ${host} without a token: anyone who reaches it could start runs that spend money. ` +
        `Set ${API_TOKEN_ENV} (at least ${MIN_TOKEN_LENGTH} characters, e.g. openssl rand -hex 32), or listen on 127.0.0.1 (the default).`,
    );
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `${API_TOKEN_ENV} is too short (${token.length} characters): use at least ${MIN_TOKEN_LENGTH}, e.g. openssl rand -hex 32.`,
    );
  }
}

/** Starts listening; resolves once the port is bound. A port in use is a UsageError naming it. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  checkExposure(options);
  const webhookSettings = options.webhooks ?? { urls: [], secret: undefined };
  checkWebhookSettings(webhookSettings);
  // The token never reaches a log line, not even in a path or a task_id.
  registerSecret(options.token);
  await mkdir(options.dataDir, { recursive: true });
  const metrics = createServiceMetrics();
  const version = options.version ?? 'unknown';
  const runs = new TaskRuns({ config: options.config, dataDir: options.dataDir, timeScale: options.timeScale, now: options.now });
  const app = createApp({
    config: options.config,
    dataDir: options.dataDir,
    runs,
    token: options.token,
    maxBodyBytes: options.maxBodyBytes,
    version,
    metrics,
    webhooks: webhookSettings.secret !== undefined,
    callbackHosts: webhookSettings.callbackHosts,
    experimentDirs: options.experimentDirs,
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL'
          ? new UsageError(`Cannot listen on ${options.host}:${options.port} (${error.code}): choose another --port or --host.`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // The service's own log (JSON lines, each with the task_id and subtask_id it is about) beside its task records.
  const serviceLog = await logToFile(serviceLogPath(options.dataDir));
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let webhooks: RunningWebhooks | null;
  try {
    webhooks = await startWebhooks({
      settings: webhookSettings,
      runs,
      dataDir: options.dataDir,
      metrics,
      userAgent: `agent-team/${version}`,
      seams: options.webhookSeams,
    });
  } catch (error) {
    // The outbox cannot be read or made (a read-only data directory): the server does not half start.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  log.info('listening', { host: options.host, port, authentication: options.token === undefined ? 'none (loopback)' : 'bearer token' });
  // In the background: a run taken over from a dead owner on another host waits for its lease to lapse.
  const resumed = runs.resumeAbandoned();
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    runs,
    webhooks,
    resumed,
    close(reason?: unknown) {
      closing ??= (async () => {
        await runs.close(reason);
        await webhooks?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await runs.ledgers.close();
        await serviceLog.close();
      })();
      return closing;
    },
  };
}
