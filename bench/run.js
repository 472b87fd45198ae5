#!/usr/bin/env node
// Runs every bench/*.bench.js in its own process, one after the other, so figures do not disturb
// each other. `npm run bench -- NAME` runs only the benchmarks whose file name contains NAME.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.js') && (!only || name.includes(only)))
  .sort();
let failed = 0;
for (const name of files) {
  process.stdout.write(`\n== ${name}\n`);
  const run = spawnSync(process.execPath, ['--expose-gc', join(here, name)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
