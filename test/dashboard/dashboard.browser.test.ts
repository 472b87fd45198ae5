import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutPage } from '../../src/server/dashboard/index.js';
import { findBrowserProblem, launchChromium } from '../support/browser.js';
import { type DashboardFleet, startDashboardFleet } from '../support/dashboard-fleet.js';
import {
  axeViolations,
  axeViolationsOf,
  consoleErrors,
  SHOTS,
  screenshot,
  signIn,
} from '../support/page-checks.js';

// The dashboard in Debian's chromium, driven by playwright-core, over a real server seeded with a
// synthetic fleet of 3,000 hosts over 30 builds (4 end of life, some silent, some stuck).
const problem = findBrowserProblem();

describe.skipIf(problem !== undefined)('the dashboard in a real browser', () => {
  let fleet: DashboardFleet;
  let browser: Browser;
  let viewer: BrowserContext;
  let admin: BrowserContext;

  beforeAll(async () => {
    [fleet, browser] = await Promise.all([startDashboardFleet(), launchChromium()]);
    viewer = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await signIn(viewer, fleet.url, fleet.viewerToken);
    await signIn(admin, fleet.url, fleet.adminToken);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
    console.log(`dashboard screenshots: ${SHOTS}`);
  });

  it('asks for a token, refuses a bad one, and signs a viewer in with a cookie scripts cannot read', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${fleet.url}/hosts`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('API token').fill('nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not a viewer or admin token');
    // no session: only the sign-in form's own CSRF cookie
    expect(await context.cookies()).toMatchObject([
      { name: 'klpm_login', path: '/login', httpOnly: true, sameSite: 'Strict', secure: false },
    ]);
    // a host's token is a real token but not a reader's
    await page.getByLabel('API token').fill(fleet.eol.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not a viewer or admin token');
    await page.getByLabel('API token').fill(fleet.viewerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // back where it was going
    await page.waitForURL(`${fleet.url}/hosts`);
    // the session, and the sign-in form's cookie gone
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: 'klpm_session',
      httpOnly: true,
      sameSite: 'Strict',
      secure: false,
    });
    expect(await page.evaluate('document.cookie')).toBe('');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${fleet.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });

  it('filters the hosts to the end-of-life ones, opens one, and shows its build and the reason', async () => {
    const page = await viewer.newPage();
    await page.goto(`${fleet.url}/hosts`);
    await page.getByLabel('Status').selectOption('kernel-end-of-life');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=kernel-end-of-life/);
    const rows = page.locator('table tbody tr');
    expect(await rows.count()).toBeGreaterThan(10);
    for (const text of await rows.allTextContents()) expect(text).toContain('kernel-end-of-life');
    await screenshot(page, 'hosts-end-of-life');
    const first = rows.first().getByRole('link').first();
    const hostname = (await first.textContent())!;
    await first.click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(hostname);
    const facts = page
      .getByRole('region', { name: 'Host' })
      .or(page.locator('section[aria-labelledby=facts]'));
    const text = (await facts.textContent())!;
    // its build: one of the four oldest synthetic builds, which the newest update skips
    expect(text).toMatch(/build ID\s*000b000[0-3]/);
    expect(text).toContain('kernel-end-of-life');
    const why = (await page.locator('section[aria-labelledby=why]').textContent())!;
    expect(why).toMatch(/end of life|no longer/i);
    await page.close();
  });

  it('searches by hostname prefix and pages in hostname order', async () => {
    const page = await viewer.newPage();
    await page.goto(`${fleet.url}/hosts?q=FRA1-DB&limit=25&sort=hostname`);
    const names = await page.locator('table tbody tr td:first-child').allTextContents();
    expect(names.length).toBe(25);
    for (const n of names) expect(n.startsWith('fra1-db-')).toBe(true);
    expect([...names].sort()).toEqual(names);
    await page.getByRole('link', { name: 'Next page' }).click();
    const more = await page.locator('table tbody tr td:first-child').allTextContents();
    expect(more[0]! > names[names.length - 1]!).toBe(true);
    await page.close();
  });

  it('searches by a substring of the hostname through the form', async () => {
    const page = await viewer.newPage();
    await page.goto(`${fleet.url}/hosts`);
    await page.getByRole('searchbox', { name: 'Search hostname or id' }).fill('B-0001');
    await page.getByRole('combobox', { name: 'Match' }).selectOption('substring');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/match=substring/);
    const names = await page.locator('table tbody tr td:first-child').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(n).toContain('b-0001');
    // the sites differ: the text is in the middle of the names
    expect(new Set(names.map((n) => n.split('-')[0])).size).toBeGreaterThan(1);
    await page.close();
  });

  it('shows a viewer no change buttons, and answers 403 when it posts anyway', async () => {
    const page = await viewer.newPage();
    for (const path of ['/', '/hosts', `/hosts/${fleet.stuck.id}`, '/builds', '/rollouts']) {
      await page.goto(`${fleet.url}${path}`);
      // the only form that posts is signing out
      expect(await page.locator('form[method=post]').count()).toBe(1);
      // neither a button nor a link to a confirm page
      const change = /start|pause|resume|abort|roll back|delete/i;
      expect(await page.getByRole('button', { name: change }).count()).toBe(0);
      expect(await page.getByRole('link', { name: change }).count()).toBe(0);
    }
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    for (const path of ['/rollouts/new', '/rollouts/start', '/rollouts/r1/pause']) {
      const answer = await page.request.post(`${fleet.url}${path}`, { form: { csrf, rollout: '{}' } });
      expect(answer.status()).toBe(403);
    }
    await page.close();
  });

  it('refuses a change without the session CSRF token, or with another session', async () => {
    const page = await admin.newPage();
    await page.goto(`${fleet.url}/`);
    const own = await page.locator('input[name=csrf]').first().inputValue();
    const other = await (await viewer.newPage()).goto(`${fleet.url}/`).then(async (r) => {
      const p = r!.frame().page();
      return p.locator('input[name=csrf]').first().inputValue();
    });
    expect(other).not.toBe(own);
    const forms: Array<Record<string, string>> = [
      {},
      { csrf: '' },
      { csrf: other },
      // one letter changed
      { csrf: `${own.slice(0, -1)}${own.endsWith('A') ? 'B' : 'A'}` },
    ];
    for (const form of forms) {
      const answer = await page.request.post(`${fleet.url}/rollouts/r1/pause`, { form });
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toContain('CSRF');
    }
    // sign-out is a change too
    expect((await page.request.post(`${fleet.url}/logout`, { form: {} })).status()).toBe(403);
    await page.goto(`${fleet.url}/`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.close();
  });

  const pages: ReadonlyArray<[string, () => string]> = [
    ['fleet', () => '/'],
    ['hosts', () => '/hosts'],
    ['host-stuck', () => `/hosts/${fleet.stuck.id}`],
    ['host-kmp', () => `/hosts/${fleet.kmp.id}`],
    ['host-end-of-life', () => `/hosts/${fleet.eol.id}`],
    ['builds', () => '/builds'],
    ['rollouts', () => '/rollouts'],
  ];

  it('every page: no console error, no serious or critical axe-core violation, a screenshot', async () => {
    const page = await admin.newPage();
    const problems: string[] = [];
    for (const [name, path] of pages) {
      const errors = await consoleErrors(page, () => page.goto(`${fleet.url}${path()}`));
      problems.push(...errors.map((e) => `${name}: console: ${e}`));
      problems.push(
        ...(await axeViolations(browser, admin, `${fleet.url}${path()}`)).map((v) => `${name}: ${v}`),
      );
      await screenshot(page, name);
    }
    const login = await (await browser.newContext()).newPage();
    problems.push(
      ...(await consoleErrors(login, () => login.goto(`${fleet.url}/login`))).map((e) => `login: ${e}`),
    );
    problems.push(
      ...(await axeViolations(browser, login.context(), `${fleet.url}/login`)).map((v) => `login: ${v}`),
    );
    await screenshot(login, 'login');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a halted rollout, rendered from an answer of the rollouts contract, passes axe-core', async () => {
    // the rollout routes come in another part (issue 15 item 1): until then the page is drawn from
    // a sample `GET /v1/rollouts/{id}` answer, with the admin's buttons
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const sample = rolloutPage(
      { role: 'admin', csrf: 'c'.repeat(43) },
      {
        id: 'r7',
        state: 'halted',
        reason: `wave canary: 1 failure, over its budget of 0 (${fleet.canaries[0]!.id}: the transition was reversed)`,
        component: 'kernel',
        replaceSet: 0,
        to: fleet.newest,
        waves: [
          {
            name: 'canary',
            state: 'halted',
            hosts: 3,
            applied: 2,
            failed: 1,
            pending: 0,
            failureBudget: 0,
            failures: [{ host: fleet.canaries[0]!.id, reason: 'apply: the transition was reversed' }],
          },
          {
            name: 'early',
            state: 'pending',
            hosts: 300,
            applied: 0,
            failed: 0,
            pending: 300,
            failureBudget: '5%',
            failures: [],
          },
          {
            name: 'all',
            state: 'pending',
            hosts: 2697,
            applied: 0,
            failed: 0,
            pending: 2697,
            failureBudget: '2%',
            failures: [],
          },
        ],
      },
    );
    const errors = await consoleErrors(page, async () =>
      expect(await axeViolationsOf(page, sample)).toEqual([]),
    );
    expect(errors).toEqual([]);
    for (const name of ['Resume', 'Abort', 'Roll back'])
      expect(await page.getByRole('link', { name }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Pause' }).count()).toBe(0);
    await screenshot(page, 'rollout-sample');
    await context.close();
  });

  it('reads on a phone: the fleet page fits its width', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.addCookies(await viewer.cookies());
    const page = await phone.newPage();
    await page.goto(`${fleet.url}/`);
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, 'fleet-phone');
    await phone.close();
  });

  it('each page weighs at most 200 KB (HTML, CSS and JS: all inline)', async () => {
    for (const [, path] of pages) {
      const answer = await admin.request.get(`${fleet.url}${path()}`);
      expect(answer.status()).toBe(200);
      expect((await answer.body()).length).toBeLessThan(200 * 1024);
    }
  });
});
