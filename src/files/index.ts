/** The files layer: atomic writes, file locks, validated JSON/YAML reads and the process runner, under every layer that touches disk. */
export { removeStaleTemps, siblingTempPath, writeFileAtomic, writeJsonFileAtomic } from './atomic-write.js';
export { errorCode, isSystemError } from './error-code.js';
export { acquireLock, DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, MIN_LOCK_STALE_MS } from './file-lock.js';
export { HOST_ENV, hostId } from './host-id.js';
export { isProcessAlive, isProcessRunning, processStartToken } from './process-alive.js';
export { parseDataText, readDataFile, safeParseDataText, safeParseJsonLine, validateData } from './read-data-file.js';
export { readInputFile, readInputFileSync, readRegularFileSync, type RegularFileText } from './read-input-file.js';
export { type ProcessResult, runProcess } from './run-process.js';
