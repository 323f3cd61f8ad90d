/** The base of the hierarchy, and the issue lists that errors about files carry. */

/** Base class of every error agent-team raises on purpose. */
export class AgentTeamError extends Error {
  /** Stable machine-readable code, e.g. `config_invalid`. */
  readonly code: string;
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/**
 * One problem found in a file: where (a dot path such as `agents.2.role`, or
 * the line and column of a syntax error), what was expected and what was found.
 */
export interface ConfigIssue {
  /** Dot path of the value at fault; `''` for the whole document or a syntax error. */
  readonly path: string;
  readonly message: string;
  /** 1-based line of a syntax error (or of the line of a JSONL file). */
  readonly line?: number;
  /** 1-based column of a syntax error, counted in characters. */
  readonly column?: number;
}

/** Where an issue is, as a person reads it: `line 2, column 14`, `agents.1.role` or `(root)`. */
export function issueLocation(issue: ConfigIssue): string {
  if (issue.line !== undefined) {
    const at = issue.column === undefined ? `line ${issue.line}` : `line ${issue.line}, column ${issue.column}`;
    return issue.path === '' ? at : `${at}, ${issue.path}`;
  }
  return issue.path === '' ? '(root)' : issue.path;
}

/** `  - agents.1.role: unknown role …`, one line per issue. */
export function formatIssueList(issues: readonly ConfigIssue[]): string {
  return issues.map((issue) => `  - ${issueLocation(issue)}: ${issue.message}`).join('\n');
}

/** The first `max` issues on one line (`a.b: …; c: … (and 2 more)`). */
export function summarizeIssues(issues: readonly ConfigIssue[], max = 3): string {
  const shown = issues.slice(0, max).map((issue) => `${issueLocation(issue)}: ${issue.message}`);
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}
