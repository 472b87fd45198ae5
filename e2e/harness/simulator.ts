import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CompareOptions, comparedKernelLog } from './kernel-log.js';

const KLPM = fileURLToPath(new URL('../../bin/klpm.js', import.meta.url));

/** The compared lines of `klpm simulate FILE --log` (the built CLI: `npm test` builds first). */
export function simulatedLog(scenarioFile: string, options: CompareOptions): string[] {
  const out = execFileSync(process.execPath, [KLPM, 'simulate', scenarioFile, '--log'], { encoding: 'utf8' });
  return comparedKernelLog(out, options);
}
