/**
 * The dashboard in a real headless Chromium: sign-in, every view without console errors or requests beyond
 * this machine, a run followed live, the plan graph, layout on a desktop and a phone, the keyboard, and
 * model-written text shown as text. One browser and one service for the file; two sim runs at once.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type PageWatch, SCREENSHOT_DIR, VIEWPORTS, viewProblems, watchPage } from '../support/chromium.js';
import { orchestrateBody, type ServiceFixture, startService, TEST_TOKEN, waitForStatus } from './service-fixture.js';

const XSS_TITLE = '<script>window.__xss=1</script><img src=x onerror=window.__xss=2> invoice export';

let browser: Browser;
let service: ServiceFixture;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;

const url = (path: string): string => `${service.server.url}${path}`;

function post(path: string, json?: unknown): Promise<Response> {
  return service.call(path, { method: 'POST', ...(json === undefined ? {} : { json }) });
}

/** True when the page is no wider than its window. */
beforeAll(async () => {
  browser = await launchChromium();
  // Sim latencies at 5% of real time: a run lasts a few seconds, long enough to be watched.
  service = await startService({ token: TEST_TOKEN, timeScale: 0.05 });
  expect((await post('/orchestrate', orchestrateBody('xss', { title: XSS_TITLE }))).status).toBe(200);
  expect((await post('/orchestrate', orchestrateBody('live', { title: 'Invoice PDF export' }))).status).toBe(200);
  context = await browser.newContext({ viewport: VIEWPORTS[0] });
  page = await context.newPage();
  watch = watchPage(page);
});

afterAll(async () => {
  await browser?.close();
  await service?.cleanup();
});

