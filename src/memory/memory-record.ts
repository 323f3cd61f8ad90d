import { z } from 'zod';

/** The kinds of memory agents save: findings, choices, failures, documentation and reusable patterns. */
export const MEMORY_TYPES = ['fact', 'decision', 'error', 'doc', 'pattern'] as const;

/** One kind of memory. */
export type MemoryType = (typeof MEMORY_TYPES)[number];

/** Schema of a memory type, with an error that lists the valid ones. */
export const memoryTypeSchema = z.enum(MEMORY_TYPES, { error: () => `expected one of ${MEMORY_TYPES.join(', ')}` });

/** One line of `memories.jsonl`: what an agent learned, who learned it, for which project. */
export const memoryRecordSchema = z
  .object({
    id: z.string().min(1).describe('Unique id of the memory.'),
    type: memoryTypeSchema.describe('What kind of memory this is.'),
    content: z.string().min(1).describe('The memory itself, in one or a few sentences.'),
    tags: z.array(z.string()).describe('Lowercase tags, including `<role>-agent` for cross-agent visibility.'),
    agent: z.string().min(1).describe('Id of the agent that saved it.'),
    role: z.string().min(1).describe('Role of the agent that saved it.'),
    project: z.string().min(1).describe('Project the memory belongs to; agents of one project share memory.'),
    createdAt: z.iso.datetime().describe('When it was saved (ISO 8601, UTC).'),
  })
  .strict();

/** A stored memory. */
export type MemoryRecord = z.infer<typeof memoryRecordSchema>;

/** What a caller gives to save a memory; the store adds the id and the time. */
export interface NewMemory {
  type: MemoryType;
  content: string;
  tags?: readonly string[] | undefined;
  agent: string;
  role: string;
  project: string;
}

/** Tags are compared case-insensitively; stored once each, lowercase and trimmed. */
export function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const tag of tags) {
    const normalized = tag.trim().toLowerCase();
    if (normalized !== '') seen.add(normalized);
  }
  return [...seen];
}

/** True for an error memory that records a resolution (tagged `resolved`) rather than an open failure. */
export function isResolved(record: MemoryRecord): boolean {
  return record.tags.includes('resolved');
}
