import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TeamConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { ComposedPrompt } from './compose-system-prompt.js';
import type { TaskBrief } from './task-message.js';

/** The prompt file of a gate: `gates/<name>.md` in the prompt library. */
export function gatePromptPath(config: TeamConfig, gate: string): string {
  return resolve(config.promptsDir, 'gates', `${gate}.md`);
}

/**
 * A gate's system prompt, the same on every call (cacheable). A missing or empty
 * file is a config error naming the gate's entry in orchestrator-config.json.
 */
export function composeGatePrompt(config: TeamConfig, gate: string): ComposedPrompt {
  const file = gatePromptPath(config, gate);
  const index = config.orchestrator.workspace.gates.findIndex((entry) => entry.name === gate);
  let text = '';
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw error;
  }
  if (text === '') {
    throw new ConfigError({
      file: config.configFile ?? 'orchestrator-config.json (built-in default)',
      issues: [{ path: `workspace.gates.${index === -1 ? '?' : index}.name`, message: `expected the gate's prompt at ${file}, found no file or an empty one` }],
      hint: `Write the gate's prompt there (see gates/security.md for the shape), or remove "${gate}" from workspace.gates.`,
    });
  }
  return { agentId: `gate:${gate}`, parts: [{ source: `gates/${gate}.md`, text }], text };
}

/** The user message of a gate: the task, what it changed, and the diff. */
export function composeGateMessage(input: { task: TaskBrief; filesChanged: readonly string[]; diff: string; truncated: boolean }): string {
  const { task } = input;
  return [
    `# Review task ${task.id}: ${task.title}`,
    task.description,
    `## Acceptance criteria\n${task.acceptanceCriteria.length === 0 ? '- (none given)' : task.acceptanceCriteria.map((item) => `- ${item}`).join('\n')}`,
    `## Files changed\n${input.filesChanged.length === 0 ? '- (none)' : input.filesChanged.map((file) => `- ${file}`).join('\n')}`,
    `## Diff${input.truncated ? ' (cut at the size limit: judge what you see, and say in a reason that the rest was not shown)' : ''}\n\n\`\`\`diff\n${input.diff}\n\`\`\``,
    'Answer with one JSON object: {"passed": true|false, "reasons": [...]}.',
  ].join('\n\n');
}
