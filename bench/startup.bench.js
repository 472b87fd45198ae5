// Start-up of the klpm CLI as users run it (bin/klpm.js, after npm run build), next to `node -e 0`
// measured in the same run: no Node process starts faster, so the ratio is what klpm adds.
// Targets: `klpm --version` <= 1.5x node -e 0; `klpm status --json` on a fake machine <= 2.5x with
// <= 60 MB peak RSS; `klpm simulate examples/klp/replace-set-upgrade.yaml` <= 2x.
// Each round runs every command once, in turn, so a busy machine slows all of them alike; the
// figure is the median over the rounds. Peak RSS comes from /usr/bin/time (skipped without it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.KLPM_BENCH_ROUNDS ?? 31);
const WARMUP = 3;
const RSS_RUNS = 5;
const repo = fileURLToPath(new URL('..', import.meta.url));
const klpm = join(repo, 'bin', 'klpm.js');
const work = mkdtempSync(join(tmpdir(), 'klpm-bench-startup-'));

/**
 * A machine as a real 6.12 kernel shows it with one livepatch loaded (the listing e2e/fixtures/
 * 6.12/upgrade-v2.sysfs holds, as test/host/status.test.ts builds it): /sys/kernel/livepatch,
 * /sys/module/<patch>/version, /proc/sys/kernel/osrelease and /proc/modules.
 */
function fakeMachine() {
  const root = join(work, 'machine');
  const listing = readFileSync(join(repo, 'e2e/fixtures/6.12/upgrade-v2.sysfs'), 'utf8');
  for (const line of listing.split('\n').filter(Boolean)) {
    const name = line.split('=')[0];
    const full = join(root, line.startsWith('/') ? name : join('sys/kernel/livepatch', name));
    if (line.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, line.includes('=') ? `${line.slice(line.indexOf('=') + 1)}\n` : '');
    }
  }
  mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(join(root, 'proc/sys/kernel/osrelease'), '6.12.117+deb12-amd64\n');
  writeFileSync(
    join(root, 'proc/modules'),
    'klpm_e2e_v2 16384 1 - Live 0x0 (K)\nklpm_e2e_target 16384 1 klpm_e2e_v2, Live 0x0 (O)\n',
  );
  return root;
}

const empty = join(work, 'empty');
mkdirSync(empty);
const machine = fakeMachine();
const cases = [
  { label: 'node -e 0 (floor)', args: ['-e', '0'] },
  { label: 'klpm --version', args: [klpm, '--version'], ratio: 1.5 },
  {
    label: 'klpm status --json (6.12, 1 patch)',
    args: [klpm, 'status', '--json', '--root', machine],
    ratio: 2.5,
    rssMb: 60,
  },
  {
    label: 'klpm status --json (empty root)',
    args: [klpm, 'status', '--json', '--root', empty],
    ratio: 2.5,
    rssMb: 60,
  },
  {
    label: 'klpm simulate replace-set-upgrade',
    args: [klpm, 'simulate', join(repo, 'examples/klp/replace-set-upgrade.yaml')],
    ratio: 2,
  },
];

function time(args) {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${run.status}\n${run.stderr}`);
  return ms;
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Peak RSS in MB (10^6 bytes) of `node args`, the median of a few runs; undefined without /usr/bin/time. */
function peakRssMb(args) {
  if (!existsSync('/usr/bin/time')) return undefined;
  const kib = Array.from({ length: RSS_RUNS }, () => {
    const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' });
    return Number(run.stderr.trim().split('\n').at(-1));
  });
  return (median(kib) * 1024) / 1e6;
}

console.log(`cores: ${availableParallelism()}, load average before: ${loadavg()[0].toFixed(2)}`);
const cacheFile = join(repo, 'dist', 'klpm.cjs.cache');
console.log(
  `code cache: ${existsSync(cacheFile) ? 'dist/klpm.cjs.cache' : 'none (npm run build writes it)'}`,
);
for (let round = 0; round < WARMUP; round++) for (const c of cases) time(c.args);
const samples = cases.map(() => []);
for (let round = 0; round < ROUNDS; round++)
  for (const [i, c] of cases.entries()) samples[i].push(time(c.args));
const floor = median(samples[0]);
let missed = 0;
console.log(`${ROUNDS} rounds, medians:`);
cases.forEach((c, i) => {
  const ms = median(samples[i]);
  const rss = peakRssMb(c.args);
  const ratio = ms / floor;
  const notes = [];
  if (c.ratio !== undefined) {
    notes.push(`target <= ${c.ratio}x: ${ratio <= c.ratio ? 'met' : 'MISSED'}`);
    if (ratio > c.ratio) missed++;
  }
  if (c.rssMb !== undefined && rss !== undefined) {
    notes.push(`RSS target <= ${c.rssMb} MB: ${rss <= c.rssMb ? 'met' : 'MISSED'}`);
    if (rss > c.rssMb) missed++;
  }
  console.log(
    `${c.label.padEnd(36)} ${ms.toFixed(0).padStart(4)} ms  ${ratio.toFixed(2)}x` +
      `  peak RSS ${rss === undefined ? '  n/a' : rss.toFixed(1).padStart(5)} MB${notes.length ? `  (${notes.join('; ')})` : ''}`,
  );
});
console.log(`load average after: ${loadavg()[0].toFixed(2)}`);
rmSync(work, { recursive: true, force: true });
if (missed > 0) console.log(`${missed} start-up target(s) missed`);
