/** The two texts of a role task: the role's system prompt (a file) and the user message (task, directory, memories). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors/index.js';
import type { MemoryRecord } from '../memory/index.js';
import { roleOf } from './roles.js';

/** Reads `<promptsDir>/roles/<role>.md`; a missing file is a ConfigError naming it. */
export async function loadRolePrompt(input: { promptsDir: string; role: string }): Promise<string> {
  const file = join(input.promptsDir, roleOf(input.role).promptFile);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError({
      file,
      issues: [
        {
          path: '',
          message:
            code === 'ENOENT'
              ? `the prompt of role "${input.role}" was not found`
              : `cannot read the role prompt (${code ?? String(error)})`,
        },
      ],
      hint: 'Role prompts live in prompts/roles/ of the agent-team package, or in the prompts_dir of your orchestrator-config.json.',
    });
  }
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
