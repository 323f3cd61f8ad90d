/**
 * Reads the text of a file a person pointed us at (a config, a tasks file, a
 * cassette, a prompt): a missing or unreadable one is a ConfigError naming it.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors/index.js';
import { errorCode } from './error-code.js';

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

/** Reads a file a person gave us as UTF-8; ConfigError when it is missing or unreadable. */
export async function readInputFile(options: ReadInputFileOptions): Promise<string> {
  try {
    return await readFile(options.file, 'utf8');
  } catch (error) {
    throw unreadable(options, error);
  }
}

/** The synchronous readInputFile, for loading that must finish before anything else runs (config). */
export function readInputFileSync(options: ReadInputFileOptions): string {
  try {
    return readFileSync(options.file, 'utf8');
  } catch (error) {
    throw unreadable(options, error);
  }
}
