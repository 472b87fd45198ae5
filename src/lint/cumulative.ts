import { droppedFuncs } from './funcs.js';
import { RULES } from './rules.js';
import type { Finding, LintInput } from './types.js';

/**
 * What the replace reverts: every func of the replaced build that NEW does not patch gets a NOP
 * (klp_add_nops), so the original code runs again; a whole object NEW drops loses every fix in it.
 * Cumulative patches must carry every fix (Documentation/livepatch/cumulative-patches.rst).
 */
export function cumulativeFindings(next: LintInput, previous: LintInput): Finding[] {
  const findings: Finding[] = [];
  const kept = new Set(next.manifest.objects.map((o) => o.name));
  const dropped = droppedFuncs(previous.manifest, next.manifest);
  for (const obj of previous.manifest.objects) {
    if (kept.has(obj.name)) continue;
    const funcs = dropped.filter((f) => f.object === obj.name).map((f) => f.key);
    findings.push({
      rule: 'cumulative-object',
      ...RULES['cumulative-object'],
      file: next.file,
      other: previous.file,
      object: obj.name,
      funcs,
      message: `object '${obj.name}' is patched by '${previous.manifest.name}' and not by '${next.manifest.name}': the replace reverts ${
        funcs.length === 0 ? 'it (its callbacks no longer run)' : `every fix in it: ${funcs.join(', ')}`
      }`,
    });
  }
  for (const func of dropped) {
    if (!kept.has(func.object)) continue;
    findings.push({
      rule: 'cumulative-func',
      ...RULES['cumulative-func'],
      file: next.file,
      other: previous.file,
      object: func.object,
      func: func.name,
      sympos: func.sympos,
      message: `func '${func.key}' is patched by '${previous.manifest.name}' and not by '${next.manifest.name}': the replace gives it a NOP and the original code runs again (the fix is reverted)`,
    });
  }
  return findings;
}
