// `klpm fleet check` as a whole process, as an operator runs it: the generated fleet of
// fleet-data.js (100,000 hosts, 20,000 livepatch entries) written to hosts.jsonl and a klpm JSON
// index, then `node bin/klpm.js fleet check --json` timed by /usr/bin/time for wall time and peak
// RSS. `node -e 0` in the same run shows what Node itself costs on this machine.
// Limits: 1 s and 200 MB for the whole process. CPU time (user + system) is printed too: on a
// loaded machine it says what the wall time would be alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFleet, HOSTS } from './fleet-data.js';

const LIMIT_S = 1;
const LIMIT_MB = 200;
const RUNS = 3;
const klpm = join(dirname(fileURLToPath(import.meta.url)), '../bin/klpm.js');
const dir = mkdtempSync(join(tmpdir(), 'klpm-fleet-bench-'));

/** The fastest of RUNS runs of a command under /usr/bin/time: seconds and peak RSS in MB. */
function measure(args) {
  let best;
  for (let run = 0; run < RUNS; run++) {
    const out = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    if (out.status !== 0)
      throw new Error(`${args.join(' ')} failed (${out.status}): ${out.stderr.slice(-500)}`);
    const [seconds, kb, user, system] = out.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    const figure = { seconds, cpu: user + system, mb: kb / 1024, stdout: out.stdout };
    if (best === undefined || figure.seconds < best.seconds) best = figure;
  }
  return best;
}

try {
  const { updates, hosts } = generateFleet();
  const index = join(dir, 'index.json');
  const hostsFile = join(dir, 'hosts.jsonl');
  writeFileSync(index, JSON.stringify({ format: 'klpm-repository-index', version: 1, updates }));
  writeFileSync(hostsFile, `${hosts.map((h) => JSON.stringify(h)).join('\n')}\n`);

  const node = measure([process.execPath, '-e', '0']);
  const fleet = measure([
    process.execPath,
    klpm,
    'fleet',
    'check',
    '--repo',
    index,
    '--hosts',
    hostsFile,
    '--now',
    '2026-01-01',
    '--json',
  ]);
  const lines = fleet.stdout.split('\n').filter((l) => l !== '').length;
  console.log(`fleet check process: ${HOSTS} hosts, ${lines} answer lines (fastest of ${RUNS} runs)`);
  console.log(
    `node -e 0:           ${node.seconds.toFixed(2)} s (cpu ${node.cpu.toFixed(2)} s), ${node.mb.toFixed(0)} MB peak RSS`,
  );
  console.log(
    `klpm fleet check:    ${fleet.seconds.toFixed(2)} s (cpu ${fleet.cpu.toFixed(2)} s), ${fleet.mb.toFixed(0)} MB peak RSS (limits ${LIMIT_S} s, ${LIMIT_MB} MB)`,
  );
  if (lines !== HOSTS || fleet.seconds > LIMIT_S || fleet.mb > LIMIT_MB) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
