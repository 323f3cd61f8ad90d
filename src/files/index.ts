/** The files layer: atomic writes and cross-process file locks, under every layer that touches disk. */
export { siblingTempPath, writeFileAtomic } from './atomic-write.js';
export { acquireLock, DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, MIN_LOCK_STALE_MS } from './file-lock.js';
