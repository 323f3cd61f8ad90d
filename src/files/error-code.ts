/** The `code` of a Node errno error (`ENOENT`, `EEXIST`…) or of an AgentTeamError; undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
