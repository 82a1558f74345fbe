// Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` (CHROMIUM_PATH overrides)
// driven by playwright-core, and where screenshots go (test-artifacts/screenshots, not committed).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repositoryRoot } from './models.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the browser tests can run here; CI (PROMPTUNE_REQUIRE_BROWSER=1) requires it. */
export function browserAvailable(): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.PROMPTUNE_REQUIRE_BROWSER === '1')
    throw new Error(`${chromiumPath} is missing: bash scripts/setup.sh --test installs Debian's chromium`);
  return false;
}

/** Starts headless Chromium with the flags a container needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

export const screenshotDirectory = join(repositoryRoot, 'test-artifacts', 'screenshots');

/** Saves a full-page screenshot of `page` as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDirectory, { recursive: true });
  await page.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage: true });
}
