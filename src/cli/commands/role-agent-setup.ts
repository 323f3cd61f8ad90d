/** What the role-agent commands share: config, memory store, prompts, the provider of an agent spec, and how a memory prints. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtInPaths, loadTeamConfig, type TeamConfig } from '../../config/index.js';
import { MemoryStore, type MemoryRecord } from '../../memory/index.js';
import { plainStrings } from '../../observability/index.js';
import { writeAgentStatus, type AgentStatus } from '../../solo/index.js';
import { createAgentSpecResolver, type ResolvedAgentSpec } from '../../team/index.js';
import { paint, type Terminal } from '../terminal.js';

/** Project used when `--project` is not given: agents share memory within a project. */
export { DEFAULT_PROJECT } from './default-project.js';

/** The project's configuration and its memory store. */
export interface MemoryContext {
  config: TeamConfig;
  projectDir: string;
  store: MemoryStore;
}

/** Loads the configuration (for the project directory) and opens the project's memory. */
export function openMemoryContext(input: { cwd: string; config?: string | undefined }): MemoryContext {
  const config = loadTeamConfig({ configPath: input.config, cwd: input.cwd });
  return { config, projectDir: config.projectDir, store: MemoryStore.forProject(config.projectDir) };
}

/** The prompts directory holding `roles/`: the project's own if it has role prompts, else the built-in one. */
export function rolePromptsDir(config: TeamConfig): string {
  return existsSync(join(config.promptsDir, 'roles')) ? config.promptsDir : builtInPaths().promptsDir;
}

/** The agent spec used when `--agent` is not given: the config's provider, with its medium tier model. */
export function defaultAgentSpec(config: TeamConfig): string {
  const name = config.orchestrator.provider.name;
  if (name === 'sim') return 'sim';
  if (name === 'cli') {
    const command = config.orchestrator.providers.cli.command;
    return typeof command === 'string' ? command : `cli:${JSON.stringify(command)}`;
  }
  return `${name}:${config.agentsConfig.tiers.medium}`;
}

/** Resolves `--agent` (or the default) to a provider and model; an unknown spec is a UsageError. */
export function resolveAgent(input: {
  config: TeamConfig;
  agent?: string | undefined;
  seed?: number | undefined;
  timeScale?: number | undefined;
}): ResolvedAgentSpec {
  const resolver = createAgentSpecResolver({
    config: input.config,
    seed: input.seed ?? input.config.orchestrator.provider.seed,
    timeScale: input.timeScale ?? input.config.orchestrator.provider.time_scale,
  });
  return resolver(input.agent ?? defaultAgentSpec(input.config));
}

/** A fresh agent id: the role and a short random suffix, e.g. `code-3f9a1c`. */
export function newAgentId(role: string): string {
  return `${role}-${randomBytes(3).toString('hex')}`;
}

/** One memory in two lines: time, type, agent and content, then its tags. */
export function formatMemory(terminal: Terminal, record: MemoryRecord): string {
  // Memories hold model text: no escape sequence of it reaches the terminal.
  const memory = plainStrings(record);
  const when = memory.createdAt.slice(0, 19).replace('T', ' ');
  const type =
    memory.type === 'error'
      ? paint(terminal, memory.tags.includes('resolved') ? 'green' : 'red', memory.type.padEnd(8))
      : paint(terminal, 'cyan', memory.type.padEnd(8));
  const tags = memory.tags.length === 0 ? '' : `\n    ${paint(terminal, 'dim', `tags: ${memory.tags.join(', ')}`)}`;
  return `  ${paint(terminal, 'dim', when)}  ${type} ${memory.agent}  ${memory.content}${tags}`;
}

/** The status file of an agent that starts working now, in this process unless `pid` says otherwise. */
export async function recordAgentStart(input: {
  projectDir: string;
  id: string;
  role: string;
  directory: string;
  task: string;
  project: string;
  log?: string | undefined;
}): Promise<AgentStatus> {
  const status: AgentStatus = {
    version: 1,
    id: input.id,
    role: input.role,
    directory: input.directory,
    task: input.task,
    project: input.project,
    pid: process.pid,
    status: 'running',
    startedAt: new Date().toISOString(),
    endedAt: null,
    summary: null,
    saved: null,
    error: null,
    log: input.log ?? null,
  };
  await writeAgentStatus({ projectDir: input.projectDir, status });
  return status;
}

/** Records how an agent ended; a failure to write it is reported, never hides the agent's own outcome. */
export async function recordAgentEnd(input: {
  projectDir: string;
  status: AgentStatus;
  outcome: Pick<AgentStatus, 'status'> & Partial<Pick<AgentStatus, 'summary' | 'saved' | 'error'>>;
  terminal: Terminal;
}): Promise<void> {
  const status: AgentStatus = { ...input.status, ...input.outcome, endedAt: new Date().toISOString() };
  try {
    await writeAgentStatus({ projectDir: input.projectDir, status });
  } catch (error) {
    input.terminal.err.write(`warning: could not write the status of ${status.id}: ${(error as Error).message}\n`);
  }
}

/** One line for an error a job ended with. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.message;
  return String(error);
}

/** `1 memory`, `2 memories`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
