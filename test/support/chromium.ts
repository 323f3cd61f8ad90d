/**
 * A real headless Chromium for the dashboard's tests: Debian's /usr/bin/chromium driven by playwright-core,
 * started with the flags a closed network needs. A missing browser fails the test, saying how to install it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where the browser is expected (Debian's `chromium` package). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where the tests leave their screenshots (gitignored). */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'dashboard');

/** Starts the browser; each launch gets a fresh profile directory of its own (playwright's default). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: the dashboard's tests need a real browser. ` +
        'Install it with `apt-get install chromium` (.ci/run does), or set CHROMIUM_PATH to another Chromium.',
    );
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Without the background-networking flags Chromium keeps opening connections the closed network refuses.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a page did that a test forbids: console errors, uncaught exceptions, requests beyond 127.0.0.1. */
export interface PageWatch {
  readonly errors: string[];
  readonly outside: string[];
}

/** Records console errors, page errors and every request whose host is not 127.0.0.1. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { errors: [], outside: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => watch.errors.push(`${page.url()}: ${error.message}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.hostname !== '127.0.0.1') watch.outside.push(request.url());
  });
  return watch;
}

/** The two layouts every view must work at: a laptop and a phone. */
export const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

/** True when the page needs no horizontal scrolling at its viewport's width. */
export function fitsWidth(target: Page): Promise<boolean> {
  // Runs in the page (see page-globals.d.ts).
  return target.evaluate(() => (document.scrollingElement?.scrollWidth ?? Number.POSITIVE_INFINITY) <= window.innerWidth);
}

/**
 * Opens each `[name, path]` view at each of VIEWPORTS and says what is wrong with it (a status other than 200,
 * a page wider than the screen); leaves a full-page screenshot `<name>-<width>.png` in SCREENSHOT_DIR. Ends at
 * the first viewport's size.
 */
export async function viewProblems(input: {
  page: Page;
  views: readonly (readonly [string, string])[];
  url: (path: string) => string;
}): Promise<string[]> {
  const { page } = input;
  const problems: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    for (const [name, path] of input.views) {
      const status = (await page.goto(input.url(path)))?.status();
      if (status !== 200) problems.push(`${path}: status ${status}`);
      if (!(await fitsWidth(page))) problems.push(`${path}: wider than ${viewport.width}×${viewport.height}`);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${viewport.width}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(VIEWPORTS[0]);
  return problems;
}
