/**
 * `agent-status.json`: the file an agent keeps at the root of its worktree so
 * that the orchestrator can follow its progress by polling, from any process.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DataFileError, issueLocation } from '../errors/index.js';
import { readDataFile, writeJsonFileAtomic } from '../files/index.js';
import { WorkspaceError } from './workspace-error.js';

/** File name of the status file, at the root of each agent worktree. */
export const WORKTREE_STATUS_FILE = 'agent-status.json';

/** Where the agent of a worktree stands. */
export const WORKTREE_STATUSES = ['working', 'done', 'failed', 'timeout', 'stopped'] as const;

/** The verdict of one gate on a worktree's work. */
export const gateResultSchema = z
  .object({
    name: z.string().min(1).describe('Gate name, e.g. "tests" or "security".'),
    passed: z.boolean(),
    reasons: z.array(z.string()).describe('Why the gate failed, or notes when it passed.'),
  })
  .strict();

/** `agent-status.json`. */
export const worktreeStatusSchema = z
  .object({
    version: z.literal(1).describe('Schema version of this file.'),
    taskId: z.string().min(1),
    agentId: z.string().min(1),
    status: z.enum(WORKTREE_STATUSES),
    progress: z.number().min(0).max(100).describe('Percent done, 0 to 100.'),
    filesChanged: z.array(z.string()).describe('Paths relative to the repository root.'),
    gates: z.array(gateResultSchema),
    commit: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/, 'expected a git commit sha')
      .nullable()
      .describe('The commit holding the work, once there is one.'),
    updatedAt: z.iso.datetime(),
  })
  .strict();

/** The verdict of one gate. */
export type GateResult = z.infer<typeof gateResultSchema>;
/** The status an agent reports from its worktree. */
export type WorktreeStatus = z.infer<typeof worktreeStatusSchema>;
/** What a writer supplies; the version and `updatedAt` are filled in. */
export type WorktreeStatusUpdate = Omit<WorktreeStatus, 'version' | 'updatedAt'>;

/** The status file of a worktree. */
export function worktreeStatusFile(worktree: string): string {
  return join(worktree, WORKTREE_STATUS_FILE);
}

/** Writes the status atomically (temp file, fsync, rename): a poller never sees half a file. */
export async function writeWorktreeStatus(input: {
  worktree: string;
  status: WorktreeStatusUpdate;
  now?: () => Date;
}): Promise<WorktreeStatus> {
  const status = worktreeStatusSchema.parse({
    ...input.status,
    version: 1,
    updatedAt: (input.now ?? (() => new Date()))().toISOString(),
  });
  // Its temp file, `.agent-status.json.*.tmp`, is git-excluded by createTaskWorktree, so a crash here never dirties the worktree.
  // Rewritten on every step and by the agent again after a crash: a power cut may cost the last version, never half of one.
  await writeJsonFileAtomic(worktreeStatusFile(input.worktree), status, { syncDirectory: false });
  return status;
}

/** Reads and validates a worktree's status; null when the agent has not written one yet. */
export async function readWorktreeStatus(worktree: string): Promise<WorktreeStatus | null> {
  const file = worktreeStatusFile(worktree);
  try {
    return (await readDataFile({ file, format: 'json', schema: worktreeStatusSchema })) ?? null;
  } catch (error) {
    if (error instanceof DataFileError) throw invalid(file, error);
    throw error;
  }
}

function invalid(file: string, error: DataFileError): WorkspaceError {
  const problems =
    error.syntax === undefined
      ? error.issues.map((issue) => `${issueLocation(issue)}: ${issue.message}`)
      : [`not valid JSON at line ${error.syntax.line}, column ${error.syntax.column}: ${error.syntax.detail}`];
  return new WorkspaceError({
    code: 'workspace_status_invalid',
    message:
      `${file} is not a valid agent status:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\n` +
      'It is written by the agent working in that worktree; delete it and the agent writes a new one on its next update.',
    cause: error,
  });
}
