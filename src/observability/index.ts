export { getLogger, type Logger, type LogLevel, type LogMethod, logToStream } from './logger.js';
export { redact } from './redact.js';
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
