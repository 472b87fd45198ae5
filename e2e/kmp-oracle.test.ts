import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModuleFiles } from '../src/host/modules/module-files.js';
import { runCli } from '../test/support/run-cli.js';
import { E2E_DIR, type E2eKernel } from './harness/kernels.js';
import { kernelModuleDir, kernelSymvers, type OracleCase, oracleCases } from './harness/kmp-oracle.js';
import { e2eKernels, runGuest } from './harness/qemu.js';

/**
 * The module loader as the KMP oracle. For each e2e kernel (6.1, 6.12, 7.3), .ci/kmp-oracle.sh built
 * one small module (e2e/kmp-oracle/klpm_oracle.c) per case against the headers of another ABI of the
 * kernel's series: an older ABI whose CRCs differ for a symbol the module uses, one whose CRCs match,
 * the -rt flavor (other vermagic flags, given the kernel's flavor in kmp.json so that the loader's
 * vermagic rule decides, not KR-FLAVOR), another 7.x release. klpm judges each for the kernel
 * (`kmp add-kernel` from the kernel's own files, `kmp add`, `kmp resolve`); real depmod judges the
 * same tree; then one guest boot per kernel insmods every module. Every module klpm links must load;
 * every module the kernel loads must be linked by klpm, or be refused by a rule docs/kmp.md names as
 * deliberately stricter (STRICTER).
 */

/** klpm's reasons that refuse modules the loader would take, and the docs' rule for each. None today. */
const STRICTER: Readonly<Record<string, string>> = {};

const { kernels, skipReason } = e2eKernels('KMP oracle');
const prepared = kernels.map((kernel) => ({ kernel, cases: oracleCases(kernel) }));
const missing = prepared.filter((p) => p.cases === undefined).map((p) => p.kernel.release);
const skip =
  skipReason ??
  (missing.length > 0 ? `no oracle modules for ${missing.join(', ')}: run .ci/e2e-setup.sh` : undefined);
if (skip !== undefined && skipReason === undefined) console.warn(`klpm e2e: KMP oracle skipped: ${skip}`);

interface Verdict {
  /** klpm linked the case's build for the kernel */
  klpm: boolean;
  /** klpm's reasons when it did not */
  klpmReasons: string[];
  /** depmod -e -E warned about the module */
  depmod: string | undefined;
  /** insmod in the guest succeeded */
  loader: boolean;
  /** the kernel's log line for the module when it refused it */
  loaderMessage: string | undefined;
}

