import { Writable } from 'node:stream';
import winston from 'winston';
import { isSecretKey, redact } from './redact.js';

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key !== 'level' && key !== 'timestamp') info[key] = isSecretKey(key) ? '[redacted]' : redact(info[key]);
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

/** Sends all logs of this process to `stream` as JSON lines (a command's stderr; and nowhere else). */
export function logToStream(target: NodeJS.WritableStream): void {
  const logger = rootLogger();
  logger.clear();
  // winston wants a real stream; a command's stderr may be any writable (a test's buffer, the server's).
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      target.write(chunk);
      callback();
    },
  });
  logger.add(new winston.transports.Stream({ stream }));
}
