import { UsageError } from '../../errors/index.js';
import { MEMORY_TYPES, memoryTypeSchema, type MemoryType } from '../../memory/index.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { count, DEFAULT_PROJECT, formatMemory, openMemoryContext } from './role-agent-setup.js';

/** Options of `agent-team findings`. */
export interface FindingsOptions {
  project?: string | undefined;
  limit?: number | undefined;
  type?: string | undefined;
  search?: string | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** Validates `--type`, naming the valid types when it is wrong. */
export function memoryTypeOption(value: string | undefined): MemoryType | undefined {
  if (value === undefined) return undefined;
  const parsed = memoryTypeSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`Unknown memory type "${value}". Expected one of: ${MEMORY_TYPES.join(', ')}.`);
  return parsed.data;
}

/** `agent-team findings`: what agents saved to a project's memory, newest first (or most relevant first with --search). */
export async function findings(options: FindingsOptions): Promise<number> {
  const { store } = openMemoryContext({ cwd: options.cwd, config: options.config });
  const project = options.project ?? DEFAULT_PROJECT;
  const limit = options.limit ?? 10;
  const type = memoryTypeOption(options.type);
  const memories = await store.search({ project, type, text: options.search, limit });
  if (options.json === true) {
    printJson(options.terminal, memories);
    return 0;
  }
  const { terminal } = options;
  const singular = type === undefined ? 'memory' : `${type} memory`;
  const plural = type === undefined ? 'memories' : `${type} memories`;
  if (memories.length === 0) {
    const matching = options.search === undefined ? '' : ` matching "${options.search}"`;
    println(
      terminal,
      `No ${plural} in project "${project}" yet${matching}. ` +
        `Agents save them as they work: agent-team spawn code ./src "…" --project ${project}`,
    );
    return 0;
  }
  const order = options.search === undefined ? 'newest first' : 'most relevant first';
  println(terminal, paint(terminal, 'bold', `${count(memories.length, singular, plural)} in project "${project}" (${order}):`));
  for (const memory of memories) println(terminal, formatMemory(terminal, memory));
  return 0;
}
