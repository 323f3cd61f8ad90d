/**
 * Reads the text of a file a person pointed us at (a config, a tasks file, a
 * cassette, a prompt): a missing or unreadable one is a ConfigError naming it.
 * Only regular files are read: a FIFO would block the command for good (deaf to
 * Ctrl-C and SIGTERM while the read waits), a device may never end.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { ConfigError } from '../errors/index.js';
import { errorCode } from './error-code.js';

// Opening a FIFO for reading waits for a writer unless it is non-blocking; a regular file reads the same either way.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a file is when it is not a regular file, in words an error can use; undefined for a regular file. */
function otherKind(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'something other than a regular file';
}

/** A regular file's text, or what was found instead; errors of opening or reading (ENOENT, EACCES) are thrown as they are. */
export type RegularFileText = { ok: true; text: string } | { ok: false; found: string };

/** Reads a file as UTF-8 if it is a regular file, without ever blocking on a FIFO or device: the kind is checked on the open descriptor. */
export function readRegularFileSync(file: string): RegularFileText {
  const descriptor = openSync(file, OPEN_FLAGS);
  try {
    const found = otherKind(fstatSync(descriptor));
    return found === undefined ? { ok: true, text: readFileSync(descriptor, 'utf8') } : { ok: false, found };
  } finally {
    closeSync(descriptor);
  }
}

/** The asynchronous readRegularFileSync. */
export async function readRegularFile(file: string): Promise<RegularFileText> {
  const handle = await open(file, OPEN_FLAGS);
  try {
    const found = otherKind(await handle.stat());
    return found === undefined ? { ok: true, text: await handle.readFile('utf8') } : { ok: false, found };
  } finally {
    await handle.close();
  }
}

/** The file and the words for it when it cannot be read. */
export interface ReadInputFileOptions {
  file: string;
  /** What the file is, in "cannot read <what> (EACCES)"; e.g. `the tasks file`. */
  what: string;
  /** The message when the file does not exist; default `<what> not found`. */
  notFound?: string;
  /** Printed under the error, whatever went wrong. */
  hint?: string;
  /** Printed under the error when the file does not exist (instead of `hint`). */
  missingHint?: string;
}

function unreadable(options: ReadInputFileOptions, error: unknown): ConfigError {
  const code = errorCode(error);
  const missing = code === 'ENOENT';
  return new ConfigError({
    file: options.file,
    issues: [
      {
        path: '',
        message: missing ? (options.notFound ?? `${options.what} not found`) : `cannot read ${options.what} (${code ?? String(error)})`,
      },
    ],
    hint: (missing ? options.missingHint : undefined) ?? options.hint,
  });
}

function notRegular(options: ReadInputFileOptions, found: string): ConfigError {
  return new ConfigError({
    file: options.file,
    issues: [{ path: '', message: `expected ${options.what} to be a regular file, found ${found}` }],
    hint: options.hint ?? 'Point it at a regular file: pipes, devices and directories are not read.',
  });
}

/** Reads a file a person gave us as UTF-8; ConfigError (exit 2) when it is missing, unreadable or not a regular file. */
export async function readInputFile(options: ReadInputFileOptions): Promise<string> {
  let read: RegularFileText;
  try {
    read = await readRegularFile(options.file);
  } catch (error) {
    throw unreadable(options, error);
  }
  if (!read.ok) throw notRegular(options, read.found);
  return read.text;
}

/** The synchronous readInputFile, for loading that must finish before anything else runs (config). */
export function readInputFileSync(options: ReadInputFileOptions): string {
  let read: RegularFileText;
  try {
    read = readRegularFileSync(options.file);
  } catch (error) {
    throw unreadable(options, error);
  }
  if (!read.ok) throw notRegular(options, read.found);
  return read.text;
}
