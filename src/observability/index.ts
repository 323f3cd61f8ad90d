export { getLogger } from './logger.js';
export { redact } from './redact.js';
