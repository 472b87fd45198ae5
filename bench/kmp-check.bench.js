// Wall time of `klpm kmp check` over a whole Debian 6.1 module tree (about 4,000 .ko) against an
// older ABI's Module.symvers, and over a whole 6.12 tree (.ko.xz) against its own, next to the real
// `depmod -n -e -E` on the same tree, in the same run.
// Targets (docs/kmp.md, "Speed"): cold (no metadata cache) <= 1.0x depmod, warm (cached metadata) <= 0.1x.
// Both read files from the page cache (each is run once before timing). Needs .ci/fetch-kernels.sh.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const RUNS = 3;
const klpm = fileURLToPath(new URL('../bin/klpm.js', import.meta.url));
const cache = process.env.KLPM_CACHE ?? join(process.env.HOME ?? '/nonexistent', '.cache', 'klpm');
const pairFile = join(cache, 'kabi', 'pair.env');
const depmod = ['/usr/sbin/depmod', '/sbin/depmod'].find((path) => existsSync(path));
if (!existsSync(pairFile) || depmod === undefined) {
  console.log(
    `skipped: ${depmod === undefined ? 'depmod not installed' : `no ${pairFile} (run .ci/fetch-kernels.sh)`}`,
  );
  process.exit(0);
}
const pair = Object.fromEntries(
  readFileSync(pairFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const work = mkdtempSync(join(tmpdir(), 'klpm-bench-kmp-'));
mkdirSync(join(work, 'root', 'lib', 'modules'), { recursive: true });

function time(command, args) {
  const start = performance.now();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const ms = performance.now() - start;
  if (run.status !== 0 && run.status !== 1)
    throw new Error(`${command} ${args.join(' ')}: exit ${run.status}`);
  return ms;
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
function measure(command, args, runs) {
  time(command, args); // page cache
  return median(Array.from({ length: runs }, () => time(command, args)));
}

function bench(label, release, modules, symvers, runs, warmRuns) {
  symlinkSync(modules, join(work, 'root', 'lib', 'modules', release));
  const cacheDir = join(work, `cache-${release}`);
  const depmodArgs = ['-b', join(work, 'root'), '-n', '-e', '-E', symvers, release];
  const checkArgs = [klpm, 'kmp', 'check', '--symvers', symvers, modules];
  const depmodMs = measure(depmod, depmodArgs, runs);
  const coldMs = measure(process.execPath, [...checkArgs, '--no-cache'], runs);
  time(process.execPath, [...checkArgs, '--cache-dir', cacheDir]); // fill the cache
  const warmMs = measure(process.execPath, [...checkArgs, '--cache-dir', cacheDir], warmRuns);
  const line = (what, ms, target) =>
    console.log(
      `${what.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ratio ${(ms / depmodMs).toFixed(2)}x${target ? `  (target <= ${target}x)` : ''}`,
    );
  console.log(`\n${label}\ntree: ${modules}\nsymvers: ${symvers}`);
  line('depmod -n -e -E (peer)', depmodMs);
  line('klpm kmp check, cold (no cache)', coldMs, '1.0');
  line('klpm kmp check, warm (cached)', warmMs, '0.1');
  console.log(`load average after: ${loadavg()[0].toFixed(2)}`);
}

// wall times mean little on a busy machine: say how busy it was
console.log(`cores: ${availableParallelism()}, load average before: ${loadavg()[0].toFixed(2)}`);
// no Node process can be faster than this: the floor under every klpm figure
console.log(`node start-up (node -e 0): ${measure(process.execPath, ['-e', '0'], 5).toFixed(0)} ms`);
try {
  bench(
    'Debian 6.1, uncompressed .ko',
    pair.KABI_A_RELEASE,
    pair.KABI_A_MODULES,
    pair.KABI_B_SYMVERS,
    RUNS,
    RUNS,
  );
  if (pair.KABI_XZ_MODULES && existsSync(pair.KABI_XZ_MODULES))
    bench('Debian 6.12, .ko.xz', pair.KABI_XZ_RELEASE, pair.KABI_XZ_MODULES, pair.KABI_XZ_SYMVERS, 1, RUNS);
  else console.log('\n6.12 .ko.xz tree: skipped (not in pair.env; run .ci/fetch-kernels.sh)');
} finally {
  rmSync(work, { recursive: true, force: true });
}
