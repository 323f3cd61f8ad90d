export { getLogger, logToStream } from './logger.js';
export { redact } from './redact.js';
export { jsonText, plainStrings, plainText } from './plain-text.js';
