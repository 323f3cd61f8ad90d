import { readFile } from 'node:fs/promises';

/** A ledger line as tests read it. */
export type Entry = Record<string, unknown> & { type: string; seq: number; at: string };

/** Reads a JSONL ledger. */
export async function readEntries(file: string): Promise<Entry[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Entry);
}

/**
 * The ledger without what legitimately differs between two runs of the same seed
 * (times, seq numbers, run ids, process ids), as a sorted list: agents work
 * concurrently, so the interleaving of independent events is not fixed.
 */
export function canonicalEvents(entries: readonly Entry[]): string[] {
  return entries.map(({ at: _at, seq: _seq, runId: _runId, pid: _pid, ...rest }) => JSON.stringify(sortKeys(rest))).sort();
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
