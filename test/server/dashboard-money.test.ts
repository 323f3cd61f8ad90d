/**
 * The money section of a run's page in a real headless Chromium, over the dashboard `run --ui` serves:
 * a sim run stopped by a cap at about half of what the whole run costs shows the forecast of what is
 * left, its total above the cap and the warning that says so; the whole run shows nothing left and no
 * warning; both draw the cost over time by model and by agent.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { loadTeamConfig } from '../../src/config/index.js';
import { type RunningDashboard, startDashboard } from '../../src/server/index.js';
import { forecastRemainingCost } from '../../src/server/cost-forecast.js';
import { usd } from '../../src/server/dashboard-charts.js';
import { type LedgerEntry, type LedgerEvent, ledgerEventSchema, readLedger, type TeamState } from '../../src/state/index.js';
import { readTeamStateAt } from '../../src/team/index.js';
import { fitsWidth, launchChromium, type PageWatch, SCREENSHOT_DIR, VIEWPORTS, watchPage } from '../support/chromium.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const FEATURE = 'Export invoices as PDF with a download button';

interface RunResult {
  runId: string;
  status: string;
  summary: { costUsd: number };
}

let project: TempProject;
let browser: Browser;
let dashboard: RunningDashboard;
let page: Page;
let watch: PageWatch;
let whole: RunResult;
let capped: RunResult;
let capUsd: number;

async function run(args: string[]): Promise<RunResult> {
  const terminal = bufferTerminal();
  await main(['node', 'agent-team', 'run', '--feature', FEATURE, '--time-scale', '0', '--seed', '5', '--json', ...args], {
    terminal,
    cwd: project.dir,
  });
  return JSON.parse(terminal.stdout()) as RunResult;
}

async function recorded(runId: string): Promise<{ state: TeamState; ledger: LedgerEntry<LedgerEvent>[] }> {
  const dir = project.path('.agent-runs', runId);
  const state = (await readTeamStateAt(join(dir, 'team-communication.json'))) as TeamState;
  const ledger: LedgerEntry<LedgerEvent>[] = await readLedger(join(dir, 'run_ledger.jsonl'), { eventSchema: ledgerEventSchema });
  return { state, ledger };
}

beforeAll(async () => {
  project = await tempProject('agent-team-dashboard-money-');
  whole = await run([]);
  expect(whole.status).toBe('done');
  // The same run (same seed) with a cap at 60% of what it cost: it stops there with tasks left.
  capUsd = Math.round(whole.summary.costUsd * 0.6 * 1e6) / 1e6;
  capped = await run(['--budget-usd', String(capUsd)]);
  expect(capped.status).toBe('budget_exceeded');
  browser = await launchChromium();
  dashboard = await startDashboard({ config: loadTeamConfig({ cwd: project.dir }), active: () => false });
  page = await (await browser.newContext({ viewport: VIEWPORTS[0] })).newPage();
  watch = watchPage(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await project?.cleanup();
});

describe('money section of a run page', () => {
  it('forecasts what a run stopped at its cap still needs, above the cap, and warns', async () => {
    const { state, ledger } = await recorded(capped.runId);
    const forecast = forecastRemainingCost({ tasks: state.tasks, ledger, spentUsd: state.budget.spentUsd, capUsd: state.budget.limitUsd });
    expect(forecast.tasksFinished).toBeGreaterThan(0);
    expect(forecast.tasksLeft).toBeGreaterThan(0);
    expect(forecast.method).toBe('by-complexity');
    expect(state.budget.limitUsd).toBeCloseTo(capUsd, 9);
    await page.goto(`${dashboard.url}/runs/${capped.runId}`);
    expect(await page.getAttribute('#forecast', 'data-state')).toBe('estimate');
    expect(Number(await page.getAttribute('#forecast', 'data-usd'))).toBeCloseTo(forecast.remainingUsd as number, 12);
    expect(await page.textContent('#forecast')).toContain(`${usd(forecast.remainingUsd as number)} (${forecast.tasksLeft} task`);
    const total = Number(await page.getAttribute('#forecast-total', 'data-usd'));
    expect(total).toBeGreaterThan(capUsd);
    expect(await page.textContent('#forecast-total')).toBe(`${usd(total)} of ${usd(capUsd)} cap`);
    expect(await page.textContent('#forecast-warning')).toContain(`is above the cap of ${usd(capUsd)}`);
    expect(await page.locator('#money svg.gauge rect.forecast').count()).toBe(1);
    expect(await page.locator('#money svg.gauge line.cap').count()).toBe(1);
    // Cost over time by agent beside the one by model: a line for each agent that made a call.
    const agents = [...new Set(ledger.flatMap((entry) => (entry.type === 'model-call' ? [entry.agentId] : [])))].sort();
    const lines = await page.$$eval('#cost-time-agent polyline.series', (found) => found.map((line) => line.getAttribute('data-agent')));
    expect([...lines].sort()).toEqual(agents);
    expect(await page.locator('#cost-time-model polyline.series').count()).toBeGreaterThan(0);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.goto(`${dashboard.url}/runs/${capped.runId}`);
      expect(await fitsWidth(page), `${viewport.width}×${viewport.height}`).toBe(true);
      await page.locator('#money').screenshot({ path: join(SCREENSHOT_DIR, `run-money-over-cap-${viewport.width}.png`) });
    }
    await page.setViewportSize(VIEWPORTS[0]);
  });

  it('says nothing is left once every task is done, with no warning', async () => {
    await page.goto(`${dashboard.url}/runs/${whole.runId}`);
    expect(await page.getAttribute('#forecast', 'data-state')).toBe('done');
    expect(await page.textContent('#forecast')).toContain('no task left');
    expect(await page.locator('#forecast-warning').count()).toBe(0);
    expect(await page.locator('#money svg.gauge rect.forecast').count()).toBe(0);
    expect(watch.errors).toEqual([]);
    expect(watch.outside).toEqual([]);
  });
});
