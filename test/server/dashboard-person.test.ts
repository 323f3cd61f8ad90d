/**
 * A person answers from the dashboard in a real headless Chromium: a manual run's checkpoint approved with
 * a click, and an agent's blocker answered with the form; each leaves the page by itself once decided.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPaths } from '../../src/config/index.js';
import { readRunLedger } from '../../src/team/index.js';
import { launchChromium, type PageWatch, SCREENSHOT_DIR, watchPage } from '../support/chromium.js';
import { orchestrateBody, type ServiceFixture, startService, TEST_TOKEN } from './service-fixture.js';

let browser: Browser;
let service: ServiceFixture;
let page: Page;
let watch: PageWatch;

/** The built-in team with a sim blocker on every task, quick polling and a short lease. */
async function everyTaskBlocks(): Promise<Record<string, unknown>> {
  const config = JSON.parse(await readFile(builtInPaths().orchestratorConfig, 'utf8')) as Record<string, unknown>;
  return {
    ...config,
    coordination: { ...(config['coordination'] as object), check_interval_seconds: 0.05, lease_seconds: 3 },
    provider: { ...(config['provider'] as object), blocker_rate: 1 },
  };
}

beforeAll(async () => {
  browser = await launchChromium();
  service = await startService({ token: TEST_TOKEN, orchestrator: await everyTaskBlocks() });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  watch = watchPage(page);
  await page.goto(`${service.server.url}/ui/blockers?token=${TEST_TOKEN}`);
});

afterAll(async () => {
  await browser?.close();
  await service?.cleanup();
});

describe('a person in the dashboard', () => {
  it("approves a manual run's checkpoint, then answers an agent's blocker with the form", async () => {
    expect((await service.call('/orchestrate', { method: 'POST', json: orchestrateBody('people') })).status).toBe(200);
    const executed = await service.call('/execute/people', {
      method: 'POST',
      json: { execution_mode: 'manual', checkpoints: ['after_plan'] },
    });
    expect(executed.status).toBe(202);

    // The checkpoint's approval appears on the open page by itself.
    const approval = page.locator('li.approval[data-run-id="people"]').first();
    await approval.waitFor({ timeout: 0 });
    const approvalId = (await approval.getAttribute('data-approval-id')) as string;
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'approval-1280.png'), fullPage: true });
    await approval.locator('input[name="by"]').fill('ann@example.com');
    await approval.locator('button[value="approve"]').click();
    await page.locator(`li.approval[data-approval-id="${approvalId}"]`).waitFor({ state: 'detached', timeout: 0 });
    const afterApproval = (await (await service.call('/tasks/people')).json()) as { approvals: { approval_id: string; status: string }[] };
    expect(afterApproval.approvals.find((item) => item.approval_id === approvalId)?.status).toBe('approved');

    // Every task raises a blocker; in a manual run the person answers it.
    const blocker = page.locator('li.blocker:not(.approval)[data-run-id="people"]').first();
    await blocker.waitFor({ timeout: 0 });
    const blockerId = (await blocker.getAttribute('data-blocker-id')) as string;
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'blocker-open-1280.png'), fullPage: true });
    await blocker.locator('textarea[name="resolution"]').fill('Use the <existing> invoice table.');
    await blocker.locator('input[name="by"]').fill('ann@example.com');
    await blocker.locator('button[type="submit"]').click();
    await page.locator(`li.blocker[data-blocker-id="${blockerId}"]`).waitFor({ state: 'detached', timeout: 0 });
    const resolved = (await readRunLedger(service.server.runs.configFor('people'))).find(
      (entry) => entry.type === 'blocker-resolve' && entry.blockerId === blockerId,
    );
    expect(resolved).toMatchObject({ resolution: 'Use the <existing> invoice table.' });

    expect((await service.call('/tasks/people/cancel', { method: 'POST' })).status).toBe(200);
    expect(watch.errors).toEqual([]);
    expect(watch.outside).toEqual([]);
  });
});
