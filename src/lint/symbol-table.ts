import { InputError } from '../input/index.js';
import type { SymbolTable } from './types.js';

/**
 * A System.map (`nm -n vmlinux`: `ADDRESS TYPE NAME`) or a /proc/kallsyms dump (the same, and module
 * symbols with a tab and `[MODULE]`, kernel/module/kallsyms.c s_show). Addresses are hex (all zeros
 * in a dump read without CAP_SYSLOG); the type is nm's letter. Any other line is refused with its
 * line number: a half-copied dump must not make every symbol look missing.
 */
const LINE = /^([0-9a-fA-F]{1,16}) ([A-Za-z?-]) ([^\s[\]]+)(?:\t\[([A-Za-z0-9_.-]+)\])?$/;

export function parseSymbolTable(text: string, source: string): SymbolTable {
  const objects = new Map<string, Map<string, number>>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const match = LINE.exec(line);
    if (!match)
      throw new InputError(
        'expected a System.map or /proc/kallsyms line: ADDRESS TYPE NAME, optionally a tab and [MODULE]',
        source,
        `${i + 1}`,
      );
    const object = match[4] ?? 'vmlinux';
    const names = objects.get(object) ?? new Map<string, number>();
    objects.set(object, names);
    names.set(match[3]!, (names.get(match[3]!) ?? 0) + 1);
  });
  if (objects.size === 0)
    throw new InputError('no symbols: expected a System.map or /proc/kallsyms dump', source);
  return { source, objects };
}
