import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { type DashboardFleet, startDashboardFleet } from '../support/dashboard-fleet.js';

// The dashboard over HTTP without a browser: sign-in, sessions shared by servers on one database,
// revocation, CSRF and the viewer's refusals (the browser suite checks the same through chromium).
let fleet: DashboardFleet;
let second: RunningServer;
let secondStore: FleetStore;

beforeAll(async () => {
  fleet = await startDashboardFleet(300);
  // a second server on the same database file, as behind a load balancer
  secondStore = openSqliteStore(fleet.dbFile);
  second = await startFleetServer({
    store: secondStore,
    repoPath: fleet.repoPath,
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    repoPollMs: 0,
  });
}, 60_000);

afterAll(async () => {
  await second?.close();
  await secondStore?.close();
  await fleet?.close();
});

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
  redirect: 'manual' as const,
});

/** The sign-in form as a browser gets it: its login cookie and the form's CSRF token. */
async function loginForm(url: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await fetch(`${url}/login`);
  expect(answer.status).toBe(200);
  const cookie = answer.headers.get('set-cookie')!;
  expect(cookie).toMatch(
    /^klpm_login=[A-Za-z0-9_-]{22}; Path=\/login; HttpOnly; SameSite=Strict; Max-Age=3600$/,
  );
  const csrf = /name="csrf" value="([^"]+)"/.exec(await answer.text())![1]!;
  return { cookie: cookie.split(';')[0]!, csrf };
}

/** POST /login with the fields, and a Cookie header when given. */
const postLogin = (url: string, fields: Record<string, string>, cookie?: string) =>
  fetch(`${url}/login`, {
    ...form(fields),
    headers: { ...form(fields).headers, ...(cookie === undefined ? {} : { cookie }) },
  });

async function signIn(url: string, token: string): Promise<string> {
  const { cookie: login, csrf } = await loginForm(url);
  const answer = await postLogin(url, { token, next: '/hosts', csrf }, login);
  expect(answer.status).toBe(303);
  expect(answer.headers.get('location')).toBe('/hosts');
  const [cookie, ended] = answer.headers.getSetCookie();
  expect(cookie).toMatch(
    /^klpm_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
  );
  // the sign-in form's cookie is done with
  expect(ended).toMatch(/^klpm_login=; Path=\/login; .*Max-Age=0/);
  return cookie!.split(';')[0]!;
}

const page = (url: string, path: string, cookie?: string) =>
  fetch(`${url}${path}`, { headers: cookie === undefined ? {} : { cookie }, redirect: 'manual' });

const csrfOf = async (url: string, cookie: string) =>
  /name="csrf" value="([^"]+)"/.exec(await (await page(url, '/', cookie)).text())![1]!;

