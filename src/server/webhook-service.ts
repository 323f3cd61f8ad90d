/** The webhooks of a running server: the watcher that finds status changes, the outbox that keeps them and the dispatcher that delivers them. */
import { mkdir, stat } from 'node:fs/promises';
import { getLogger, type ServiceMetrics } from '../observability/index.js';
import type { HostResolver } from './callback-hosts.js';
import type { TaskRuns } from './task-runs.js';
import { cursorsDirectory } from './webhook-cursor.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
import { WebhookOutbox } from './webhook-outbox.js';
import { WEBHOOK_SECRET_ENV, type WebhookSettings } from './webhook-settings.js';
import type { WebhookTimers } from './webhook-timers.js';
import { WebhookWatcher } from './webhook-watcher.js';

const log = getLogger('webhooks');

/** Test seams of the webhooks: timers, clock, jitter, the timeout's signal. */
export interface WebhookSeams {
  readonly timers?: WebhookTimers | undefined;
  readonly now?: (() => Date) | undefined;
  readonly random?: (() => number) | undefined;
  readonly timeoutSignal?: WebhookDispatcherOptions['timeoutSignal'];
  /** Resolves the host of a task's callback (default: the system's resolver). */
  readonly resolve?: HostResolver | undefined;
}

/** Running webhooks. */
export interface RunningWebhooks {
  readonly outbox: WebhookOutbox;
  readonly watcher: WebhookWatcher;
  readonly dispatcher: WebhookDispatcher;
  /** Stops finding and delivering; what is not delivered stays in the outbox for the next start. */
  close(): Promise<void>;
}

/**
 * Starts the webhooks of a server: first what the outbox holds (left by a stopped or killed server), then the
 * watcher. Null when webhooks are off (no secret); a non-empty outbox then says so in the log.
 */
export async function startWebhooks(input: {
  settings: WebhookSettings;
  runs: TaskRuns;
  dataDir: string;
  metrics: ServiceMetrics;
  userAgent: string;
  seams?: WebhookSeams | undefined;
}): Promise<RunningWebhooks | null> {
  const { settings, runs, dataDir, seams } = input;
  const outbox = new WebhookOutbox(dataDir);
  if (settings.secret === undefined) {
    const waiting = (await outbox.names()).length;
    if (waiting > 0)
      log.warn(`${waiting} webhook deliveries wait in the outbox; set ${WEBHOOK_SECRET_ENV} to send them`, { folder: outbox.directory });
    return null;
  }
  await outbox.open();
  const dispatcher = new WebhookDispatcher({
    ...settings,
    outbox,
    secret: settings.secret,
    userAgent: input.userAgent,
    metrics: input.metrics,
    timers: seams?.timers,
    now: seams?.now,
    random: seams?.random,
    timeoutSignal: seams?.timeoutSignal,
    resolve: seams?.resolve,
  });
  await dispatcher.start();
  const firstTime = await stat(cursorsDirectory(dataDir)).then(
    () => false,
    () => true,
  );
  const watcher = new WebhookWatcher({
    runs,
    dataDir,
    outbox,
    urls: settings.urls,
    callbackHosts: settings.callbackHosts,
    onQueued: (name) => dispatcher.enqueue(name),
    intervalMs: settings.scanIntervalMs,
    timers: seams?.timers,
    now: seams?.now,
  });
  // Made now, so a server killed before its first pass is not taken for a first start next time.
  await mkdir(cursorsDirectory(dataDir), { recursive: true });
  watcher.start({ baselineBefore: firstTime ? (seams?.now?.() ?? new Date()) : null });
  log.info('webhooks on', { receivers: settings.urls.length, outbox: outbox.directory });
  return {
    outbox,
    watcher,
    dispatcher,
    async close() {
      await watcher.close();
      await dispatcher.close();
    },
  };
}
