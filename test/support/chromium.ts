// Debian's Chromium driven by playwright-core, for the browser tests. Where Chromium is missing
// the suites are skipped with the reason in their title, except under CI=true, where they fail
// (.ci/run installs it).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';

export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const missing = existsSync(chromiumPath)
  ? undefined
  : `Chromium is not installed at ${chromiumPath} (apt-get install -y chromium)`;

export function launchChromium(): Promise<Browser> {
  if (missing !== undefined) throw new Error(missing);
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A suite that needs Chromium: skipped with the reason when it is missing, unless CI=true. */
export function describeInChromium(title: string, body: () => void): void {
  if (missing !== undefined && process.env['CI'] !== 'true')
    describe.skip(`${title} — skipped because ${missing}; CI=true makes this fail`, body);
  else describe(title, body);
}
