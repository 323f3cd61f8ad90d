/**
 * The service's Prometheus metrics, on a registry of their own (never prom-client's global one), so
 * several servers in one process keep apart. Request latency is observed as requests end; the rest is
 * set from totals its owner derives from its records on each scrape, so a restart counts nothing twice.
 */
import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** prom-client's module, loaded on demand. */
type PromClient = typeof import('prom-client');

/** The kinds of tokens counted apart, as the `kind` label spells them. */
export type TokenKind = 'input' | 'output' | 'cache_read' | 'cache_write';

/** Tokens of one kind spent by one agent on one model. */
export interface TokenTotal {
  readonly model: string;
  readonly agent: string;
  readonly kind: TokenKind;
  readonly tokens: number;
}

/** US dollars spent by one agent on one model. */
export interface CostTotal {
  readonly model: string;
  readonly agent: string;
  readonly usd: number;
}

/** What the service's records say now, for the metrics not observed as they happen. */
export interface ServiceTotals {
  /** Tasks planning, planned or running. */
  readonly tasksActive: number;
  /** Failed subtasks by the agent that worked on them. */
  readonly subtaskFailures: ReadonlyMap<string, number>;
  readonly tokens: readonly TokenTotal[];
  readonly cost: readonly CostTotal[];
}

/** How a webhook delivery attempt ended. */
export type WebhookDeliveryOutcome = 'delivered' | 'http_error' | 'network_error' | 'timeout';

/** Latency buckets in seconds: from a status read to a plan made by a model. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The service's metrics and the registry that renders them. */
export class ServiceMetrics {
  readonly #registry: Registry;
  readonly #tasksActive: Gauge;
  readonly #subtaskFailures: Counter<'agent'>;
  readonly #latency: Histogram<'route' | 'status'>;
  readonly #tokens: Counter<'model' | 'agent' | 'kind'>;
  readonly #cost: Counter<'model' | 'agent'>;
  readonly #webhookDeliveries: Counter<'outcome'>;
  readonly #webhookDeadLetters: Counter<'reason'>;

  /** Use `createServiceMetrics()`, which loads prom-client first. */
  constructor(prom: PromClient) {
    this.#registry = new prom.Registry();
    const registers = [this.#registry];
    this.#tasksActive = new prom.Gauge({ name: 'orchestrator_tasks_active', help: 'Tasks planning, planned or running.', registers });
    this.#subtaskFailures = new prom.Counter({
      name: 'orchestrator_subtask_failures_total',
      help: 'Subtasks that ended failed, by agent.',
      labelNames: ['agent'] as const,
      registers,
    });
    this.#latency = new prom.Histogram({
      name: 'orchestrator_latency_seconds',
      help: 'Time to answer a request (for an event stream: until it starts), by route and status.',
      labelNames: ['route', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#tokens = new prom.Counter({
      name: 'agent_team_tokens_total',
      help: "Tokens of the service's runs, from their ledgers' model calls, by model, agent and kind.",
      labelNames: ['model', 'agent', 'kind'] as const,
      registers,
    });
    this.#cost = new prom.Counter({
      name: 'agent_team_cost_usd_total',
      help: "US dollars spent by the service's runs, from their ledgers' model calls, by model and agent.",
      labelNames: ['model', 'agent'] as const,
      registers,
    });
    this.#webhookDeliveries = new prom.Counter({
      name: 'agent_team_webhook_deliveries_total',
      help: 'Webhook delivery attempts of this process, by outcome: delivered, http_error, network_error, timeout.',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.#webhookDeadLetters = new prom.Counter({
      name: 'agent_team_webhook_dead_letters_total',
      help: 'Webhook deliveries this process gave up on (moved to the dead-letter folder), by reason: attempts (all failed), damaged (unreadable entry).',
      labelNames: ['reason'] as const,
      registers,
    });
  }

  /** The Content-Type of `render`'s text. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Observes one answered request. */
  observeRequest(input: { route: string; status: number; seconds: number }): void {
    this.#latency.observe({ route: input.route, status: String(input.status) }, input.seconds);
  }

  /** Counts one webhook delivery attempt by how it ended. */
  observeWebhookDelivery(outcome: WebhookDeliveryOutcome): void {
    this.#webhookDeliveries.inc({ outcome });
  }

  /** Counts one webhook delivery given up on: every attempt failed, or its outbox entry could not be read. */
  observeWebhookDeadLetter(reason: 'attempts' | 'damaged'): void {
    this.#webhookDeadLetters.inc({ reason });
  }

  /** The exposition text with the derived metrics set from `totals`. */
  async render(totals: ServiceTotals): Promise<string> {
    // Set in one synchronous step, so a scrape running alongside never sees half of them.
    this.#tasksActive.set(totals.tasksActive);
    this.#subtaskFailures.reset();
    for (const [agent, count] of totals.subtaskFailures) this.#subtaskFailures.inc({ agent }, count);
    this.#tokens.reset();
    for (const { model, agent, kind, tokens } of totals.tokens) this.#tokens.inc({ model, agent, kind }, tokens);
    this.#cost.reset();
    for (const { model, agent, usd } of totals.cost) this.#cost.inc({ model, agent }, usd);
    return this.#registry.metrics();
  }
}

/** New service metrics on a registry of their own; prom-client is loaded here, not by every command that logs. */
export function createServiceMetrics(): ServiceMetrics {
  // As winston in logger.ts: required on demand, so the CLI bundle neither holds nor loads it at start.
  const require = createRequire(import.meta.url);
  return new ServiceMetrics(require('prom-client') as PromClient);
}
