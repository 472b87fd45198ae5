import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUILD = '00112233445566778899aabbccddeeff00112233';
export const OLD_BUILD = 'ffeeddccbbaa99887766554433221100ffeeddcc';
export const SHA_A2 = 'a'.repeat(64);

const manifest = (name: string, replaceSet: number, version: string) => ({
  name,
  replaceSet,
  version,
  objects: [{ name: 'vmlinux', funcs: [{ name: `${name}_fn` }] }],
});

/**
 * A repository (klpm's JSON index): replace set 0 publishes lp_a 1 then lp_a 2 for BUILD (2 has a
 * sha256 and coverage ending 2027-03-01); replace set 1 published lp_b for OLD_BUILD and BUILD, and
 * its newest lists OLD_BUILD only, so BUILD is end of life in set 1. OLD_BUILD has nothing in set 0.
 */
export function repositoryJson(): string {
  const lp = (replaceSet: number, name: string, to: string, base: string, more: object = {}) => ({
    component: 'kernel',
    baseBuildId: base,
    base: '6.12.117-1',
    to,
    replaceSet,
    name,
    manifest: manifest(name, replaceSet, to),
    ...more,
  });
  return JSON.stringify({
    format: 'klpm-repository-index',
    version: 1,
    updates: [
      { id: 'U-1', issued: '2026-11-01', livepatches: [lp(0, 'lp_a', '6.12.117-1.1', BUILD)] },
      {
        id: 'U-2',
        issued: '2026-11-02',
        livepatches: [lp(0, 'lp_a', '6.12.117-1.2', BUILD, { sha256: SHA_A2, expires: '2027-03-01' })],
      },
      { id: 'U-3', issued: '2026-11-03', livepatches: [lp(1, 'lp_b', '6.12.117-1.1', BUILD)] },
      { id: 'U-4', issued: '2026-11-04', livepatches: [lp(1, 'lp_b', '6.12.117-1.2', OLD_BUILD)] },
    ],
  });
}

/** A repository holding only set 0 (lp_a 1 and 2 for BUILD): BUILD is supported there. */
export function supportedRepositoryJson(): string {
  const all = JSON.parse(repositoryJson()) as { updates: Array<{ id: string }> };
  return JSON.stringify({ ...all, updates: all.updates.filter((u) => u.id === 'U-1' || u.id === 'U-2') });
}

export function writeRepository(json: string = repositoryJson()): string {
  const dir = mkdtempSync(join(tmpdir(), 'klpm-fleet-repo-'));
  writeFileSync(join(dir, 'index.json'), json);
  return join(dir, 'index.json');
}

/** /sys/kernel/notes holding one GNU build-ID note (elf.h: namesz, descsz, type 3, "GNU\0", id). */
function notesWith(buildId: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(4, 0);
  header.writeUInt32LE(buildId.length / 2, 4);
  header.writeUInt32LE(3, 8);
  return Buffer.concat([header, Buffer.from('GNU\0'), Buffer.from(buildId, 'hex')]);
}

/** A machine under a root: machine-id, boot id, hostname, release, build ID, an empty livepatch tree. */
export function fakeRoot(options: { machineId?: string; buildId?: string; hostname?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'klpm-agent-root-'));
  const write = (path: string, text: string | Buffer) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('etc/machine-id', `${options.machineId ?? '0123456789abcdef0123456789abcdef'}\n`);
  write('proc/sys/kernel/random/boot_id', '6d3c1a52-7a47-4c1e-9d0f-1f2e3d4c5b6a\n');
  write('proc/sys/kernel/hostname', `${options.hostname ?? 'web-1'}\n`);
  write('proc/sys/kernel/osrelease', '6.12.117+deb12-amd64\n');
  write('proc/modules', '');
  write('sys/kernel/notes', notesWith(options.buildId ?? BUILD));
  mkdirSync(join(root, 'sys/kernel/livepatch'), { recursive: true });
  return root;
}

/** A report body as an agent sends it, for a host running `buildId` with `patches` loaded. */
export function reportBody(
  options: {
    seq?: number;
    buildId?: string | null;
    bootId?: string;
    interval?: number;
    patches?: unknown[];
  } = {},
) {
  return {
    schemaVersion: 1,
    machineId: '0123456789abcdef0123456789abcdef',
    bootId: options.bootId ?? 'boot-1',
    buildId: options.buildId === undefined ? BUILD : options.buildId,
    seq: options.seq ?? 1,
    agentVersion: '0.1.0',
    interval: options.interval ?? 600,
    status: {
      release: '6.12.117+deb12-amd64',
      kind: 'replace-bool',
      attributes: ['replace'],
      patches: options.patches ?? [],
      modules: [],
      buildId: options.buildId === undefined ? BUILD : (options.buildId ?? undefined),
      livepatchable: { ok: true, reason: 'livepatches can be applied' },
      blocking: [],
      reboot: false,
    },
    kmp: null,
  };
}

/** An event body as an agent posts it after an apply. */
export function eventBody(more: Record<string, unknown> = {}) {
  return {
    kind: 'apply',
    planHash: 'c'.repeat(64),
    outcome: 'ok',
    step: null,
    reason: '',
    blocking: [],
    log: ["livepatch: enabling patch 'lp_a'"],
    predictedLog: ["livepatch: enabling patch 'lp_a'"],
    ...more,
  };
}
