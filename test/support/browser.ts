import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`, in .ci/apt-packages.sh). */
export const CHROMIUM = process.env.KLPM_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined. Under CI a missing chromium is a failure
 * (the suite must run there); elsewhere the suite skips and says why.
 */
export function findBrowserProblem(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const problem = `no chromium at ${CHROMIUM} (apt-get install chromium, or set KLPM_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`the browser tests must run under CI: ${problem}`);
  console.warn(`skipping the browser tests: ${problem}`);
  return problem;
}

/** Debian's chromium, headless; without its sandbox when running as root (as CI does). */
export function launchChromium(): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...(root ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
