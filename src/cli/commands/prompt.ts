import { loadTeamConfig } from '../../config/index.js';
import { composeSystemPrompt } from '../../prompts/index.js';
import { countTokens } from '../../providers/index.js';
import { printJson, type Terminal } from '../terminal.js';

/** `agent-team prompt <agent-id>`: prints an agent's composed system prompt. */
export function prompt(options: {
  agentId: string;
  config?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}): number {
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd });
  const composed = composeSystemPrompt(config, options.agentId);
  if (options.json === true) {
    printJson(options.terminal, {
      agentId: composed.agentId,
      parts: composed.parts.map((part) => part.source),
      tokens: countTokens(composed.text),
      text: composed.text,
    });
    return 0;
  }
  options.terminal.out.write(`${composed.text}\n`);
  options.terminal.err.write(`(${composed.parts.map((part) => part.source).join(' + ')}; ${countTokens(composed.text)} tokens)\n`);
  return 0;
}
