/**
 * Where a team's state lives: the file store under the project (the default, no database needed), or a
 * PostgreSQL database that workers on other machines reach too. Chosen by `--store` or AGENT_TEAM_STORE.
 */
import { basename } from 'node:path';
import { UsageError } from '../errors/index.js';

/** The environment variable that names the store when no `--store` is given. */
export const STORE_ENV = 'AGENT_TEAM_STORE';

/** The query parameter of a PostgreSQL URL that names the team's run in the database (default: the project folder's name). */
export const TEAM_PARAMETER = 'team';

/** The file store, or a run in a PostgreSQL database: `url` is what the driver connects to, `key` the run's name in it. */
export type StoreLocation = { readonly kind: 'file' } | { readonly kind: 'postgres'; readonly url: string; readonly key: string };

/**
 * Reads a `--store` value (or AGENT_TEAM_STORE): `file` (or nothing) for the file store, or
 * `postgres://user:password@host:5432/database[?team=name]`. Anything else is a UsageError that says
 * where the value came from and what is expected; a password never appears in it.
 */
export function parseStoreLocation(input: { value: string | undefined; from: string; projectDir: string }): StoreLocation {
  const value = input.value?.trim() ?? '';
  if (value === '' || value === 'file') return { kind: 'file' };
  if (!/^postgres(ql)?:\/\//i.test(value)) {
    throw new UsageError(
      `${input.from} is "${redactedScheme(value)}": expected "file" (the default) or a PostgreSQL URL such as ` +
        `postgres://user:password@host:5432/database?${TEAM_PARAMETER}=my-team.`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `${input.from} is not a valid URL (${redactedScheme(value)}…): expected postgres://user:password@host:5432/database?${TEAM_PARAMETER}=my-team.`,
    );
  }
  const team = url.searchParams.get(TEAM_PARAMETER);
  url.searchParams.delete(TEAM_PARAMETER);
  const key = team ?? basename(input.projectDir);
  if (key.trim() === '') {
    throw new UsageError(`${input.from}: the ${TEAM_PARAMETER} parameter is empty; name the team, e.g. ?${TEAM_PARAMETER}=my-team.`);
  }
  return { kind: 'postgres', url: url.toString(), key };
}

/** What a store value starts with, cut before anything that could be a password. */
function redactedScheme(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0];
  return scheme ?? (value.length > 12 || value.includes('@') ? `${value.slice(0, 4)}…` : value);
}

/** The `--store` value that names `location` again (for processes started to work on the same store). */
export function storeValue(location: StoreLocation): string {
  if (location.kind === 'file') return 'file';
  const url = new URL(location.url);
  url.searchParams.set(TEAM_PARAMETER, location.key);
  return url.toString();
}
