import { AgentTeamError, type SystemErrorFields } from '../errors/index.js';

/** The `code` of a Node errno error (`ENOENT`, `EEXIST`…) or of an AgentTeamError; undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** True for a Node system error (`ENOSPC`, `EROFS`, `EISDIR`…), false for anything else, our own errors included. */
export function isSystemError(error: unknown): error is Error & SystemErrorFields {
  if (!(error instanceof Error) || error instanceof AgentTeamError) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}
