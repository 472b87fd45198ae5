import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

/** Where this run's screenshots go; with KLPM_SCREENSHOTS=dir they are copied there too (docs/img). */
export const SHOTS = mkdtempSync(join(tmpdir(), 'klpm-dashboard-shots-'));

/** Signs a browser context in at /login with a token, through the form as a person would. */
export async function signIn(context: BrowserContext, url: string, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/`);
  return page;
}

/** The console errors and uncaught page errors a page shows while `visit` runs. */
export async function consoleErrors(page: Page, visit: () => Promise<unknown>): Promise<string[]> {
  const errors: string[] = [];
  const onConsole = (m: { type(): string; text(): string }) => {
    if (m.type() === 'error') errors.push(m.text());
  };
  const onError = (e: Error) => errors.push(e.message);
  page.on('console', onConsole);
  page.on('pageerror', onError);
  try {
    await visit();
  } finally {
    page.off('console', onConsole);
    page.off('pageerror', onError);
  }
  return errors;
}

/**
 * axe-core's serious and critical violations on the page at `path`, in a context that bypasses
 * the page's CSP (the page itself allows no script, so axe is let in this way), with the cookies of
 * `signedIn`.
 */
export async function axeViolations(
  browser: Browser,
  signedIn: BrowserContext,
  url: string,
): Promise<string[]> {
  const context = await browser.newContext({ bypassCSP: true });
  try {
    await context.addCookies(await signedIn.cookies());
    const page = await context.newPage();
    await page.goto(url);
    await page.addScriptTag({ content: axeSource });
    const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
      violations: Array<{
        id: string;
        impact: string | null;
        help: string;
        nodes: Array<{ target: unknown }>;
      }>;
    };
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`,
      );
  } finally {
    await context.close();
  }
}

/** axe-core's serious and critical violations of a page given as HTML (a render function's output). */
export async function axeViolationsOf(page: Page, htmlText: string): Promise<string[]> {
  await page.setContent(htmlText);
  await page.addScriptTag({ content: axeSource });
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`,
    );
}

/** A full-page screenshot named `name`.png into SHOTS, and into KLPM_SCREENSHOTS when set. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const copyTo = process.env.KLPM_SCREENSHOTS;
  if (copyTo !== undefined && copyTo !== '') {
    mkdirSync(resolve(copyTo), { recursive: true });
    copyFileSync(file, join(resolve(copyTo), `${name}.png`));
  }
  return file;
}