describe('dashboard', () => {
  it('signs a browser in with ?token= once: an HttpOnly SameSite=Strict cookie, the token gone from the address; a wrong or no token is a 401', async () => {
    const stranger = await browser.newContext();
    try {
      const other = await stranger.newPage();
      expect((await other.goto(url('/ui')))?.status()).toBe(401);
      expect(await other.textContent('body')).toContain('/ui?token=');
      expect((await other.goto(url('/ui?token=wrong-token-0123456789')))?.status()).toBe(401);
      expect(await stranger.cookies()).toEqual([]);
    } finally {
      await stranger.close();
    }
    const response = await page.goto(url(`/ui?token=${TEST_TOKEN}&status=`));
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(url('/ui?status='));
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'agent_team_ui', httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]?.value).not.toContain(TEST_TOKEN);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    // The cookie stands for the token on the API too, for reading.
    expect(await page.evaluate(async () => (await fetch('/tasks/live')).status)).toBe(200);
    // A change needs the dashboard's header besides the cookie: a form elsewhere cannot send it.
    expect(await page.evaluate(async () => (await fetch('/execute/live', { method: 'POST' })).status)).toBe(401);
    // That 401 was asked for; the console errors counted from here on are the pages' own.
    watch.errors.length = 0;
  });

  it('follows a run live: its board and its cost change while it runs, without reloading the page', async () => {
    await page.goto(url('/ui/runs/live'));
    const before = await page.evaluate(() => ({
      cost: document.querySelector('#cost-total')?.textContent ?? '',
      done: document.querySelectorAll('.column[data-status="done"] .card').length,
    }));
    expect(before.done).toBe(0);
    // No task has finished: no forecast of the remaining cost yet.
    expect(await page.getAttribute('#forecast', 'data-state')).toBe('none');
    expect(await page.textContent('#forecast')).toContain('no estimate yet');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'run-planned-1280.png'), fullPage: true });
    expect((await post('/execute/live')).status).toBe(202);
    expect((await post('/execute/xss')).status).toBe(202);
    await page.waitForFunction(
      (start) =>
        document.querySelectorAll('.column[data-status="done"] .card').length > start.done &&
        document.querySelector('#cost-total')?.textContent !== start.cost,
      before,
      { timeout: 0 },
    );
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'run-running-1280.png'), fullPage: true });
    await page.waitForSelector('#overview .status[data-status="completed"]', { timeout: 0 });
    const after = await page.evaluate(() => ({
      refreshes: Number(document.body.getAttribute('data-refreshes')),
      tasks: document.querySelectorAll('.board .card').length,
      done: document.querySelectorAll('.column[data-status="done"] .card').length,
    }));
    expect(after.refreshes).toBeGreaterThan(1);
    expect(after.done).toBe(after.tasks);
    expect(await page.getAttribute('#forecast', 'data-state')).toBe('done');
    expect(await page.locator('#cost-time-agent polyline.series').count()).toBeGreaterThan(1);
    await waitForStatus(service.call, 'xss', ['completed']);
  });

  it('draws the plan with one node per task and the critical path marked', async () => {
    const view = (await (await service.call('/tasks/live')).json()) as { subtasks: unknown[] };
    await page.goto(url('/ui/runs/live'));
    const nodes = await page.$$eval('#plan svg g.task', (groups) => groups.map((group) => group.getAttribute('data-task-id')));
    expect(nodes).toHaveLength(view.subtasks.length);
    expect(new Set(nodes).size).toBe(nodes.length);
    expect(await page.locator('#plan svg g.task.critical').count()).toBeGreaterThan(0);
    expect(await page.locator('#timeline svg rect.span').count()).toBeGreaterThan(0);
    expect(await page.locator('#agents tbody tr').count()).toBeGreaterThan(1);
    expect(await page.textContent('#top-tier')).toMatch(/^\$\d/);
  });

  it('shows what a model or a person wrote as text: a title with <script> runs nothing', async () => {
    for (const path of ['/ui', '/ui/runs/xss', '/ui/compare?a=xss&b=live', '/ui/runs/xss/ledger']) {
      await page.goto(url(path));
      const found = await page.evaluate(() => ({
        xss: window.__xss,
        scripts: document.scripts.length,
        images: document.querySelectorAll('img').length,
        text: document.body.textContent ?? '',
      }));
      expect(found, path).toMatchObject({ xss: undefined, scripts: 1, images: 0 });
    }
    await page.goto(url('/ui/runs/xss'));
    // The sim planner puts the feature's first words in each task's title.
    const card = await page.locator('.board .card').first().textContent();
    expect(card).toContain('<script>window.__xss=1</script>');
    expect(await page.locator('h1').textContent()).toContain('<script>window.__xss=1</script>');
  });

  it('filters the ledger by event type and shows an agent’s transcript of a task', async () => {
    await page.goto(url('/ui/runs/live/ledger'));
    await page.selectOption('select[name="type"]', 'model-call');
    await Promise.all([page.waitForURL(/type=model-call/), page.click('.filters button')]);
    const types = await page.$$eval('table.ledger tbody tr', (rows) => rows.map((row) => row.getAttribute('data-type')));
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['model-call']));
    const card = page.locator('.column[data-status="done"] .card a').first();
    await page.goto(url('/ui/runs/live'));
    const taskId = await page.locator('.column[data-status="done"] .card').first().getAttribute('data-task-id');
    await Promise.all([page.waitForURL(/\/agents\//), card.click()]);
    const calls = await page.$$eval('article.call', (articles) => articles.map((article) => article.getAttribute('data-task-id')));
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls)).toEqual(new Set([taskId]));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'transcript-1280.png'), fullPage: true });
  });

  it('filters the runs list by status and by text in the id or the feature', async () => {
    const shown = async (query: string): Promise<(string | null)[]> => {
      await page.goto(url(`/ui${query}`));
      return page.$$eval('tr[data-run-id]', (rows) => rows.map((row) => row.getAttribute('data-run-id')));
    };
    expect(await shown('')).toEqual(['xss', 'live']);
    expect(await shown('?q=invoice+PDF')).toEqual(['live']);
    expect(await shown('?status=completed&q=invoice')).toEqual(['xss', 'live']);
    expect(await shown('?status=failed')).toEqual([]);
    await page.selectOption('select[name="status"]', 'completed');
    await page.fill('input[name="q"]', 'window.__xss');
    await Promise.all([page.waitForURL(/q=window/), page.press('input[name="q"]', 'Enter')]);
    expect(await page.$$eval('tr[data-run-id]', (rows) => rows.map((row) => row.getAttribute('data-run-id')))).toEqual(['xss']);
  });

  it('answers 404 for a run or an agent it does not know, so no path reaches another file', async () => {
    for (const path of ['/ui/runs/nope', '/ui/runs/..%2F..%2Fetc', '/ui/runs/live/agents/..%2Frequest', '/ui/runs/live/agents/nobody']) {
      const response = await service.call(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-security-policy'), path).toContain("default-src 'none'");
    }
  });

  it('compares two runs side by side', async () => {
    await page.goto(url('/ui/compare?a=xss&b=live'));
    expect(await page.locator('table.compare thead th[scope="col"]').allTextContents()).toEqual(['xss', 'live']);
    expect(await page.locator('.side-by-side ol.tasks').count()).toBe(2);
  });

  it('lays every view out at 1280×800 and 390×844 with no horizontal overflow, no console error and no request beyond 127.0.0.1', async () => {
    const views: [string, string][] = [
      ['runs', '/ui'],
      ['run', '/ui/runs/live'],
      ['blockers', '/ui/blockers'],
      ['ledger', '/ui/runs/live/ledger'],
      ['transcript', '/ui/runs/live/agents/manager'],
      ['compare', '/ui/compare?a=xss&b=live'],
      ['experiments-none', '/ui/experiments'],
    ];
    expect(await viewProblems({ page, views, url })).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(watch.outside).toEqual([]);
  });

  it('works by keyboard: Tab reaches the runs list links and Enter opens a run', async () => {
    await page.goto(url('/ui'));
    let onRunLink = false;
    for (let presses = 0; presses < 30 && !onRunLink; presses += 1) {
      await page.keyboard.press('Tab');
      onRunLink = await page.evaluate(() => document.activeElement?.classList.contains('run-link') === true);
    }
    expect(onRunLink).toBe(true);
    const target = await page.evaluate(() => document.activeElement?.getAttribute('href'));
    await Promise.all([page.waitForURL(/\/ui\/runs\//), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe(target);
    expect(await page.locator('#board').count()).toBe(1);
  });
});
