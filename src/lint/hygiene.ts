import { funcsOf } from './funcs.js';
import { RULES } from './rules.js';
import type { Finding, LintInput, SymbolTable } from './types.js';

/** What only a module file shows: modinfo and the symbols the patch resolves at load. */
export function hygieneFindings(
  next: LintInput,
  kernelRelease: string | undefined,
  symbols: SymbolTable | undefined,
  notes: string[],
): Finding[] {
  const findings: Finding[] = [];
  const { modinfo } = next;
  if (modinfo === undefined) {
    if (kernelRelease !== undefined)
      notes.push(
        `${next.file} is a manifest: it has no modinfo, so livepatch=Y and vermagic were not checked`,
      );
  } else {
    if (modinfo.livepatch !== 'Y')
      findings.push({
        rule: 'hygiene-livepatch',
        ...RULES['hygiene-livepatch'],
        file: next.file,
        message: `modinfo has no livepatch=Y (MODULE_INFO(livepatch, "Y")): the kernel does not mark the module as a livepatch and klp_enable_patch refuses it ("is not marked as a livepatch module"), EINVAL`,
      });
    const built = modinfo.vermagic?.split(' ')[0];
    if (kernelRelease !== undefined && built !== kernelRelease)
      findings.push({
        rule: 'hygiene-vermagic',
        ...RULES['hygiene-vermagic'],
        file: next.file,
        message:
          modinfo.vermagic === undefined
            ? `modinfo has no vermagic: the module loader refuses it for ${kernelRelease} (ENOEXEC)`
            : `vermagic '${modinfo.vermagic}' is for kernel ${built}, not ${kernelRelease}: the module loader refuses it ("version magic … should be …", ENOEXEC)`,
      });
  }
  if (symbols !== undefined) findings.push(...symbolFindings(next, symbols, notes));
  return findings;
}

/**
 * Each function the patch replaces and each `.klp.sym` symbol is looked up at load by object, name
 * and position (klp_find_object_symbol): a name that is not there fails the load; sympos N needs at
 * least N symbols of that name; sympos 0 needs exactly one (klp_match_callback stops at the second:
 * "unresolvable ambiguity").
 */
function symbolFindings(next: LintInput, table: SymbolTable, notes: string[]): Finding[] {
  const wanted = [
    ...funcsOf(next.manifest).map((f) => ({
      object: f.object,
      symbol: f.name,
      sympos: f.sympos,
      what: 'func',
    })),
    ...(next.klpSyms ?? []).map((s) => ({ ...s, what: '.klp.sym symbol' })),
  ];
  const findings: Finding[] = [];
  const unchecked = new Set<string>();
  for (const { object, symbol, sympos, what } of wanted) {
    const names = table.objects.get(object);
    if (names === undefined) {
      unchecked.add(object);
      continue;
    }
    const count = names.get(symbol) ?? 0;
    const base = { file: next.file, object, symbol, sympos };
    const where = `'${object}' in ${table.source}`;
    if (count === 0)
      findings.push({
        rule: 'hygiene-symbol',
        ...RULES['hygiene-symbol'],
        ...base,
        message: `${what} '${symbol}' is not in ${where}: the kernel cannot resolve it and refuses the load`,
      });
    else if (sympos > count)
      findings.push({
        rule: 'hygiene-sympos',
        ...RULES['hygiene-sympos'],
        ...base,
        message: `${what} '${symbol}' has sympos ${sympos}, but ${where} has ${count} symbol${count === 1 ? '' : 's'} of that name: the kernel finds no symbol at that position and refuses the load`,
      });
    else if (sympos === 0 && count > 1)
      findings.push({
        rule: 'hygiene-sympos',
        ...RULES['hygiene-sympos'],
        ...base,
        message: `${what} '${symbol}' has sympos 0, but ${where} has ${count} symbols of that name: the kernel refuses the ambiguity; give the position (1 to ${count})`,
      });
  }
  for (const object of unchecked)
    notes.push(
      `${table.source} has no symbols of '${object}' (not loaded, or a System.map): its symbols were not checked`,
    );
  return findings;
}
