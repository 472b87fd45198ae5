import type { ModuleImage } from './image.js';
import type { KlpRelaSection, KlpSym } from './types.js';

const SYM_PREFIX = '.klp.sym.';
const RELA_PREFIX = '.klp.rela.';

/**
 * `.klp.sym.<object>.<symbol>,<sympos>` (Documentation/livepatch/module-elf-format.rst): the object
 * is a module name (no dots); the symbol may hold dots (`foo.isra.0`), so the sympos is after the
 * last comma. A name that does not parse is left out; klp_resolve_symbols would refuse it at load.
 */
export function readKlpSyms(image: ModuleImage): KlpSym[] {
  const syms: KlpSym[] = [];
  const seen = new Set<string>();
  for (const symbol of image.symbols) {
    if (!symbol.name.startsWith(SYM_PREFIX) || seen.has(symbol.name)) continue;
    seen.add(symbol.name);
    const rest = symbol.name.slice(SYM_PREFIX.length);
    const dot = rest.indexOf('.');
    const comma = rest.lastIndexOf(',');
    if (dot <= 0 || comma < dot + 2) continue;
    const sympos = rest.slice(comma + 1);
    if (!/^\d+$/.test(sympos)) continue;
    syms.push({ object: rest.slice(0, dot), symbol: rest.slice(dot + 1, comma), sympos: Number(sympos) });
  }
  return syms;
}

/** `.klp.rela.<object>.<section>`: relocations applied when the object is there (klp_apply_section_relocs). */
export function readKlpRelaSections(image: ModuleImage): KlpRelaSection[] {
  return image.elf.sections
    .filter((s) => s.name.startsWith(RELA_PREFIX))
    .flatMap((s) => {
      const rest = s.name.slice(RELA_PREFIX.length);
      const dot = rest.indexOf('.');
      return dot <= 0 ? [] : [{ object: rest.slice(0, dot), section: rest.slice(dot + 1) }];
    });
}
