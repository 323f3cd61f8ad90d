/**
 * The dashboard's experiment pages in a real headless Chromium, over `agent-team serve` with an extra
 * `--experiments` folder: a real sim experiment run by `agent-team experiment run` into the project's
 * experiments/ folder, and a hand-written results.csv elsewhere. Every design with the intervals
 * `experiment report` writes, the paired differences, the charts, cells and spend; a page that follows new
 * rows; no path that leaves the experiments folders; both screen sizes; the keyboard.
 */
import { request } from 'node:http';
import { appendFile, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { CSV_COLUMNS, experimentStats, formatInterval, readResults } from '../../src/experiment/index.js';
import { launchChromium, type PageWatch, VIEWPORTS, viewProblems, watchPage } from '../support/chromium.js';
import { REVIEWER_DESIGNS, writeExperiment } from '../support/experiment-fixture.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { type ServiceFixture, startService, TEST_TOKEN } from './service-fixture.js';

/** A table row as the page sees it. */
interface CellsOf {
  querySelectorAll(selector: string): ArrayLike<{ readonly textContent: string | null }>;
}

const EXPERIMENT = 'reviewer-question';
const XSS_DESIGN = '<img src=x onerror=window.__xss=1>, "quoted"';

let browser: Browser;
let service: ServiceFixture;
let outside: TempProject;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;

const url = (path: string): string => `${service.server.url}${path}`;

async function cli(args: string[]): Promise<void> {
  const terminal = bufferTerminal();
  const code = await main(['node', 'agent-team', ...args], { terminal, cwd: service.project.dir });
  expect(code, `${args.join(' ')}: ${terminal.stderr()}`).toBe(0);
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A results.csv row of `design` on `seed`: every column, the sim's quality columns empty as for a real run. */
function csvRow(design: string, seed: number, status: string, costUsd: number): string {
  const values: Record<string, string | number | null> = { design, designHash: `h-${seed}`, seed, repetition: 1, status, costUsd };
  for (const column of ['defectsIntroduced', 'defectsCaught', 'defectsEscaped', 'escapeRate']) values[column] = null;
  return CSV_COLUMNS.map((column) => csvField(column in values ? (values[column] as string | number | null) : seed * 10)).join(',');
}

/** True when the page is no wider than its window. */
/** GET `path` exactly as written (no URL normalization of `..`), with the token: status and body. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { port } = service.server;
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${TEST_TOKEN}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on('error', reject);
    call.end();
  });
}

/** A page's table rows as the text of their cells. */
function tableRows(target: Page, selector: string): Promise<string[][]> {
  return target.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((row) => Array.from((row as unknown as CellsOf).querySelectorAll('th, td'), (cell) => (cell.textContent ?? '').trim())),
  );
}

/** The body rows of the first Markdown table after `heading` in report.md. */
function markdownRows(markdown: string, heading: string): string[][] {
  const lines = markdown.slice(markdown.indexOf(heading)).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  return lines.slice(start + 2, end).map((line) => line.replace(/^\| | \|$/g, '').split(' | '));
}

beforeAll(async () => {
  browser = await launchChromium();
  outside = await tempProject('agent-team-dashboard-experiments-extra-');
  service = await startService({ token: TEST_TOKEN, experimentDirs: [outside.path('extra')] });
  // A real experiment, where `experiment run` puts it (experiments/<name>/ beside the file), and its report.
  await writeExperiment(service.project, { seeds: 4, designs: REVIEWER_DESIGNS, concurrency: 3 });
  await cli(['experiment', 'run', 'experiment.json']);
  await cli(['experiment', 'report', join('experiments', EXPERIMENT)]);
  // A folder given with --experiments: a table kept as results.csv only, and one by the same name as the first.
  const csv = [
    CSV_COLUMNS.join(','),
    ...[1, 2, 3].flatMap((seed) => [
      csvRow('baseline', seed, 'done', 0.1 + seed / 100),
      csvRow(XSS_DESIGN, seed, seed === 3 ? 'failed' : 'done', 0.05 + seed / 100),
    ]),
  ].join('\n');
  await outside.write('extra/csv-only/results.csv', `${csv}\n`);
  await outside.write(`extra/${EXPERIMENT}/results.csv`, `${csv}\n`);
  // What no address may reach: a hidden directory, and a link out of the folders to an experiment elsewhere.
  await outside.write('extra/.hidden/results.csv', `${csv}\n`);
  await outside.write('elsewhere/secret-experiment/results.csv', `${csv}\n`);
  await symlink(outside.path('elsewhere', 'secret-experiment'), service.project.path('experiments', 'linked'));
  context = await browser.newContext({ viewport: VIEWPORTS[0] });
  page = await context.newPage();
  watch = watchPage(page);
  expect((await page.goto(url(`/ui/experiments?token=${TEST_TOKEN}`)))?.status()).toBe(200);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.cleanup();
  await outside?.cleanup();
});

describe('dashboard experiments', () => {
  it("lists the experiments of the project's experiments/ and of --experiments, each once, nothing hidden or linked", async () => {
    await page.goto(url('/ui/experiments'));
    const ids = await page.$$eval('tr[data-experiment-id]', (rows) => rows.map((row) => row.getAttribute('data-experiment-id')));
    expect([...ids].sort()).toEqual(['csv-only', EXPERIMENT, `${EXPERIMENT}~2`]);
    const rows = (await readResults(service.project.path('experiments', EXPERIMENT))).length;
    const line = (await page.textContent(`tr[data-experiment-id="${EXPERIMENT}"]`)) ?? '';
    expect(line).toContain('finished');
    expect(line).toContain(`${rows} of 12`);
    expect(await page.locator('nav a', { hasText: 'Experiments' }).count()).toBe(1);
  });

  it('shows every design with the intervals and paired differences `experiment report` wrote, the charts, cells and spend', async () => {
    const dir = service.project.path('experiments', EXPERIMENT);
    const results = await readResults(dir);
    const stats = experimentStats(results);
    const markdown = await readFile(join(dir, 'report.md'), 'utf8');
    await page.goto(url(`/ui/experiments/${EXPERIMENT}`));
    const designs = await tableRows(page, 'table.designs');
    expect(designs.map((cells) => cells[0])).toEqual(REVIEWER_DESIGNS.map((design) => design.name));
    expect(designs).toEqual(markdownRows(markdown, '## Designs'));
    // Each interval shown is the mean with its 95% bootstrap interval of that design's runs.
    for (const design of stats.designs) {
      const cost = page.locator(`table.designs tr[data-design="${design.design}"] td[data-metric="costUsd"]`);
      expect(await cost.textContent()).toBe(formatInterval(design.metrics.costUsd));
      const [low, mean, high] = await Promise.all(['data-low', 'data-mean', 'data-high'].map((name) => cost.getAttribute(name)));
      expect(Number(low)).toBeLessThanOrEqual(Number(mean));
      expect(Number(mean)).toBeLessThanOrEqual(Number(high));
      const own = results.filter((row) => row.design === design.design).map((row) => row.costUsd);
      expect(Number(mean)).toBeCloseTo(own.reduce((sum, value) => sum + value, 0) / own.length, 12);
    }
    const paired = await tableRows(page, 'table.paired');
    expect(paired.map((cells) => cells[0])).toEqual(['without-reviewer', 'cheap-tiers']);
    expect(paired).toEqual(markdownRows(markdown, '## Paired differences'));
    expect(await page.textContent('#paired h2')).toBe('Paired differences with with-reviewer');
    // The Pareto chart and a distribution per charted metric, each showing every design.
    const charts = await page.$$eval('#charts figure', (figures) => figures.map((figure) => figure.getAttribute('data-chart')));
    expect(charts[0]).toBe('pareto.svg');
    expect(charts).toContain('distribution-costUsd.svg');
    for (const chart of charts) {
      const shown = await page.$$eval(`#charts figure[data-chart="${chart}"] svg g.design`, (groups) =>
        groups.map((group) => group.getAttribute('data-design')),
      );
      expect(shown, chart as string).toEqual(REVIEWER_DESIGNS.map((design) => design.name));
    }
    const done = results.filter((row) => row.status === 'done').length;
    expect(await page.textContent('#cells-planned')).toBe('12');
    expect(await page.textContent('#cells-finished')).toBe(String(results.length));
    expect(await page.textContent('#cells-done')).toBe(String(done));
    expect(await page.getAttribute('#cells-failed', 'data-count')).toBe(String(results.length - done));
    const spent = Number(await page.getAttribute('#experiment-spend', 'data-usd'));
    expect(spent).toBeCloseTo(
      results.reduce((sum, row) => sum + row.costUsd, 0),
      6,
    );
    expect(await page.textContent('#experiment-spend')).toContain('of $100.0000');
  });

  it('reads a results.csv kept alone: what its designs wrote shows as text, a failed cell is counted', async () => {
    await page.goto(url('/ui/experiments/csv-only'));
    const designs = await page.$$eval('table.designs tbody tr', (rows) => rows.map((row) => row.getAttribute('data-design')));
    expect(designs).toEqual(['baseline', XSS_DESIGN]);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.textContent('#cells-done')).toBe('5');
    expect(await page.textContent('#cells-failed')).toContain('1 failed');
    expect(await page.textContent('#cells-planned')).toContain('unknown');
    // The same name in the second folder has its own page.
    expect((await page.goto(url(`/ui/experiments/${EXPERIMENT}~2`)))?.status()).toBe(200);
    expect(await page.locator('table.designs tbody tr').count()).toBe(2);
  });

  it('follows an experiment as rows are written, without reloading the page', async () => {
    await page.goto(url('/ui/experiments/csv-only'));
    expect(await page.textContent('#cells-finished')).toBe('6');
    await appendFile(outside.path('extra', 'csv-only', 'results.csv'), `${csvRow('baseline', 4, 'done', 0.2)}\n`);
    await page.waitForFunction(() => document.querySelector('#cells-finished')?.textContent === '7', undefined, { timeout: 0 });
    expect(Number(await page.evaluate(() => document.body.getAttribute('data-refreshes')))).toBeGreaterThan(0);
  });

  it('answers 404 for every name that is not a listed experiment: no path leaves the experiments folders', async () => {
    const paths = [
      '/ui/experiments/nope',
      '/ui/experiments/..',
      '/ui/experiments/%2e%2e',
      '/ui/experiments/../../../../etc/passwd',
      '/ui/experiments/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/ui/experiments/%2Fetc%2Fpasswd',
      `/ui/experiments/${EXPERIMENT}%2F..%2F..%2F.agent-team-server`,
      `/ui/experiments/${EXPERIMENT}%2Fresults.csv`,
      '/ui/experiments/linked',
      '/ui/experiments/.hidden',
      '/ui/experiments/secret-experiment',
      '/ui/experiments/extra',
    ];
    for (const path of paths) {
      const answer = await rawGet(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('root:');
      expect(answer.body, path).not.toContain('data-design');
    }
    // The live stream of a name outside the folders sees nothing either.
    const controller = new AbortController();
    const live = await service.call('/ui/live?experiment=..%2Fextra%2Fcsv-only&since=x', { signal: controller.signal });
    const reader = (live.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(first).toContain('data: none');
  });

  it('lays the experiment pages out at 1280×800 and 390×844 with no overflow, no console error and no request beyond 127.0.0.1', async () => {
    const views: [string, string][] = [
      ['experiments', '/ui/experiments'],
      ['experiment', `/ui/experiments/${EXPERIMENT}`],
      ['experiment-csv', '/ui/experiments/csv-only'],
    ];
    expect(await viewProblems({ page, views, url })).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(watch.outside).toEqual([]);
  });

  it('works by keyboard: Tab reaches Experiments in the navigation, then an experiment, and Enter opens each', async () => {
    await page.goto(url('/ui'));
    const tabTo = async (test: () => boolean): Promise<boolean> => {
      for (let presses = 0; presses < 40; presses += 1) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(test)) return true;
      }
      return false;
    };
    expect(await tabTo(() => document.activeElement?.textContent === 'Experiments')).toBe(true);
    await Promise.all([page.waitForURL(/\/ui\/experiments$/), page.keyboard.press('Enter')]);
    expect(await tabTo(() => document.activeElement?.classList.contains('experiment-link') === true)).toBe(true);
    const target = await page.evaluate(() => document.activeElement?.getAttribute('href'));
    await Promise.all([page.waitForURL(/\/ui\/experiments\/.+/), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe(target);
    expect(await page.locator('table.designs').count()).toBe(1);
    // The tables scroll sideways on a phone: each can take the focus, so the arrow keys scroll it.
    expect(await tabTo(() => document.activeElement?.getAttribute('role') === 'region')).toBe(true);
  });
});
