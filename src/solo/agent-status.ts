/**
 * Status files of role agents (`.ai-agents/agents/<id>.json`), one per agent,
 * written by the agent itself so that `agent-team monitor` can show who is
 * working on what, from any process.
 */
import { link, mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DataFileError, summarizeIssues } from '../errors/index.js';
import { errorCode, isProcessAlive, readDataFile, siblingTempPath, writeJsonFileAtomic } from '../files/index.js';

// File systems where link() is refused (FAT, some network mounts).
const HARD_LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Where agent status files and logs live, relative to the project directory. */
export const AGENTS_DIR = join('.ai-agents', 'agents');

/** Where an agent is in its life. */
export const AGENT_STATES = ['starting', 'running', 'completed', 'failed', 'timeout', 'cancelled'] as const;

/** `.ai-agents/agents/<id>.json`. */
export const agentStatusSchema = z
  .object({
    version: z.literal(1).describe('Schema version of this file.'),
    id: z.string().min(1).describe('Agent id, also the file name.'),
    role: z.string().min(1),
    directory: z.string(),
    task: z.string(),
    project: z.string().min(1),
    pid: z.number().int().describe('Process running the agent; a "running" agent whose process is gone has died.'),
    status: z.enum(AGENT_STATES),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().nullable(),
    summary: z.string().nullable(),
    saved: z.number().int().nonnegative().nullable().describe('How many memories it saved.'),
    error: z.string().nullable(),
    log: z.string().nullable().describe('Log file of a background agent.'),
  })
  .strict();

/** The status of one agent. */
export type AgentStatus = z.infer<typeof agentStatusSchema>;

/** Status files that could be read, and what was wrong with the others. */
export interface AgentStatusListing {
  agents: AgentStatus[];
  problems: string[];
}

/** The directory of a project's agent status files and logs. */
export function agentsDirOf(projectDir: string): string {
  return join(projectDir, AGENTS_DIR);
}

/** The status file of one agent. */
export function agentStatusFile(input: { projectDir: string; id: string }): string {
  return join(agentsDirOf(input.projectDir), `${input.id}.json`);
}

/** Writes an agent's status atomically: readers see the old or the new file, never half of one. */
export async function writeAgentStatus(input: { projectDir: string; status: AgentStatus }): Promise<void> {
  const status = agentStatusSchema.parse(input.status);
  await mkdir(agentsDirOf(input.projectDir), { recursive: true });
  await writeJsonFileAtomic(agentStatusFile({ projectDir: input.projectDir, id: status.id }), status);
}

/**
 * Writes the status only if the agent has not written one yet: a parent that
 * started a background agent must not overwrite the agent's own, newer status.
 * A hard link fails on an existing name, so the check and the write are one step.
 */
export async function writeAgentStatusIfAbsent(input: { projectDir: string; status: AgentStatus }): Promise<boolean> {
  const status = agentStatusSchema.parse(input.status);
  await mkdir(agentsDirOf(input.projectDir), { recursive: true });
  const target = agentStatusFile({ projectDir: input.projectDir, id: status.id });
  const text = `${JSON.stringify(status, null, 2)}\n`;
  const temp = siblingTempPath(target);
  await writeFile(temp, text, { flag: 'wx' });
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return false;
    if (!HARD_LINK_UNSUPPORTED.has(code ?? '')) throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  // Without hard links an exclusive create still decides; a reader may then briefly see a partial file.
  try {
    await writeFile(target, text, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Every agent status of a project, newest start first; unreadable files are reported, not fatal. */
export async function readAgentStatuses(projectDir: string): Promise<AgentStatusListing> {
  const dir = agentsDirOf(projectDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { agents: [], problems: [] };
    throw error;
  }
  const agents: AgentStatus[] = [];
  const problems: string[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json') && !entry.startsWith('.'))) {
    const file = join(dir, name);
    try {
      const status = await readDataFile({ file, format: 'json', schema: agentStatusSchema });
      if (status !== undefined) agents.push(status); // else removed meanwhile
    } catch (error) {
      if (!(error instanceof DataFileError)) {
        problems.push(`${file}: expected JSON, found ${error instanceof Error ? error.message : String(error)}`); // unreadable
        continue;
      }
      const { syntax } = error;
      problems.push(
        syntax === undefined
          ? `${file}: not an agent status (${summarizeIssues(error.issues, 2)})`
          : `${file}: expected JSON, found a syntax error at line ${syntax.line}, column ${syntax.column} (${syntax.detail})`,
      );
    }
  }
  agents.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id));
  return { agents, problems };
}

/** The status as a reader should take it: a starting or running agent whose process is gone has failed. */
export function effectiveStatus(status: AgentStatus): AgentStatus['status'] | 'died' {
  if ((status.status === 'running' || status.status === 'starting') && !isProcessAlive(status.pid)) return 'died';
  return status.status;
}
