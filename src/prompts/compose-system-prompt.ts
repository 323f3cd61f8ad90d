import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';
import { errorCode, readRegularFileSync } from '../files/index.js';
import type { ResolvedAgent, TeamConfig } from '../config/index.js';

/** One part of a composed prompt and where it came from. */
export interface PromptPart {
  readonly source: string;
  readonly text: string;
}

/** A composed system prompt: the stable, cacheable prefix of every call an agent makes. */
export interface ComposedPrompt {
  readonly agentId: string;
  readonly parts: readonly PromptPart[];
  readonly text: string;
}

const PART_SEPARATOR = '\n\n---\n\n';

/**
 * Reads one prompt file of the library (a path relative to `promptsDir`, or absolute).
 * A missing, empty or non-regular file (a FIFO, a directory) is a ConfigError naming `configFile` and `field`, the setting that points at it.
 */
export function readPromptFile(input: { promptsDir: string; path: string; configFile: string; field: string; hint?: string }): PromptPart {
  const file = isAbsolute(input.path) ? input.path : resolve(input.promptsDir, input.path);
  const outside = relative(input.promptsDir, file).startsWith('..');
  const refuse = (found: string): ConfigError =>
    new ConfigError({
      file: input.configFile,
      issues: [{ path: input.field, message: `expected a prompt file at ${file}, found ${found}` }],
      hint: input.hint ?? `Create the file, or point ${input.field} at an existing file under ${input.promptsDir}.`,
    });
  let text: string;
  try {
    const read = readRegularFileSync(file);
    if (!read.ok) throw refuse(read.found);
    text = read.text.trim();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = errorCode(error);
    throw refuse(code === 'ENOENT' ? 'no such file' : `an unreadable file (${code ?? String(error)})`);
  }
  if (text === '') throw refuse('an empty file');
  return { source: outside ? file : relative(input.promptsDir, file), text };
}

function teamContext(config: TeamConfig, agent: ResolvedAgent): string {
  const roster = config.roster
    .filter((member) => !member.isManager)
    .map((member) => `- ${member.id} (role: ${member.role})`)
    .join('\n');
  return [
    '# Your place in the team',
    `You are agent \`${agent.id}\` with role \`${agent.role}\`.`,
    `The manager is \`${config.manager.id}\` (role: ${config.manager.role}).`,
    'The role agents of this team:',
    roster,
  ].join('\n');
}

/**
 * Composes an agent's system prompt: base + platforms in order + team protocol +
 * team context. Nothing task-specific goes here, so providers can cache it.
 */
export function composeSystemPrompt(config: TeamConfig, agentId: string): ComposedPrompt {
  const agent = config.roster.find((member) => member.id === agentId);
  if (agent === undefined) {
    throw new ConfigError({
      file: config.configFile ?? 'orchestrator-config.json (built-in default)',
      issues: [{ path: 'agents', message: `no agent with id "${agentId}" (roster: ${config.roster.map((m) => m.id).join(', ')})` }],
    });
  }
  const field = `agents.${agent.role}`;
  const read = (path: string, at: string): PromptPart =>
    readPromptFile({ promptsDir: config.promptsDir, path, configFile: config.agentsFile, field: at });
  const parts: PromptPart[] = [read(agent.roleConfig.base, `${field}.base`)];
  agent.roleConfig.platforms.forEach((platform, index) => {
    parts.push(read(platform, `${field}.platforms.${index}`));
  });
  parts.push(read(agent.isManager ? 'protocol/manager.md' : 'protocol/worker.md', `${field} (team protocol)`));
  parts.push({ source: 'team context', text: teamContext(config, agent) });
  return { agentId, parts, text: parts.map((part) => part.text).join(PART_SEPARATOR) };
}
