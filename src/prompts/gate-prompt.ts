import type { TeamConfig } from '../config/index.js';
import { readPromptFile, type ComposedPrompt } from './compose-system-prompt.js';
import type { TaskBrief } from './task-message.js';

/**
 * A gate's system prompt, `gates/<name>.md` of the prompt library, the same on every
 * call (cacheable). A missing or empty file is a config error naming the gate's entry.
 */
export function composeGatePrompt(config: TeamConfig, gate: string): ComposedPrompt {
  const index = config.orchestrator.workspace.gates.findIndex((entry) => entry.name === gate);
  const part = readPromptFile({
    promptsDir: config.promptsDir,
    path: `gates/${gate}.md`,
    configFile: config.configFile ?? 'orchestrator-config.json (built-in default)',
    field: `workspace.gates.${index === -1 ? '?' : index}.name`,
    hint: `Write the gate's prompt there (see gates/security.md for the shape), or remove "${gate}" from workspace.gates.`,
  });
  return { agentId: `gate:${gate}`, parts: [part], text: part.text };
}

/** The user message of a gate: the task, what it changed, and the diff. */
export function composeGateMessage(input: { task: TaskBrief; filesChanged: readonly string[]; diff: string; truncated: boolean }): string {
  const { task } = input;
  const cut = input.truncated ? ' (cut at the size limit: judge what you see, and say in a reason that the rest was not shown)' : '';
  return [
    `# Review task ${task.id}: ${task.title}`,
    task.description,
    `## Acceptance criteria\n${task.acceptanceCriteria.length === 0 ? '- (none given)' : task.acceptanceCriteria.map((item) => `- ${item}`).join('\n')}`,
    `## Files changed\n${input.filesChanged.length === 0 ? '- (none)' : input.filesChanged.map((file) => `- ${file}`).join('\n')}`,
    `## Diff${cut}\n\n\`\`\`diff\n${input.diff}\n\`\`\``,
    'Answer with one JSON object: {"passed": true|false, "reasons": [...]}.',
  ].join('\n\n');
}
