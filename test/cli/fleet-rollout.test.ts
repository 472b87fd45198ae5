import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startFleetServer } from '../../src/server/index.js';
import { type FleetStore, openSqliteStore } from '../../src/store/index.js';
import { reportBody, writeRepository } from '../support/fleet-fixtures.js';
import { R_BUILD, rolloutRepositoryJson, statusWith } from '../support/rollout-fixtures.js';
import { runCli } from '../support/run-cli.js';

// klpm fleet rollout and klpm fleet pin against a real server on loopback.
const dir = mkdtempSync(join(tmpdir(), 'klpm-rollout-cli-'));
let server: RunningServer;
let store: FleetStore;
const adminFile = join(dir, 'admin');
const viewerFile = join(dir, 'viewer');
let hostId = '';

const rollout = {
  component: 'kernel',
  replaceSet: 0,
  to: '6.12.117-1.3',
  waves: [{ name: 'canary', select: { label: 'canary:yes' }, failureBudget: 0, soak: '10m', deadline: '1h' }],
};

beforeAll(async () => {
  store = openSqliteStore(join(dir, 'fleet.db'));
  server = await startFleetServer({
    store,
    repoPath: writeRepository(rolloutRepositoryJson()),
    host: '127.0.0.1',
    port: 0,
    log: () => {},
    tickMs: 0,
    repoPollMs: 0,
  });
  writeFileSync(adminFile, await store.createToken('admin'));
  writeFileSync(viewerFile, await store.createToken('viewer'));
  const secret = await store.createEnrollSecret({ labels: ['canary:yes'] });
  const enrolled = await store.enroll({
    secret,
    machineId: 'c'.repeat(32),
    hostname: 'canary',
    now: Date.now(),
  });
  if (enrolled.kind !== 'enrolled') throw new Error('not enrolled');
  hostId = enrolled.id;
  await fetch(`${server.url}/v1/hosts/${hostId}/report`, {
    method: 'POST',
    headers: { authorization: `Bearer ${enrolled.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...reportBody({ buildId: R_BUILD }), status: statusWith('lp_1') }),
  });
});

afterAll(async () => {
  await server.close();
  await store.close();
});

const flags = (token = adminFile) => ['--server', server.url, '--token', token];

describe('klpm fleet rollout', () => {
  it('a bad rollout.json is exit 2 naming the line and field, and nothing is sent', async () => {
    const file = join(dir, 'bad.json');
    const text = JSON.stringify(
      { ...rollout, waves: [{ ...rollout.waves[0], soak: 'ten minutes' }] },
      null,
      2,
    );
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('"soak"')) + 1;
    const run = await runCli(['fleet', 'rollout', 'start', '--file', file, ...flags()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(`^klpm: .*bad\\.json: ${line}:\\d+ waves\\[0\\]\\.soak: a duration is`),
    );
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(await store.listRollouts()).toEqual([]);
  });

  let id = '';
  it('start, status and the actions, in text and --json; a viewer is refused with exit 2', async () => {
    const file = join(dir, 'rollout.json');
    writeFileSync(file, JSON.stringify(rollout));
    const viewerRun = await runCli(['fleet', 'rollout', 'start', '--file', file, ...flags(viewerFile)]);
    expect(viewerRun.code).toBe(2);
    expect(viewerRun.stderr).toContain('403');
    const started = await runCli(['fleet', 'rollout', 'start', '--file', file, ...flags(), '--json']);
    expect(started.code).toBe(0);
    id = JSON.parse(started.stdout).id;
    const again = await runCli(['fleet', 'rollout', 'start', '--file', file, ...flags()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409');
    const status = await runCli(['fleet', 'rollout', 'status', id, ...flags(viewerFile)]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`rollout ${id}: running`);
    expect(status.stdout).toContain('wave canary: open, 1 hosts, 0 applied, 0 failed, 1 pending');
    const all = await runCli(['fleet', 'rollout', 'status', ...flags(viewerFile), '--json']);
    expect(JSON.parse(all.stdout).rollouts.map((r: { id: string }) => r.id)).toEqual([id]);
    const paused = await runCli(['fleet', 'rollout', 'pause', id, ...flags()]);
    expect(paused.stdout).toContain(': paused');
    expect((await runCli(['fleet', 'rollout', 'pause', id, ...flags()])).code).toBe(1);
    expect((await runCli(['fleet', 'rollout', 'resume', id, ...flags()])).stdout).toContain(': running');
    expect((await runCli(['fleet', 'rollout', 'abort', id, ...flags()])).stdout).toContain(': aborted');
    const back = await runCli(['fleet', 'rollout', 'rollback', id, ...flags(), '--json']);
    expect(JSON.parse(back.stdout).state).toBe('rolled-back');
    expect((await runCli(['fleet', 'rollout', 'status', 'no/such', ...flags()])).code).toBe(2);
    expect((await runCli(['fleet', 'rollout', 'status', 'nosuch', ...flags()])).code).toBe(2);
  });

  it('klpm fleet pin set, list and delete', async () => {
    const set = await runCli(['fleet', 'pin', 'set', '--host', hostId, '--to', '6.12.117-1.2', ...flags()]);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`host ${hostId} kernel replace set 0 pinned to 6.12.117-1.2`);
    const list = await runCli(['fleet', 'pin', 'list', ...flags(viewerFile), '--json']);
    expect(JSON.parse(list.stdout).pins).toHaveLength(1);
    expect((await runCli(['fleet', 'pin', 'set', '--to', 'x', ...flags()])).code).toBe(2);
    expect((await runCli(['fleet', 'pin', 'delete', '--host', hostId, ...flags()])).stdout).toBe(
      'pin removed\n',
    );
    expect((await runCli(['fleet', 'pin', 'delete', '--host', hostId, ...flags()])).code).toBe(2);
  });
});
