/** results.csv read back: the statistics of a directory that kept only the table, and errors that name line and column. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/index.js';
import { experimentStats, readResults } from '../../src/experiment/index.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject('agent-team-results-csv-');
});
afterEach(async () => {
  await project.cleanup();
});

describe('results.csv', () => {
  it('reads quoted names, numbers and empty quality columns when results.jsonl is missing', async () => {
    await project.write(
      'results.csv',
      [
        'design,seed,repetition,status,costUsd,calls,defectsEscaped',
        'base,1,1,done,0.25,10,',
        '"a, ""b""",1,1,failed,0.5,12,2',
        'base,2,1,done,0.75,14,',
        '',
      ].join('\n'),
    );
    const rows = await readResults(project.dir);
    expect(rows).toEqual([
      { design: 'base', seed: 1, repetition: 1, status: 'done', costUsd: 0.25, calls: 10, defectsEscaped: null },
      { design: 'a, "b"', seed: 1, repetition: 1, status: 'failed', costUsd: 0.5, calls: 12, defectsEscaped: 2 },
      { design: 'base', seed: 2, repetition: 1, status: 'done', costUsd: 0.75, calls: 14, defectsEscaped: null },
    ]);
    const stats = experimentStats(rows);
    // By hand: base costs (0.25 + 0.75) / 2 = 0.5; the pair on seed 1 differs by 0.5 - 0.25 = 0.25.
    expect(stats.designs[0]?.metrics.costUsd?.mean).toBeCloseTo(0.5, 12);
    expect(stats.paired[0]).toMatchObject({ design: 'a, "b"', pairs: 1 });
    expect(stats.paired[0]?.metrics.costUsd?.mean).toBeCloseTo(0.25, 12);
  });

  it('says which line and column is not a number, and which columns are missing', async () => {
    await project.write('results.csv', 'design,seed,repetition,status,costUsd\nbase,1,1,done,cheap\n');
    await expect(readResults(project.dir)).rejects.toThrow(/results\.csv line 2, column costUsd: expected a number, found "cheap"/);
    await project.write('results.csv', 'design,seed,status\nbase,1,done\n');
    await expect(readResults(project.dir)).rejects.toThrow(/lacks the column\(s\) repetition, costUsd/);
    await project.write('results.csv', 'design,seed,repetition,status,costUsd\n');
    await expect(readResults(project.dir)).rejects.toThrow(UsageError);
  });

  it('prefers results.jsonl, and names both files when neither is there', async () => {
    await expect(readResults(project.dir)).rejects.toThrow(/expected results\.jsonl or results\.csv/);
    await project.write('results.csv', 'design,seed,repetition,status,costUsd\nfrom-csv,1,1,done,1\n');
    await project.write(
      'results.jsonl',
      `${JSON.stringify({ design: 'from-jsonl', seed: 1, repetition: 1, status: 'done', costUsd: 2 })}\n`,
    );
    expect((await readResults(project.dir)).map((row) => row.design)).toEqual(['from-jsonl']);
  });
});
