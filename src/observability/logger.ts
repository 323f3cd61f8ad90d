import winston from 'winston';
import { redact } from './redact.js';

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key !== 'level' && key !== 'timestamp') info[key] = redact(info[key]);
  }
  return info;
});

let root: winston.Logger | undefined;

function rootLogger(): winston.Logger {
  root ??= winston.createLogger({
    level: process.env['AGENT_TEAM_LOG_LEVEL'] ?? 'warn',
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    // Logs go to stderr so that stdout stays for results and --json output.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
  return root;
}

/** A namespaced logger; secrets are always redacted, prompt bodies belong at debug level only. */
export function getLogger(namespace: string): winston.Logger {
  return rootLogger().child({ namespace });
}

/** Sends all logs of this process to a file as JSON lines (and nowhere else). */
export function logToFile(file: string, level = 'info'): void {
  const logger = rootLogger();
  logger.clear();
  logger.level = level;
  logger.add(new winston.transports.File({ filename: file }));
}
