import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import type winston from 'winston';
import { isSecretKey, redact } from './redact.js';

/** winston's npm levels, most severe first. */
const LEVELS = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 } as const;

/** A log level, most severe first: error, warn, info, http, verbose, debug, silly. */
export type LogLevel = keyof typeof LEVELS;

/** Writes one log line at a level: a message and fields (secrets redacted). */
export type LogMethod = (message: string, meta?: Readonly<Record<string, unknown>>) => void;

/** A namespaced logger: one method per level. */
export type Logger = Readonly<Record<LogLevel, LogMethod>>;

// Where log lines go: the process's stderr until a command names its own (logToStream).
let target: NodeJS.WritableStream = process.stderr;
let configuredLevel: string | undefined;
let root: winston.Logger | undefined;

function levelName(): string {
  configuredLevel ??= process.env['AGENT_TEAM_LOG_LEVEL'] ?? 'warn';
  return configuredLevel;
}

// As winston decides it: a level it does not know writes nothing.
function enabled(level: LogLevel): boolean {
  const threshold = (LEVELS as Readonly<Record<string, number>>)[levelName()];
  return threshold !== undefined && LEVELS[level] <= threshold;
}

// winston costs ~100-170 ms to import: it is loaded at the first line actually written, so a
// run that logs nothing (the default level is warn) never pays for it.
function rootLogger(): winston.Logger {
  if (root !== undefined) return root;
  const require = createRequire(import.meta.url);
  const { createLogger, format, transports } = require('winston') as typeof winston;
  const redactFormat = format((info) => {
    for (const key of Object.keys(info)) {
      if (key !== 'level' && key !== 'timestamp') info[key] = isSecretKey(key) ? '[redacted]' : redact(info[key]);
    }
    return info;
  });
  // winston wants a real stream; a command's stderr may be any writable (a test's buffer, the server's).
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      target.write(chunk);
      callback();
    },
  });
  root = createLogger({
    level: levelName(),
    format: format.combine(redactFormat(), format.timestamp(), format.json()),
    transports: [new transports.Stream({ stream })],
  });
  return root;
}

/** A namespaced logger; secrets are always redacted, prompt bodies belong at debug level only. */
export function getLogger(namespace: string): Logger {
  const method =
    (level: LogLevel): LogMethod =>
    (message, meta) => {
      if (enabled(level)) rootLogger().log(level, message, { namespace, ...meta });
    };
  return {
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    http: method('http'),
    verbose: method('verbose'),
    debug: method('debug'),
    silly: method('silly'),
  };
}

/** Sends all logs of this process to `stream` as JSON lines (a command's stderr; and nowhere else). */
export function logToStream(stream: NodeJS.WritableStream): void {
  target = stream;
}
