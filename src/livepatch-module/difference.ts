import type { PatchManifest } from '../klp/index.js';

/**
 * How a repository's manifest differs from the one read from the module file, in words, one line per
 * difference; empty when they agree. Sympos 0 and 1 are the same function (klp_find_object_symbol in
 * kernel/livepatch/core.c treats 0 as "the only one"). The replace set is compared only when the
 * module's layout carries one (`withReplaceSet`): on a replace-bool kernel klpm maps sets itself.
 * The version is compared only when both give one.
 */
export function manifestDifference(
  indexed: PatchManifest,
  file: PatchManifest,
  withReplaceSet = false,
): string[] {
  const out: string[] = [];
  if (indexed.name !== file.name) out.push(`name: index '${indexed.name}', file '${file.name}'`);
  if (indexed.replace !== file.replace) out.push(`replace: index ${indexed.replace}, file ${file.replace}`);
  if (withReplaceSet && indexed.replaceSet !== file.replaceSet)
    out.push(`replace set: index ${indexed.replaceSet}, file ${file.replaceSet}`);
  if (indexed.version !== undefined && file.version !== undefined && indexed.version !== file.version)
    out.push(`version: index '${indexed.version}', file '${file.version}'`);
  const states = (m: PatchManifest) =>
    [...m.states]
      .sort((a, b) => a.id - b.id)
      .map((s) => `${s.id}@${s.version}`)
      .join(', ') || 'none';
  if (states(indexed) !== states(file)) out.push(`states: index ${states(indexed)}, file ${states(file)}`);
  const objects = (m: PatchManifest) => new Map(m.objects.map((o) => [o.name, o]));
  const a = objects(indexed);
  const b = objects(file);
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    if (x === undefined) {
      out.push(`object '${name}': only in the file`);
      continue;
    }
    if (y === undefined) {
      out.push(`object '${name}': only in the index`);
      continue;
    }
    const funcs = (o: typeof x) => new Set(o.funcs.map((f) => `${f.name},${f.sympos || 1}`));
    const fx = funcs(x);
    const fy = funcs(y);
    const onlyIndex = [...fx].filter((f) => !fy.has(f));
    const onlyFile = [...fy].filter((f) => !fx.has(f));
    if (onlyIndex.length > 0) out.push(`object '${name}': funcs only in the index: ${onlyIndex.join(' ')}`);
    if (onlyFile.length > 0) out.push(`object '${name}': funcs only in the file: ${onlyFile.join(' ')}`);
    const cx = [...x.callbacks].sort().join(' ') || 'none';
    const cy = [...y.callbacks].sort().join(' ') || 'none';
    if (cx !== cy) out.push(`object '${name}': callbacks: index ${cx}, file ${cy}`);
  }
  return out;
}
