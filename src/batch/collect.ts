/**
 * `collect`: gathers every job's output into `combined.json`, in task order,
 * so a caller reads one file instead of one per job.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorCode, writeJsonFileAtomic } from '../files/index.js';
import { readJobRecords, type BatchJobStatus } from './job-files.js';
import { batchRunPaths, readRunTasks } from './run-directory.js';

/** One entry of `combined.json`. */
export interface CombinedEntry {
  tag: string;
  output_path: string;
  output: string;
  /** The job's status, so a reader can skip failures without opening their records. */
  status: BatchJobStatus;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `<runDir>/combined.json` (jobs with an .out, in task order) and returns its path. */
export async function collectBatch(runDir: string): Promise<string> {
  const paths = batchRunPaths(resolve(runDir));
  const tasks = await readRunTasks(paths.dir);
  const records = await readJobRecords(
    paths,
    tasks.map((task) => task.tag),
  );
  const entries: CombinedEntry[] = [];
  for (const [index, task] of tasks.entries()) {
    const outputPath = paths.jobOutput(task.tag);
    const output = await readIfExists(outputPath);
    if (output === undefined) continue;
    entries.push({ tag: task.tag, output_path: outputPath, output, status: records[index]?.status ?? 'pending' });
  }
  await writeJsonFileAtomic(paths.combined, entries);
  return paths.combined;
}
