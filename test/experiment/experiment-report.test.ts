/** `experiment report`: valid SVG charts that show every design, report.md, the HTML page, and the CLI around them. */
import { readFile } from 'node:fs/promises';
import { XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { paretoFront, type ResultRecord, writeExperimentReport } from '../../src/experiment/index.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject('agent-team-experiment-report-');
});
afterEach(async () => {
  await project.cleanup();
});

const DESIGNS = ['with-reviewer', 'without-reviewer', 'cheap-tiers', 'a<b&"c"'];

function rows(): ResultRecord[] {
  return DESIGNS.flatMap((design, index) =>
    [1, 2, 3, 4, 5].map(
      (seed) =>
        ({
          design,
          designHash: `h${index}`,
          seed,
          repetition: 1,
          status: seed === 5 && index === 1 ? 'failed' : 'done',
          costUsd: 0.1 + index * 0.05 + seed * 0.003,
          totalTokens: 50_000 + seed * 100,
          calls: 14 - index,
          parallelMs: 150_000 + seed * 1000,
          tasksDone: 8,
          tasksFailed: 0,
          blockers: 2,
          defectsIntroduced: 3,
          defectsCaught: index,
          defectsEscaped: 3 - Math.min(3, index) + (seed % 2),
          escapeRate: 0.5,
          wallMs: 100,
          runId: `r${index}${seed}`,
          runDir: 'x',
        }) as unknown as ResultRecord,
    ),
  );
}

describe('experiment report', () => {
  it('writes valid SVGs that show every design, report.md and report.html', async () => {
    await project.write(
      'results.jsonl',
      rows()
        .map((row) => `${JSON.stringify(row)}\n`)
        .join(''),
    );
    const { files, stats } = await writeExperimentReport({ dir: project.dir });
    expect(files.charts.length).toBeGreaterThanOrEqual(3);
    for (const chart of files.charts) {
      const svg = await readFile(chart, 'utf8');
      expect(XMLValidator.validate(svg), chart).toBe(true);
      for (const design of DESIGNS) {
        expect(svg, `${chart} shows ${design}`).toContain(
          `data-design="${design.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('"', '&quot;')}"`,
        );
      }
    }
    const markdown = await readFile(files.markdown, 'utf8');
    for (const design of DESIGNS) expect(markdown).toContain(design);
    expect(markdown).toContain('![Cost against quality by design, with the Pareto front](pareto.svg)');
    const html = await readFile(files.html, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(files.charts.length);
    expect(stats.designs.find((design) => design.design === 'without-reviewer')?.statuses).toEqual({ done: 4, failed: 1 });
    expect(stats.paired.map((paired) => paired.pairs)).toEqual([5, 5, 5]);
  });

  it('finds the Pareto front: no design on it is beaten on both axes', () => {
    expect(
      paretoFront([
        { design: 'a', x: 1, y: 5 },
        { design: 'b', x: 2, y: 2 },
        { design: 'c', x: 3, y: 3 },
        { design: 'd', x: 4, y: 1 },
      ]),
    ).toEqual(['a', 'b', 'd']);
  });

  it('from the CLI: --json statistics; an unknown baseline or a directory without results exits 2', async () => {
    await project.write(
      'results.jsonl',
      rows()
        .map((row) => `${JSON.stringify(row)}\n`)
        .join(''),
    );
    const terminal = bufferTerminal();
    expect(
      await main(['node', 'agent-team', 'experiment', 'report', '.', '--json', '--resamples', '500'], { terminal, cwd: project.dir }),
    ).toBe(0);
    const printed = JSON.parse(terminal.stdout()) as { stats: { designs: { design: string }[]; resamples: number } };
    expect(printed.stats.designs.map((design) => design.design)).toEqual(DESIGNS);
    expect(printed.stats.resamples).toBe(500);
    const bad = bufferTerminal();
    expect(await main(['node', 'agent-team', 'experiment', 'report', '.', '--baseline', 'nope'], { terminal: bad, cwd: project.dir })).toBe(
      2,
    );
    expect(bad.stderr()).toContain('--baseline "nope" is not a design');
    const empty = bufferTerminal();
    expect(await main(['node', 'agent-team', 'experiment', 'report', 'elsewhere'], { terminal: empty, cwd: project.dir })).toBe(2);
    expect(empty.stderr()).toContain('Run the experiment first');
  });
});
