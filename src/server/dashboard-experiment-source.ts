/**
 * The experiments a dashboard shows: the experiment directories found in its experiments folders (the
 * project's `experiments/` and each `--experiments DIR`). A page names one by an id from this listing; the
 * id is only ever compared with the listing, never joined to a path, so no address reaches a directory
 * the listing did not find inside those folders.
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { findExperimentDirectories } from '../experiment/index.js';

/** One experiment directory and the id its page is addressed by. */
export interface ListedExperiment {
  /** The directory's name; `name~2`, `name~3`… for later folders' directories of the same name. */
  readonly id: string;
  readonly dir: string;
}

/** Where the dashboard finds experiments. */
export interface ExperimentSource {
  /** The folders looked in, as given. */
  readonly roots: readonly string[];
  /** Every experiment directory, folder by folder, by name within a folder. */
  list(): Promise<ListedExperiment[]>;
  /** The experiment of that id, or null. */
  find(id: string): Promise<ListedExperiment | null>;
  /** A short text that changes whenever any experiment is written. */
  fingerprint(): Promise<string>;
  /** A short text that changes whenever the experiment is written: its files' sizes and times. */
  stampOf(experiment: ListedExperiment): Promise<string>;
}

/** The files whose writes change what an experiment's pages show. */
const WATCHED = ['results.jsonl', 'results.csv', 'experiment.json', 'experiment-summary.json'];

async function stamp(dir: string): Promise<string> {
  const parts = await Promise.all(
    WATCHED.map((name) =>
      lstat(join(dir, name)).then(
        (stats) => `${stats.size}:${stats.mtimeMs}`,
        () => '-',
      ),
    ),
  );
  return parts.join(',');
}

/** The project's experiments folder: where `agent-team experiment run FILE` writes when the file is in the project. */
export function projectExperimentsDir(projectDir: string): string {
  return join(projectDir, 'experiments');
}

/** Experiments found in `roots` (absolute folders; a missing one holds none). */
export function experimentSource(roots: readonly string[]): ExperimentSource {
  const list = async (): Promise<ListedExperiment[]> => {
    const used = new Set<string>();
    const listed: ListedExperiment[] = [];
    for (const root of roots) {
      for (const dir of await findExperimentDirectories(root)) {
        // A folder given twice, or an experiment given both as itself and inside its folder: listed once.
        if (listed.some((experiment) => experiment.dir === dir)) continue;
        const name = basename(dir);
        let id = name;
        for (let count = 2; used.has(id); count += 1) id = `${name}~${count}`;
        used.add(id);
        listed.push({ id, dir });
      }
    }
    return listed;
  };
  const find = async (id: string): Promise<ListedExperiment | null> => (await list()).find((experiment) => experiment.id === id) ?? null;
  return {
    roots,
    list,
    find,
    stampOf: (experiment) => stamp(experiment.dir),
    async fingerprint() {
      const stamps = await Promise.all((await list()).map(async (experiment) => `${experiment.id}=${await stamp(experiment.dir)}`));
      return createHash('sha256').update(stamps.join('\n')).digest('hex').slice(0, 16);
    },
  };
}
