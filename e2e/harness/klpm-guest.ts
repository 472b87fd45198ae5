import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { E2E_DIR } from './kernels.js';

/**
 * What the klpm-driven scenarios need in the guest: this checkout's klpm run with the host's node,
 * and three repositories in the work directory (seen in the guest as /tmp/klpm-e2e/<repo>/, through
 * the chroot), each a klpm JSON index with the e2e livepatch modules. The index names the running
 * kernel's build ID, which only the guest can read: the harness writes a template and the guest
 * fills it in (guest/write-index.mjs) before the scenario starts.
 */

export const KLPM_BIN = fileURLToPath(new URL('../../bin/klpm.js', import.meta.url));
/** The guest's view of the work directory, inside the chroot of the host's root. */
export const GUEST_WORK = '/tmp/klpm-e2e';
export const VERSIONS = { klpm_e2e_v1: '1.0-1.1', klpm_e2e_v2: '1.0-1.2' } as const;
type Patch = keyof typeof VERSIONS;

/**
 * Each repository: the patches it offers. `tampered` ships a v2 file one byte longer than indexed;
 * `otherBuild` lists that patch for another kernel build, so the newest livepatch no longer covers
 * the guest's (end of life); `otherVermagic` ships that patch built, as its modinfo says, for another
 * kernel release (its sha256 indexed as shipped).
 */
export const REPOSITORIES: Readonly<
  Record<
    string,
    { patches: Patch[]; tampered?: Patch; otherBuild?: Patch; otherVermagic?: Patch; noManifests?: boolean }
  >
> = {
  'repo-v1': { patches: ['klpm_e2e_v1'] },
  'repo-v2': { patches: ['klpm_e2e_v1', 'klpm_e2e_v2'] },
  // an older index: files and sha256 but no manifests, which klpm reads from the files
  'repo-v2-files': { patches: ['klpm_e2e_v1', 'klpm_e2e_v2'], noManifests: true },
  'repo-bad': { patches: ['klpm_e2e_v1', 'klpm_e2e_v2'], tampered: 'klpm_e2e_v2' },
  'repo-eol': { patches: ['klpm_e2e_v1', 'klpm_e2e_v2'], otherBuild: 'klpm_e2e_v2' },
  'repo-vermagic': { patches: ['klpm_e2e_v1'], otherVermagic: 'klpm_e2e_v1' },
};

/** A build ID no kernel has (20 bytes, as GNU ld's sha1 build IDs). */
const OTHER_BUILD_ID = 'e2e0'.repeat(10);

/**
 * The module's bytes with the release in its modinfo `vermagic=` string changed (its first digit
 * bumped), so the file claims to be built for another kernel release, as `modinfo -F vermagic`
 * reads it. (The kernel itself would load it: with CRCs, same_magic in kernel/module/version.c
 * skips the release; klpm's own check must refuse it.)
 */
function withOtherVermagic(bytes: Buffer): Buffer {
  const at = bytes.indexOf('vermagic=');
  if (at < 0) throw new Error('e2e livepatch module has no vermagic= in its modinfo');
  const copy = Buffer.from(bytes);
  const digit = at + 'vermagic='.length;
  copy[digit] = copy[digit] === 0x39 ? 0x31 : (copy[digit] ?? 0x30) + 1;
  return copy;
}

/** The manifests of the e2e livepatches, as e2e/scenarios/upgrade-v2.yaml describes the modules. */
function manifests(): Record<Patch, unknown> {
  const scenario = parse(readFileSync(join(E2E_DIR, 'scenarios', 'upgrade-v2.yaml'), 'utf8')) as {
    patches: Array<{ name: Patch }>;
  };
  return Object.fromEntries(scenario.patches.map((p) => [p.name, p])) as Record<Patch, unknown>;
}

/** Writes the repositories (module files and index templates) and klpm.sh into a guest's work directory. */
export function prepareRepositories(workDir: string): void {
  cpSync(join(E2E_DIR, 'guest', 'klpm.sh'), join(workDir, 'klpm.sh'));
  const manifest = manifests();
  for (const [repo, { patches, tampered, otherBuild, otherVermagic, noManifests }] of Object.entries(
    REPOSITORIES,
  )) {
    const dir = join(workDir, repo);
    mkdirSync(dir);
    const livepatches = patches.map((patch, i) => {
      const built = readFileSync(join(workDir, 'modules', `${patch}.ko`));
      const bytes = patch === otherVermagic ? withOtherVermagic(built) : built;
      const shipped = patch === tampered ? Buffer.concat([bytes, Buffer.from([0])]) : bytes;
      writeFileSync(join(dir, `${patch}.ko`), shipped);
      return {
        id: `KLPM-E2E-${i + 1}`,
        issued: `2026-11-0${i + 1}`,
        livepatches: [
          {
            component: 'kernel',
            baseBuildId: patch === otherBuild ? OTHER_BUILD_ID : '@BUILD_ID@',
            base: '1.0-1',
            to: VERSIONS[patch],
            file: `${patch}.ko`,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            ...(noManifests ? {} : { manifest: manifest[patch] }),
          },
        ],
      };
    });
    const index = { format: 'klpm-repository-index', version: 1, updates: livepatches };
    writeFileSync(join(dir, 'index.template.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
}

/** The guest script: the repositories filled in, the target module loaded, then `body`, then the sysfs dump. */
export function klpmGuestScript(body: string): string {
  const pairs = Object.keys(REPOSITORIES).flatMap((repo) => [
    `${GUEST_WORK}/${repo}/index.template.json`,
    `${GUEST_WORK}/${repo}/index.json`,
  ]);
  return [
    '. /work/steps.sh',
    `KLPM_NODE='${process.execPath}'`,
    `KLPM_BIN='${KLPM_BIN}'`,
    `KLPM_CHECKOUT='${dirname(dirname(KLPM_BIN))}'`,
    '. /work/klpm.sh',
    `chroot /host "$KLPM_NODE" '${join(E2E_DIR, 'guest', 'write-index.mjs')}' ${GUEST_WORK}/out/build-id ${pairs.join(' ')}`,
    'step_load klpm_e2e_target; klp_settle 600',
    body.trim(),
    'klp_dump_sysfs >/work/sysfs.txt',
    '',
  ].join('\n');
}

/** What one klpm command left in the work directory. */
export interface CommandOutput {
  readonly rc: number | undefined;
  readonly out: string;
  readonly err: string;
}

export function commandOutput(workDir: string, label: string): CommandOutput {
  const read = (ext: string) => {
    const file = join(workDir, 'out', `${label}.${ext}`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  const rc = read('rc').trim();
  return { rc: rc === '' ? undefined : Number(rc), out: read('out'), err: read('err') };
}

/** The part of a kernel log between `klpm-e2e: @ <label>` and the next such marker. */
export function logOfCommand(dmesg: string, label: string): string {
  const lines = dmesg.split('\n');
  const start = lines.findIndex((line) => line.trimEnd() === `klpm-e2e: @ ${label}`);
  if (start < 0) return '';
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('klpm-e2e: @ '));
  return (end < 0 ? rest : rest.slice(0, end)).join('\n');
}
