import { hostname } from 'node:os';

/** The environment variable that names this machine to the team (default: its hostname). */
export const HOST_ENV = 'AGENT_TEAM_HOST';

/**
 * This machine's name as runs record it (owners, agents): AGENT_TEAM_HOST when set, else the hostname.
 * Set it where hostnames repeat (containers started from one image) so that each machine has its own.
 */
export function hostId(): string {
  const named = process.env[HOST_ENV]?.trim();
  return named === undefined || named === '' ? hostname() : named;
}
