import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import type winston from 'winston';
import { correlationFields } from './correlation.js';
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
// Log files open now (the service's orchestrator.log), each a transport of the root logger once it exists.
const files = new Set<LogFile>();

interface LogFile {
  readonly stream: NodeJS.WritableStream;
  transport?: winston.transport;
}

function levelName(): string {
  configuredLevel ??= process.env['AGENT_TEAM_LOG_LEVEL'] ?? 'warn';
  return configuredLevel;
}

// A file keeps the service's story (info and above) unless the level asks for more.
function fileLevelName(): string {
  return LEVELS[levelName() as LogLevel] > LEVELS.info ? levelName() : 'info';
}

function within(level: LogLevel, name: string): boolean {
  const threshold = (LEVELS as Readonly<Record<string, number>>)[name];
  return threshold !== undefined && LEVELS[level] <= threshold;
}

// As winston decides it: a level it does not know writes nothing.
function enabled(level: LogLevel): boolean {
  return within(level, levelName()) || (files.size > 0 && within(level, fileLevelName()));
}

// winston costs ~100-170 ms to import: it is loaded at the first line actually written, so a
// run that logs nothing (the default level is warn) never pays for it.
function rootLogger(): winston.Logger {
  if (root !== undefined) return root;
  const require = createRequire(import.meta.url);
  const { createLogger, format, transports } = require('winston') as typeof winston;
  const redactFormat = format((info) => {
    // The correlation of the code that logged (service task, subtask, run) goes on every line; the line's own fields win.
    for (const [key, value] of Object.entries(correlationFields())) info[key] ??= value;
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
  // Each transport filters by its own level; the logger lets everything through to them (enabled() gates the work).
  root = createLogger({
    level: 'silly',
    format: format.combine(redactFormat(), format.timestamp(), format.json()),
    transports: [new transports.Stream({ stream, level: levelName() })],
  });
  for (const file of files) attach(root, file);
  return root;
}

function attach(logger: winston.Logger, file: LogFile): void {
  const require = createRequire(import.meta.url);
  const { transports } = require('winston') as typeof winston;
  file.transport = new transports.Stream({ stream: file.stream, level: fileLevelName() });
  logger.add(file.transport);
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

/** An open log file; `close` stops writing to it and waits for its lines to reach the disk. */
export interface OpenLogFile {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Also appends this process's logs to `path` (created with its directory) as JSON lines, at info and above
 * (or AGENT_TEAM_LOG_LEVEL when it asks for more), redacted like every line.
 */
export async function logToFile(path: string): Promise<OpenLogFile> {
  await mkdir(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  const file: LogFile = { stream };
  const detach = (): void => {
    files.delete(file);
    if (file.transport !== undefined) root?.remove(file.transport);
  };
  // A disk that refuses the file later (full, removed) ends this log, never the process; stderr still gets its lines.
  stream.on('error', (error) => {
    detach();
    target.write(`${JSON.stringify({ level: 'error', message: 'log file closed after a write failed', path, error: error.message })}\n`);
  });
  files.add(file);
  if (root !== undefined) attach(root, file);
  let closing: Promise<void> | undefined;
  return {
    path,
    close() {
      closing ??= (async () => {
        // winston hands a line to its transports on a later tick: let the last ones through first.
        await new Promise((resolve) => setImmediate(resolve));
        detach();
        await new Promise<void>((resolve) => stream.end(() => resolve()));
      })();
      return closing;
    },
  };
}
