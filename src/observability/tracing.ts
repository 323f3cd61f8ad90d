/**
 * Traces over OpenTelemetry. Code above this floor opens spans with `withSpan` through
 * `@opentelemetry/api`, which is a no-op until a tracer provider is registered: `startTracing`
 * registers the SDK (loaded on demand) only when OTEL_EXPORTER_OTLP_ENDPOINT is set, so a run
 * without it loads no SDK module. Every span carries the correlation (run, task, subtask) it runs in.
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { currentCorrelation } from './correlation.js';
import { redactText } from './redact.js';
import type { TracingSdk } from './tracing-sdk.js';

/** The variable that turns tracing on: the OTLP/HTTP endpoint spans are sent to (its /v1/traces). */
export const TRACING_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';

/** A span attribute value; undefined ones are left out. */
export type SpanAttributeValue = string | number | boolean | readonly string[] | readonly number[] | undefined;

/** Span attributes by name (OpenTelemetry semantic conventions, or `agent_team.*`). */
export type SpanAttributes = Readonly<Record<string, SpanAttributeValue>>;

/** What code inside a span may do with it. */
export interface SpanHandle {
  /** Adds attributes known only once the work is done (usage, cost, finish reasons). */
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed without an exception (a tool whose result is an error). */
  fail(errorType: string): void;
}

/** How a span is opened. */
export interface SpanOptions {
  /** `client` for a call to another service (a model); `internal` (default) otherwise. */
  readonly kind?: 'internal' | 'client';
  readonly attributes?: SpanAttributes;
}

const TRACER_NAME = 'agent-team';
const STATUS_MESSAGE_LIMIT = 300;

let sdk: Promise<TracingSdk | undefined> | undefined;

/**
 * Starts exporting spans when OTEL_EXPORTER_OTLP_ENDPOINT is set (and OTEL_SDK_DISABLED is not `true`);
 * resolves true when it did. Calling it again while started changes nothing.
 */
export async function startTracing(
  input: { serviceName?: string; serviceVersion?: (() => Promise<string>) | undefined } = {},
): Promise<boolean> {
  const endpoint = process.env[TRACING_ENDPOINT_ENV]?.trim() ?? '';
  if (sdk === undefined && (endpoint === '' || process.env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true')) return false;
  sdk ??= (async () => {
    const [{ startTracingSdk }, serviceVersion] = await Promise.all([import('./tracing-sdk.js'), input.serviceVersion?.()]);
    return startTracingSdk({ serviceName: input.serviceName ?? TRACER_NAME, serviceVersion });
  })();
  return (await sdk) !== undefined;
}

/** Sends every span still held and stops tracing (a no-op when it never started); call it before the process ends. */
export async function stopTracing(): Promise<void> {
  const started = sdk;
  sdk = undefined;
  const running = await started?.catch(() => undefined);
  if (running === undefined) return;
  try {
    await running.shutdown();
  } finally {
    // So a later startTracing in this process (tests, an embedding) can register again.
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

/**
 * The active trace context as the W3C variables TRACEPARENT (and TRACESTATE) for a process this one
 * starts; empty when nothing is traced here.
 */
export function traceContextEnv(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const env: Record<string, string> = {};
  if (carrier['traceparent'] !== undefined) env['TRACEPARENT'] = carrier['traceparent'];
  if (carrier['tracestate'] !== undefined) env['TRACESTATE'] = carrier['tracestate'];
  return env;
}

/** Runs `fn` as part of the trace that TRACEPARENT names (set by the process that started this one, or by a CI job), if any. */
export function withTraceParentFromEnv<T>(fn: () => T): T {
  const traceparent = process.env['TRACEPARENT']?.trim() ?? '';
  if (traceparent === '') return fn();
  const carrier: Record<string, string> = { traceparent };
  const tracestate = process.env['TRACESTATE']?.trim() ?? '';
  if (tracestate !== '') carrier['tracestate'] = tracestate;
  return context.with(propagation.extract(context.active(), carrier), fn);
}

/** Runs `fn` inside a span named `name`, a child of the span active here; a throw marks it failed with `error.type`. */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: SpanHandle) => Promise<T>): Promise<T> {
  const kind = options.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
  const attributes = { ...correlationAttributes(), ...options.attributes };
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind }, async (span) => {
    setDefined(span, attributes);
    try {
      return await fn(handleOf(span));
    } catch (error) {
      span.setAttribute('error.type', errorTypeOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessageOf(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

function handleOf(span: Span): SpanHandle {
  return {
    setAttributes: (attributes) => setDefined(span, attributes),
    fail: (errorType) => {
      span.setAttribute('error.type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}

function setDefined(span: Span, attributes: SpanAttributes): void {
  if (!span.isRecording()) return;
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) span.setAttribute(key, value as string | number | boolean | string[] | number[]);
  }
}

function correlationAttributes(): SpanAttributes {
  const { taskId, subtaskId, runId } = currentCorrelation();
  return { 'agent_team.task_id': taskId, 'agent_team.subtask_id': subtaskId, 'agent_team.run_id': runId };
}

/** `error.type`: our errors' stable code, else the error's class name. */
function errorTypeOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && code !== '') return code;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}

// Messages may quote what a vendor said back; never a key or a token.
function statusMessageOf(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error)).slice(0, STATUS_MESSAGE_LIMIT);
}