const work = mkdtempSync(join(tmpdir(), 'klpm-kmp-oracle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const verdicts = new Map<string, Map<string, Verdict>>();

/** A root with a sample of the kernel's real modules (symlinks) and its Module.symvers. */
async function kernelRoot(kernel: E2eKernel): Promise<string> {
  const root = join(work, kernel.release, 'root');
  const from = kernelModuleDir(kernel);
  // 7.x: laid out as Debian's packages are, under /usr/lib/modules only
  const to = join(root, kernel.series.startsWith('7.') ? 'usr/lib/modules' : 'lib/modules', kernel.release);
  const all = await listModuleFiles([from]);
  const step = Math.max(1, Math.floor(all.length / 150));
  for (const path of all.filter((_, i) => i % step === 0)) {
    const link = join(to, relative(from, path));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(path, link);
  }
  const headers = join(root, 'usr/src', `linux-headers-${kernel.release}`);
  mkdirSync(headers, { recursive: true });
  symlinkSync(kernelSymvers(kernel), join(headers, 'Module.symvers'));
  return root;
}

function packageDir(kernel: E2eKernel, c: OracleCase): string {
  const dir = join(work, kernel.release, 'pkgs', c.name);
  mkdirSync(dir, { recursive: true });
  cpSync(c.file, join(dir, basename(c.file)));
  writeFileSync(
    join(dir, 'kmp.json'),
    JSON.stringify({
      package: `oracle-${c.name.replaceAll('_', '-')}`,
      version: '1',
      kernel: c.builtFor,
      // the e2e kernel's flavor, so that a -rt build is judged by the loader's rules, not KR-FLAVOR
      flavor: 'amd64',
      modules: [{ file: basename(c.file) }],
    }),
  );
  return dir;
}

/** What klpm says: linked (a weak-updates link for the kernel) or the reasons of its rejection. */
async function klpmVerdicts(kernel: E2eKernel, cases: OracleCase[]) {
  const root = await kernelRoot(kernel);
  const kmp = (args: string[]) => runCli(['kmp', ...args, '--root', root, '--no-depmod', '--json']);
  const added = await kmp(['add-kernel', kernel.release]);
  expect(added.stderr).toBe('');
  for (const c of cases) {
    const run = await kmp(['add', packageDir(kernel, c)]);
    expect(run.code, run.stderr).toBe(0);
  }
  const resolved = JSON.parse((await kmp(['resolve'])).stdout) as ResolveJson;
  const out = new Map<string, { linked: boolean; reasons: string[] }>();
  for (const c of cases) {
    const linked = existsSync(join(root, 'lib/modules', kernel.release, 'weak-updates', basename(c.file)));
    const reasons = rejectionsOf(resolved, kernel.release, `oracle-${c.name.replaceAll('_', '-')}`);
    out.set(c.name, { linked, reasons });
  }
  return { root, out };
}

interface ResolveJson {
  readonly kernels?: ReadonlyArray<{
    readonly kernel: string;
    readonly rejected?: ReadonlyArray<{
      readonly package: string;
      readonly reasons: ReadonlyArray<{ kind: string; symbol?: string }>;
    }>;
  }>;
}

function rejectionsOf(resolved: ResolveJson, release: string, pkg: string): string[] {
  const kernel = resolved.kernels?.find((k) => k.kernel === release);
  return (kernel?.rejected ?? [])
    .filter((r) => r.package === pkg)
    .flatMap((r) => r.reasons.map((x) => (x.symbol === undefined ? x.kind : `${x.kind} ${x.symbol}`)));
}

/** depmod -e -E over the sample tree plus the oracle modules in extra/: the modules it warns about. */
function depmodWarnings(kernel: E2eKernel, root: string, cases: OracleCase[]): Map<string, string> {
  const droot = join(work, kernel.release, 'depmod');
  const tree = join(root, kernel.series.startsWith('7.') ? 'usr/lib/modules' : 'lib/modules', kernel.release);
  const into = join(droot, 'lib/modules', kernel.release);
  mkdirSync(dirname(into), { recursive: true });
  cpSync(tree, into, { recursive: true, verbatimSymlinks: true });
  rmSync(join(into, 'weak-updates'), { recursive: true, force: true });
  mkdirSync(join(into, 'extra'), { recursive: true });
  for (const c of cases) symlinkSync(c.file, join(into, 'extra', basename(c.file)));
  const run = spawnSync('depmod', ['-b', droot, '-e', '-E', kernelSymvers(kernel), '-n', kernel.release], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const warnings = new Map<string, string>();
  for (const c of cases) {
    const line = run.stderr.split('\n').find((l) => l.includes(`/extra/${basename(c.file)} `));
    if (line !== undefined) warnings.set(c.name, line.replace(/^.*\.ko /, ''));
  }
  return warnings;
}

/** One boot: insmod each module (rmmod again when it loaded); `name rc` lines in oracle.txt. */
function guestScript(cases: OracleCase[]): string {
  return [
    ...cases.map(
      (c) =>
        `if insmod /work/oracle/${basename(c.file)}; then echo '${c.name} 0' >>/work/oracle.txt; rmmod ${basename(c.file, '.ko')}; else echo '${c.name} 1' >>/work/oracle.txt; fi`,
    ),
    '',
  ].join('\n');
}

describe.skipIf(skip !== undefined)('the module loader as the KMP oracle', () => {
  beforeAll(async () => {
    await Promise.all(
      prepared.map(async ({ kernel, cases = [] }) => {
        const { root, out } = await klpmVerdicts(kernel, cases);
        const depmod = depmodWarnings(kernel, root, cases);
        const run = await runGuest(kernel, guestScript(cases), 120_000, (dir) => {
          mkdirSync(join(dir, 'oracle'));
          for (const c of cases) cpSync(c.file, join(dir, 'oracle', basename(c.file)));
        });
        const rcs = new Map(
          readFileSync(join(run.workDir, 'oracle.txt'), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => line.split(' ') as [string, string]),
        );
        const table = new Map<string, Verdict>();
        for (const c of cases) {
          const module = basename(c.file, '.ko');
          table.set(c.name, {
            klpm: out.get(c.name)?.linked ?? false,
            klpmReasons: out.get(c.name)?.reasons ?? [],
            depmod: depmod.get(c.name),
            loader: rcs.get(c.name) === '0',
            loaderMessage: run.dmesg
              .split('\n')
              .find((l) => l.includes(`${module}:`) && !l.includes('loaded')),
          });
        }
        verdicts.set(kernel.release, table);
        console.log(
          [
            `KMP oracle on ${kernel.release}:`,
            ...cases.map((c) => {
              const v = table.get(c.name);
              return `  ${c.name} (built for ${c.builtFor}): klpm ${v?.klpm ? 'links' : `refuses (${v?.klpmReasons.join(', ')})`}; depmod ${v?.depmod ?? 'accepts'}; the kernel ${v?.loader ? 'loads it' : `refuses: ${v?.loaderMessage ?? '?'}`}`;
            }),
          ].join('\n'),
        );
      }),
    );
  }, 600_000);

  for (const { kernel, cases = [] } of prepared) {
    it(`${kernel.release}: every module klpm links loads`, () => {
      const table = verdicts.get(kernel.release);
      expect(table?.size).toBe(cases.length);
      for (const c of cases) {
        const v = table?.get(c.name);
        if (v?.klpm)
          expect(v.loader, `${c.name}: linked by klpm, refused by the kernel: ${v.loaderMessage}`).toBe(true);
      }
    });
    it(`${kernel.release}: every module the kernel loads is linked by klpm, or docs/kmp.md names the stricter rule`, () => {
      const docs = readFileSync(join(E2E_DIR, '..', 'docs', 'kmp.md'), 'utf8');
      for (const c of cases) {
        const v = verdicts.get(kernel.release)?.get(c.name);
        if (!v?.loader || v.klpm) continue;
        for (const reason of v.klpmReasons) {
          const rule = STRICTER[reason.split(' ')[0] ?? reason];
          expect(rule, `${c.name}: the kernel loads it, klpm refuses it (${reason})`).toBeDefined();
          expect(docs).toContain(rule);
        }
      }
    });
    it(`${kernel.release}: the cases are not vacuous: the kernel loads one and refuses one`, () => {
      const table = [...(verdicts.get(kernel.release)?.values() ?? [])];
      expect(table.some((v) => v.loader)).toBe(true);
      expect(table.some((v) => !v.loader)).toBe(true);
    });
  }
});
