import { UsageError } from '../errors/index.js';
import type { MemoryType } from '../memory/index.js';

/** The roles a single agent can take in `spawn` and `queue run`. */
export const ROLE_NAMES = ['orchestrator', 'test', 'code', 'review', 'docs', 'debug', 'custom'] as const;

/** One role name. */
export type RoleName = (typeof ROLE_NAMES)[number];

/** What a role does, where its prompt is and what it saves to shared memory. */
export interface RoleDefinition {
  readonly name: RoleName;
  /** One line for `agent-team roles`. */
  readonly description: string;
  /** Its system prompt, relative to the prompts directory. */
  readonly promptFile: string;
  /** The memory types its protocol saves, most typical first. */
  readonly saves: readonly MemoryType[];
}

const CATALOGUE: Readonly<Record<RoleName, Omit<RoleDefinition, 'name' | 'promptFile'>>> = {
  orchestrator: { description: 'Plans the work, assigns it to roles and coordinates other agents', saves: ['fact'] },
  test: { description: 'Writes and runs tests; saves failures as errors', saves: ['error', 'pattern'] },
  code: { description: 'Implements features; saves decisions and patterns', saves: ['decision', 'pattern'] },
  review: { description: 'Reviews code quality and security; saves findings as facts', saves: ['fact'] },
  docs: { description: 'Writes documentation; saves what it documented as docs', saves: ['doc'] },
  debug: { description: 'Investigates and fixes bugs; saves error resolutions', saves: ['error'] },
  custom: { description: 'A generic agent for any other task; saves findings as facts', saves: ['fact'] },
};

/** Every role, in the order `agent-team roles` lists them. */
export function listRoles(): RoleDefinition[] {
  return ROLE_NAMES.map((name) => ({ name, promptFile: `roles/${name}.md`, ...CATALOGUE[name] }));
}

/** True when `name` is a known role. */
export function isRoleName(name: string): name is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(name);
}

/** The definition of a role; an unknown name is a UsageError listing the roles. */
export function roleOf(name: string): RoleDefinition {
  if (!isRoleName(name)) {
    throw new UsageError(`Unknown role "${name}". Expected one of: ${ROLE_NAMES.join(', ')} (see \`agent-team roles\`).`);
  }
  return { name, promptFile: `roles/${name}.md`, ...CATALOGUE[name] };
}
