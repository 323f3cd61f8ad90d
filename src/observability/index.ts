export { getLogger, logToStream } from './logger.js';
export { redact } from './redact.js';
