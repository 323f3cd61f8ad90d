export { annotateCorrelation, type Correlation, correlationFields, currentCorrelation, withCorrelation } from './correlation.js';
export { getLogger, type Logger, type LogLevel, type LogMethod, logToFile, logToStream, type OpenLogFile } from './logger.js';
export { redact, registerSecret } from './redact.js';
export { jsonText, plainStrings, plainText } from './plain-text.js';
export {
  type CostTotal,
  createServiceMetrics,
  type ServiceMetrics,
  type ServiceTotals,
  type TokenKind,
  type TokenTotal,
  type WebhookDeliveryOutcome,
} from './service-metrics.js';
export {
  type SpanAttributes,
  type SpanAttributeValue,
  type SpanHandle,
  type SpanOptions,
  startTracing,
  stopTracing,
  traceContextEnv,
  TRACING_ENDPOINT_ENV,
  withSpan,
  withTraceParentFromEnv,
} from './tracing.js';