describe('the dashboard over HTTP', () => {
  it('sends a visitor without a session to sign in, and refuses unknown and host tokens', async () => {
    const front = await page(fleet.url, '/hosts?status=unknown');
    expect([front.status, front.headers.get('location')]).toEqual([
      303,
      '/login?next=%2Fhosts%3Fstatus%3Dunknown',
    ]);
    const { cookie: login, csrf } = await loginForm(fleet.url);
    for (const token of ['', 'x', `${fleet.adminToken}x`, fleet.eol.token]) {
      const answer = await postLogin(fleet.url, { token, csrf }, login);
      expect(answer.status).toBe(401);
      // no session: only the sign-in form's own cookie again
      expect(answer.headers.getSetCookie().map((c) => c.split('=')[0])).toEqual(['klpm_login']);
    }
    // a forged cookie is no session
    const forged = await page(fleet.url, '/', 'klpm_session=e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(forged.status).toBe(303);
  });

  it('never sends a signed-in user to another site after sign-in', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil', 'javascript:alert(1)']) {
      const { cookie, csrf } = await loginForm(fleet.url);
      const answer = await postLogin(fleet.url, { token: fleet.viewerToken, next, csrf }, cookie);
      expect(answer.headers.get('location')).toBe('/');
    }
  });

  it('refuses a sign-in whose form this server did not give that browser (login CSRF)', async () => {
    const mine = await loginForm(fleet.url);
    const other = await loginForm(fleet.url);
    const refused: Array<[Record<string, string>, string | undefined]> = [
      // a form another site posts: no login cookie (SameSite=Strict), no token
      [{ token: fleet.adminToken }, undefined],
      [{ token: fleet.adminToken, csrf: mine.csrf }, undefined],
      [{ token: fleet.adminToken }, mine.cookie],
      [{ token: fleet.adminToken, csrf: 'x' }, mine.cookie],
      // another browser's pair, crossed
      [{ token: fleet.adminToken, csrf: other.csrf }, mine.cookie],
      // a planted cookie with a token made up for it
      [{ token: fleet.adminToken, csrf: mine.csrf }, `klpm_login=${'A'.repeat(22)}`],
      // a session's CSRF token is not a sign-in's
      [
        {
          token: fleet.adminToken,
          csrf: await csrfOf(fleet.url, await signIn(fleet.url, fleet.viewerToken)),
        },
        mine.cookie,
      ],
    ];
    for (const [fields, cookie] of refused) {
      const answer = await postLogin(fleet.url, fields, cookie);
      expect(answer.status, JSON.stringify([Object.keys(fields), cookie])).toBe(403);
      expect(answer.headers.getSetCookie().some((c) => c.startsWith('klpm_session='))).toBe(false);
      expect(await answer.text()).toContain('sign in again');
    }
    // the right pair still works after the refusals, and so does the other browser's
    expect(
      (await postLogin(fleet.url, { token: fleet.adminToken, csrf: mine.csrf }, mine.cookie)).status,
    ).toBe(303);
    expect(
      (await postLogin(fleet.url, { token: fleet.adminToken, csrf: other.csrf }, other.cookie)).status,
    ).toBe(303);
  });

  it('a session signed by one server is accepted by another on the same database, until its token is revoked', async () => {
    const cookie = await signIn(fleet.url, fleet.viewerToken);
    expect((await page(second.url, '/hosts', cookie)).status).toBe(200);
    const token = await fleet.store.createToken('viewer');
    const doomed = await signIn(second.url, token);
    expect((await page(fleet.url, '/', doomed)).status).toBe(200);
    expect(await fleet.store.revokeToken(token.split('.')[0]!)).toBe(true);
    expect((await page(fleet.url, '/', doomed)).status).toBe(303);
    expect((await page(second.url, '/', doomed)).status).toBe(303);
  });

  it('refuses a change without the CSRF token, and a viewer change with it', async () => {
    const viewer = await signIn(fleet.url, fleet.viewerToken);
    const admin = await signIn(fleet.url, fleet.adminToken);
    const adminCsrf = await csrfOf(fleet.url, admin);
    const viewerCsrf = await csrfOf(fleet.url, viewer);
    const post = (cookie: string, path: string, fields: Record<string, string>) =>
      fetch(`${fleet.url}${path}`, { ...form(fields), headers: { ...form(fields).headers, cookie } });
    const refused: Array<Record<string, string>> = [{}, { csrf: viewerCsrf }, { csrf: 'x' }];
    for (const fields of refused) expect((await post(admin, '/rollouts/r1/pause', fields)).status).toBe(403);
    expect((await post(viewer, '/rollouts/r1/pause', { csrf: viewerCsrf })).status).toBe(403);
    expect((await post(viewer, '/rollouts/start', { csrf: viewerCsrf, rollout: '{}' })).status).toBe(403);
    // the admin's own token passes the check and reaches the rollout route: there is no rollout r1
    const done = await post(admin, '/rollouts/r1/pause', { csrf: adminCsrf });
    expect(done.status).toBe(404);
    expect(await done.text()).toContain('The server refused to pause rollout r1: no rollout r1');
    // without a session a POST is 401, not a redirect
    expect((await fetch(`${fleet.url}/logout`, form({}))).status).toBe(401);
    const out = await post(viewer, '/logout', { csrf: viewerCsrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^klpm_session=; .*Max-Age=0/);
  });

  it('answers a bad hosts query with 400 naming the field, and an unknown host with 404', async () => {
    const cookie = await signIn(fleet.url, fleet.viewerToken);
    const bad = await page(fleet.url, '/hosts?status=nonsense', cookie);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('status:');
    expect((await page(fleet.url, '/hosts/no-such-host', cookie)).status).toBe(404);
    const shown = await page(fleet.url, `/hosts/${fleet.eol.id}`, cookie);
    expect(shown.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await shown.text()).toContain(fleet.eol.buildId);
  });
});
