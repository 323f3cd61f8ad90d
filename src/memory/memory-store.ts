import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { UsageError } from '../errors/index.js';
import { MemoryFile } from './memory-file.js';
import { memoryRecordSchema, normalizeTags, type MemoryRecord, type NewMemory } from './memory-record.js';
import { rankMemories, type MemoryMatch, type MemoryQuery } from './memory-search.js';

/** Where a project keeps its shared memory, relative to the project directory. */
export const MEMORY_FILE = join('.ai-agents', 'memory', 'memories.jsonl');

/** How many memories an agent reads before working, by default. */
export const DEFAULT_RELEVANT_LIMIT = 8;

/** Options of a MemoryStore. */
export interface MemoryStoreOptions {
  /** The JSONL file, e.g. `<project>/.ai-agents/memory/memories.jsonl`. */
  file: string;
  /** The clock for `createdAt`. */
  now?: () => Date;
  /** How long an append waits for the file lock (default 30000 ms). */
  lockTimeoutMs?: number;
  /** A lock holder silent this long is presumed dead (default 10000, min 2000). */
  lockStaleMs?: number;
}

/** Ids sort by creation time and stay unique across processes. */
function newMemoryId(at: Date): string {
  return `m-${at.getTime().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** The shared memory of the agents of a project directory: append, list, search. */
export class MemoryStore {
  readonly #file: MemoryFile;
  readonly #now: () => Date;

  constructor(options: MemoryStoreOptions) {
    this.#file = new MemoryFile({
      file: options.file,
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.lockStaleMs === undefined ? {} : { lockStaleMs: options.lockStaleMs }),
    });
    this.#now = options.now ?? (() => new Date());
  }

  /** The store of a project directory (`<projectDir>/.ai-agents/memory/memories.jsonl`). */
  static forProject(projectDir: string, options: Omit<MemoryStoreOptions, 'file'> = {}): MemoryStore {
    return new MemoryStore({ ...options, file: join(projectDir, MEMORY_FILE) });
  }

  /** The JSONL file behind the store. */
  get file(): string {
    return this.#file.path;
  }

  /** Saves memories in one locked append and returns them as stored (with id and time). */
  async append(memories: readonly NewMemory[]): Promise<MemoryRecord[]> {
    const at = this.#now();
    const records = memories.map((memory, index) => {
      const candidate = {
        id: newMemoryId(at),
        type: memory.type,
        content: memory.content.trim(),
        tags: normalizeTags(memory.tags ?? []),
        agent: memory.agent,
        role: memory.role,
        project: memory.project,
        createdAt: at.toISOString(),
      };
      const parsed = memoryRecordSchema.safeParse(candidate);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
        throw new UsageError(`Memory ${index + 1} cannot be saved: ${problems}.`);
      }
      return parsed.data;
    });
    await this.#file.append(records);
    return records;
  }

  /** Every memory, oldest first, as stored. */
  all(): Promise<MemoryRecord[]> {
    return this.#file.readAll();
  }

  /** Memories matching `query`, most relevant first (newest first when there is no text). */
  async search(query: MemoryQuery = {}): Promise<MemoryRecord[]> {
    return (await this.searchScored(query)).map((match) => match.memory);
  }

  /** Like `search`, with each memory's score. */
  async searchScored(query: MemoryQuery = {}): Promise<MemoryMatch[]> {
    return rankMemories(await this.#file.readAll(), query);
  }

  /**
   * What an agent should read before working on `task`: the project's memories
   * that share its words, most relevant first, then its newest ones up to `limit`.
   * Agents of one project work on one thing, so a recent decision matters even
   * when the task does not repeat its words.
   */
  async relevantTo(task: string, options: { project: string; limit?: number | undefined }): Promise<MemoryRecord[]> {
    const limit = options.limit ?? DEFAULT_RELEVANT_LIMIT;
    if (limit <= 0) return [];
    const all = await this.#file.readAll();
    const matched = rankMemories(all, { text: task, project: options.project, limit }).map((match) => match.memory);
    if (matched.length >= limit) return matched;
    const chosen = new Set(matched.map((memory) => memory.id));
    const recent = rankMemories(all, { project: options.project })
      .map((match) => match.memory)
      .filter((memory) => !chosen.has(memory.id));
    return [...matched, ...recent.slice(0, limit - matched.length)];
  }
}
