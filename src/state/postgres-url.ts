/** PostgreSQL connection URLs as the store takes them, and as it names them in messages (never with a password). */
import { UsageError } from '../errors/index.js';

/** True for a `postgres://…` or `postgresql://…` URL. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/**
 * The URL with its password replaced by `***` and any `password` query parameter dropped, for
 * messages and logs. Text that does not parse as a URL is cut to its scheme, so a malformed URL
 * cannot carry a password into an error either.
 */
export function redactPostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const scheme = /^[a-z]+:\/\//i.exec(url)?.[0] ?? '';
    return `${scheme}(unparsable URL)`;
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const name of ['password', 'sslpassword', 'sslkey']) parsed.searchParams.delete(name);
  return parsed.toString();
}

/** Throws a UsageError naming the expected form when `url` is not a PostgreSQL connection URL. */
export function assertPostgresUrl(url: string): void {
  if (isPostgresUrl(url)) {
    try {
      new URL(url);
      return;
    } catch {
      // falls through to the error below
    }
  }
  throw new UsageError(
    `Not a PostgreSQL connection URL: ${redactPostgresUrl(url)}. Expected postgres://user:password@host:5432/database ` +
      '(or postgresql://…; a unix socket: postgresql://user@localhost/database?host=/var/run/postgresql).',
  );
}

/** `the run "<name>" in <redacted url>`: where a run's state lives, as errors name it. */
export function describeRunLocation(input: { url: string; run: string }): string {
  return `run "${input.run}" in PostgreSQL ${redactPostgresUrl(input.url)}`;
}
