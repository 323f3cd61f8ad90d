/** The two texts of a role task: the role's system prompt (a file) and the user message (task, directory, memories). */
import { join } from 'node:path';
import type { MemoryRecord } from '../memory/index.js';
import { readPromptFile } from '../prompts/index.js';
import { roleOf } from './roles.js';

/**
 * Reads `<promptsDir>/roles/<role>.md` through the prompt library, so a missing or
 * empty file is the same ConfigError, naming the file, as for a team role's prompt.
 */
export async function loadRolePrompt(input: { promptsDir: string; role: string }): Promise<string> {
  const path = roleOf(input.role).promptFile;
  const file = join(input.promptsDir, path);
  return readPromptFile({
    promptsDir: input.promptsDir,
    path,
    configFile: file,
    field: `the prompt of role "${input.role}"`,
    hint: 'Role prompts live in prompts/roles/ of the agent-team package, or in the prompts_dir of your orchestrator-config.json.',
  }).text;
}

/** One memory as the agent reads it: type, who saved it, when, the text and its tags. */
function describeMemory(memory: MemoryRecord, index: number): string {
  const tags = memory.tags.length === 0 ? '' : ` (tags: ${memory.tags.join(', ')})`;
  return `${index + 1}. [${memory.type}] ${memory.content}${tags} — ${memory.agent}, ${memory.createdAt}`;
}

/** The user message of a role task; the system prompt stays the same for every task, so it can be cached. */
export function roleTaskMessage(input: { task: string; directory: string; project: string; memories: readonly MemoryRecord[] }): string {
  const memories =
    input.memories.length === 0
      ? 'No memories yet for this project: you are the first agent on it.'
      : `Memories saved by earlier agents on this project, most relevant first:\n${input.memories.map(describeMemory).join('\n')}`;
  return [
    `Task: ${input.task}`,
    `Directory: ${input.directory}`,
    `Project: ${input.project}`,
    '',
    memories,
    '',
    'Answer with only the JSON object described in your instructions: {"summary": "...", "memories": [...]}.',
  ].join('\n');
}
