/** `<file>.bak`: the version of the state a commit replaced, kept cheaply. */
import { link, rename, unlink } from 'node:fs/promises';
import { errorCode, siblingTempPath, writeFileAtomic } from '../files/index.js';

// Where hard links are unavailable the backup is a full copy; bounding it to
// one in 50 updates keeps its cost around 2% of the writes.
const COPY_BACKUP_EVERY = 50;
const HARD_LINK_UNSUPPORTED = new Set(['EPERM', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/** Keeps the backup of one state file. */
export class StateBackup {
  readonly #file: string;
  #hardLinkBackups = true;
  #copiedBackup = false;

  constructor(file: string) {
    this.#file = file;
  }

  /**
   * Keeps the version about to be replaced as `<file>.bak`. A hard link costs
   * two metadata calls and no data: the writer never modifies the file in
   * place, so the linked inode keeps the old bytes once the new file is
   * renamed over the name. Readers always find the main file.
   */
  async keep(input: { previous: string | Uint8Array; seq: number }): Promise<void> {
    const backup = `${this.#file}.bak`;
    if (this.#hardLinkBackups) {
      const temp = siblingTempPath(backup);
      try {
        await link(this.#file, temp);
        await rename(temp, backup);
        // When the backup already is this version (its write failed after it was kept), rename does
        // nothing and leaves the temp name behind, holding the version's space after both move on.
        await unlink(temp).catch(() => undefined);
        return;
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        if (!HARD_LINK_UNSUPPORTED.has(errorCode(error) ?? '')) throw error;
        this.#hardLinkBackups = false;
      }
    }
    if (this.#copiedBackup && input.seq % COPY_BACKUP_EVERY !== 0) return;
    await writeFileAtomic(backup, input.previous);
    this.#copiedBackup = true;
  }
}
