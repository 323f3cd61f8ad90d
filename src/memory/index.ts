/** The memory layer's public face: shared memory of findings, errors and decisions. */
export { isResolved, MEMORY_TYPES, type MemoryRecord, type MemoryType, memoryTypeSchema } from './memory-record.js';
export { DEFAULT_RELEVANT_LIMIT, MemoryStore } from './memory-store.js';
