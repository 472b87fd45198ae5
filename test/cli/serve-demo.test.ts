import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

// `klpm serve --demo`: one command, a server with a synthetic fleet and two tokens to look at it.
const ROOT = join(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'dist/klpm.cjs'));

describe.skipIf(!built)('klpm serve --demo (needs npm run build)', () => {
  it('serves a seeded fleet on loopback, prints an admin and a viewer token, and cleans up on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/klpm.js'), 'serve', '--demo', '--listen', '127.0.0.1:0', '--json'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const first = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer from klpm serve --demo in 30 s')), 30_000);
        createInterface({ input: child.stdout! }).once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`klpm serve --demo exited ${code}`)));
      });
      const shown = JSON.parse(first) as {
        listening: string;
        dashboard: string;
        adminToken: string;
        viewerToken: string;
        hosts: number;
        rollout: string;
      };
      expect(shown.listening).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // the dashboard's URL, which asks for a token first
      expect(shown.dashboard).toBe(`${shown.listening}/`);
      const front = await fetch(shown.dashboard, { redirect: 'manual' });
      expect([front.status, front.headers.get('location')]).toEqual([303, '/login?next=%2F']);
      const get = (path: string, token: string) =>
        fetch(`${shown.listening}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const summary = (await (await get('/v1/summary', shown.viewerToken)).json()) as {
        hosts: number;
        status: Record<string, number>;
      };
      expect(summary.hosts).toBe(shown.hosts);
      // every kind of answer shows: end of life, unsupported, supported
      expect(summary.status['kernel-end-of-life']).toBeGreaterThan(0);
      expect(summary.status.unsupported).toBeGreaterThan(0);
      expect(summary.status.supported).toBeGreaterThan(0);
      expect((await get('/v1/tokens', shown.adminToken)).status).toBe(200);
      expect((await get('/v1/tokens', shown.viewerToken)).status).toBe(403);
      // a running rollout whose canary failed: halted, naming one host
      const rollout = (await (await get(`/v1/rollouts/${shown.rollout}`, shown.viewerToken)).json()) as {
        state: string;
        haltedHosts: string[];
        waves: Array<{ name: string; failed: number; hosts: number }>;
      };
      expect(rollout.state).toBe('halted');
      expect(rollout.haltedHosts).toHaveLength(1);
      expect(rollout.waves[0]).toMatchObject({ name: 'canary', failed: 1 });
      expect(rollout.waves[1]!.hosts).toBeGreaterThan(rollout.waves[0]!.hosts);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);

  it('refuses --db beside --demo', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/klpm.js'), 'serve', '--demo', '--db', 'x.db'], {
      cwd: ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toBe('klpm: --demo makes its own temporary database: drop --db\n');
  });
});
