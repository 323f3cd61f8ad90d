import { join, resolve } from 'node:path';
import { loadTeamConfig } from '../../config/index.js';
import { jsonText, startTracing, stopTracing } from '../../observability/index.js';
import { API_TOKEN_ENV, startServer, webhookSettings } from '../../server/index.js';
import { describeTeamStore } from '../../team/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { packageVersion } from '../package-version.js';
import { storeChoice } from '../store-option.js';
import { experimentFolders } from '../experiments-option.js';
import { println, type Terminal } from '../terminal.js';

/** The server's data directory when none is given: task records and (file store) task states, under the project. */
export const DEFAULT_DATA_DIR = '.agent-team-server';

/** Options of `agent-team serve`. */
export interface ServeCommandOptions {
  port?: number | undefined;
  host?: string | undefined;
  store?: string | undefined;
  config?: string | undefined;
  dataDir?: string | undefined;
  maxBodyBytes?: number | undefined;
  timeScale?: number | undefined;
  /** Webhook receivers of every task's status changes (AGENT_TEAM_WEBHOOK_URLS adds more). */
  webhook?: string[] | undefined;
  /** `--callback-host`: the hosts a task's callback_url may name (AGENT_TEAM_WEBHOOK_CALLBACK_HOSTS adds more). */
  callbackHost?: string[] | undefined;
  /** `--experiments DIR`: more folders of experiments for the dashboard, besides ./experiments. */
  experiments?: string[] | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
}

/**
 * `agent-team serve`: the orchestrator service over HTTP until Ctrl-C or SIGTERM; runs it executes
 * stop as Ctrl-C stops a CLI run (resumable). The token comes from AGENT_TEAM_API_TOKEN only, never a flag
 * (a flag shows in `ps`).
 */
export async function serve(options: ServeCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const token = process.env[API_TOKEN_ENV]?.trim() || undefined;
  const host = options.host ?? '127.0.0.1';
  // Checked before anything starts: receivers without a secret, or a short one, are refused (exit 2).
  const webhooks = webhookSettings({ flags: options.webhook ?? [], callbackHostFlags: options.callbackHost, env: process.env });
  const experimentDirs = experimentFolders({ values: options.experiments, cwd: options.cwd });
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  const signal = (options.signal ?? interrupt?.signal) as AbortSignal;
  const version = await packageVersion();
  try {
    // Spans are exported only with OTEL_EXPORTER_OTLP_ENDPOINT set; without it the SDK is never loaded.
    await startTracing({ serviceVersion: async () => version });
    const server = await startServer({
      config,
      dataDir: resolve(options.cwd, options.dataDir ?? DEFAULT_DATA_DIR),
      host,
      port: options.port ?? 8080,
      token,
      maxBodyBytes: options.maxBodyBytes,
      timeScale: options.timeScale,
      version,
      webhooks,
      experimentDirs,
    });
    const store =
      config.store.kind === 'file' ? 'file store' : describeTeamStore({ ...config, store: { ...config.store, key: '<task_id>' } });
    const receivers = webhooks.secret === undefined ? null : webhooks.urls.length;
    if (options.json === true)
      terminal.out.write(
        `${jsonText({ url: server.url, port: server.port, authentication: token === undefined ? 'none' : 'bearer', webhooks: receivers })}\n`,
      );
    else {
      println(
        terminal,
        `agent-team serve: listening on ${server.url} (${store}; ${token === undefined ? 'no token: this machine only' : 'bearer token required'})`,
      );
      println(terminal, `  API description: ${server.url}/openapi.json`);
      println(
        terminal,
        `  Dashboard: ${server.url}/ui${token === undefined ? '' : ` (sign a browser in once with ${server.url}/ui?token=<${API_TOKEN_ENV}>)`}`,
      );
      println(
        terminal,
        `  Experiments: ${server.url}/ui/experiments (from ${[join(config.projectDir, 'experiments'), ...experimentDirs].join(', ')})`,
      );
      // The count only: a receiver's URL may carry its own token.
      if (receivers !== null)
        println(terminal, `  Webhooks: ${receivers} receiver(s) and each task's callback_url, signed (outbox under the data directory)`);
    }
    await new Promise<void>((done) => {
      if (signal.aborted) done();
      else signal.addEventListener('abort', () => done(), { once: true });
    });
    await server.close(signal.reason);
    return EXIT.ok;
  } finally {
    // The runs have stopped: their last spans are sent before the process ends.
    await stopTracing();
    interrupt?.dispose();
  }
}
