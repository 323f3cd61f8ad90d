/** Where the service sends its webhooks and the secret that signs them: from `--webhook`, the environment, and checks that refuse a weak setup. */
import { UsageError } from '../errors/index.js';
import { CALLBACK_HOSTS_ENV, type CallbackHosts, callbackHosts } from './callback-hosts.js';

/** Receivers of every task's events, comma separated (added to the `--webhook` flags). */
export const WEBHOOK_URLS_ENV = 'AGENT_TEAM_WEBHOOK_URLS';

/** The HMAC key of every delivery's signature; never a flag (a flag shows in `ps`). */
export const WEBHOOK_SECRET_ENV = 'AGENT_TEAM_WEBHOOK_SECRET';

/** The shortest secret accepted: a guessable key lets anyone forge events. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** How deliveries are made and retried; every field has a default. */
export interface WebhookTuning {
  /** Attempts of one delivery before it moves to the dead-letter folder (default 10). */
  readonly maxAttempts?: number | undefined;
  /** Wait before the second attempt; each next one doubles it, with jitter (default 1 s). */
  readonly baseDelayMs?: number | undefined;
  /** The longest wait between two attempts (default 5 min). */
  readonly maxDelayMs?: number | undefined;
  /** A receiver that has not answered after this long counts as failed (default 10 s). */
  readonly timeoutMs?: number | undefined;
  /** How often the tasks are looked at for changes (default 500 ms). */
  readonly scanIntervalMs?: number | undefined;
}

/** The webhooks of a server: the receivers of every task and the secret. */
export interface WebhookSettings extends WebhookTuning {
  /** Receivers of every task's events (a task's `metadata.callback_url` adds its own). */
  readonly urls: readonly string[];
  /** Signs every delivery; undefined turns webhooks off (and refuses `callback_url`). */
  readonly secret: string | undefined;
  /** The hosts a task's `callback_url` may name (see callback-hosts.ts); default: any host that is not local. */
  readonly callbackHosts?: CallbackHosts | undefined;
}

/** Why a webhook URL is refused, or null for a good one: absolute http(s) without credentials. */
export function webhookUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'expected an absolute http:// or https:// URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `expected http:// or https://, found ${parsed.protocol}//`;
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user or password (deliveries are signed instead)';
  return null;
}

/**
 * The webhook settings of `agent-team serve`: `--webhook` URLs plus AGENT_TEAM_WEBHOOK_URLS, signed with
 * AGENT_TEAM_WEBHOOK_SECRET. Refuses a receiver without a secret, a short secret and a bad URL (UsageError).
 */
export function webhookSettings(
  input: { flags: readonly string[]; callbackHostFlags?: readonly string[] | undefined; env: NodeJS.ProcessEnv } & WebhookTuning,
): WebhookSettings {
  const { flags, callbackHostFlags, env, ...tuning } = input;
  const listed = (name: string): string[] =>
    (env[name] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  const urls = [...new Set([...flags.map((url) => url.trim()), ...listed(WEBHOOK_URLS_ENV)])];
  const secret = env[WEBHOOK_SECRET_ENV]?.trim() || undefined;
  const settings = { ...tuning, urls, secret, callbackHosts: callbackHosts([...(callbackHostFlags ?? []), ...listed(CALLBACK_HOSTS_ENV)]) };
  checkWebhookSettings(settings);
  return settings;
}

/** Refuses webhooks that could not be trusted: receivers without a secret, a short secret, a URL that is not http(s). */
export function checkWebhookSettings(settings: WebhookSettings): void {
  const { urls, secret } = settings;
  for (const url of urls) {
    const problem = webhookUrlProblem(url);
    // The URL is not echoed: it may hold a receiver's own token in its query.
    if (problem !== null) throw new UsageError(`A webhook URL is invalid: ${problem}. Fix --webhook or ${WEBHOOK_URLS_ENV}.`);
  }
  if (urls.length > 0 && secret === undefined) {
    throw new UsageError(
      `Webhooks need a signing secret: set ${WEBHOOK_SECRET_ENV} (at least ${MIN_WEBHOOK_SECRET_LENGTH} characters, e.g. openssl rand -hex 32), ` +
        `or drop --webhook and ${WEBHOOK_URLS_ENV}.`,
    );
  }
  if (secret !== undefined && secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new UsageError(
      `${WEBHOOK_SECRET_ENV} is too short (${secret.length} characters): use at least ${MIN_WEBHOOK_SECRET_LENGTH}, e.g. openssl rand -hex 32.`,
    );
  }
}
