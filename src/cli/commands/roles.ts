import { listRoles } from '../../solo/index.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';

/** `agent-team roles`: the roles a spawned or queued agent can take, and what each saves to memory. */
export function roles(options: { json?: boolean | undefined; terminal: Terminal }): number {
  const all = listRoles();
  if (options.json === true) {
    printJson(
      options.terminal,
      all.map((role) => ({ role: role.name, description: role.description, prompt: role.promptFile, saves: role.saves })),
    );
    return 0;
  }
  const width = Math.max(...all.map((role) => role.name.length));
  for (const role of all) {
    println(
      options.terminal,
      `${paint(options.terminal, 'bold', role.name.padEnd(width))}  ${role.description} ${paint(options.terminal, 'dim', `(saves: ${role.saves.join(', ')})`)}`,
    );
  }
  return 0;
}
