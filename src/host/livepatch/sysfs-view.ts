import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelKind } from '../../klp/index.js';
import type { HostLivepatchView, HostObject, HostPatch } from '../../plan/index.js';
import { readBoundedText } from '../files.js';
import { problemOf, type ReadProblem } from '../read-problem.js';

/**
 * Reads what a running kernel shows of its livepatches from /sys/kernel/livepatch, /sys/module and
 * /proc under `root` (kernel/livepatch/core.c patch_attrs, object and func kobjects). What cannot
 * be read (a file where a directory should be, a symlink loop, a value the kernel never writes)
 * is left out of the view and added to `problems`; a file the kernel does not have is just absent.
 */

const OPTIONAL = ['replace', 'replace_set', 'provides', 'obsoletes', 'stack_order'] as const;
const PATCH_FILES = new Set(['enabled', 'transition', 'force', 'signal', ...OPTIONAL]);
/** More patches, objects or funcs than any kernel loads: the directory is not the kernel's. */
const MAX_ENTRIES = 65536;

/** The readers of one view, adding what they cannot read to `problems`. */
function readers(problems: ReadProblem[]) {
  const note = (path: string, problem: string) => problems.push({ path, problem });
  /** A sysfs or proc file's value, trimmed; undefined when absent or unreadable. */
  const text = async (path: string) => {
    try {
      return (await readBoundedText(path))?.trim();
    } catch (error) {
      problems.push(problemOf(error, path));
      return undefined;
    }
  };
  /** A value that must match `pattern` (the kernel's own format), else a problem and undefined. */
  const value = async (path: string, pattern: RegExp, expected: string) => {
    const found = await text(path);
    if (found === undefined || pattern.test(found)) return found;
    note(path, `not ${expected} (${found.length} bytes the kernel does not write)`);
    return undefined;
  };
  /** Subdirectories, sorted; a symlink or another entry where the kernel has a directory is a problem. */
  const dirs = async (path: string, files: ReadonlySet<string> = new Set()) => {
    try {
      const entries = await readdir(path, { withFileTypes: true });
      if (entries.length > MAX_ENTRIES) {
        note(path, `more than ${MAX_ENTRIES} entries: not a directory the kernel shows`);
        return [];
      }
      const out: string[] = [];
      for (const e of entries) {
        if (e.isDirectory()) out.push(e.name);
        else if (e.isSymbolicLink() && !files.has(e.name))
          note(join(path, e.name), 'a symlink, expected a directory');
      }
      return out.sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(problemOf(error, path));
      return [];
    }
  };
  return { text, value, dirs };
}

const FLAG = /^[01]$/;
const WHOLE = /^\d+$/;
const toInt = (text: string | undefined) => (text === undefined || text === '' ? undefined : Number(text));

async function readPatch(root: string, name: string, r: ReturnType<typeof readers>): Promise<HostPatch> {
  const dir = join(root, 'sys/kernel/livepatch', name);
  const at = (file: string) => join(dir, file);
  const objects: HostObject[] = [];
  for (const obj of await r.dirs(dir, PATCH_FILES)) {
    if (PATCH_FILES.has(obj)) continue;
    const funcs = (await r.dirs(join(dir, obj))).flatMap((entry) => {
      const comma = entry.lastIndexOf(',');
      const sympos = Number(entry.slice(comma + 1));
      return comma > 0 && Number.isInteger(sympos) ? [{ name: entry.slice(0, comma), sympos }] : [];
    });
    const patched = await r.value(at(join(obj, 'patched')), FLAG, '0 or 1');
    objects.push({ name: obj, patched: patched === '1', funcs });
  }
  const replace = await r.value(at('replace'), FLAG, '0 or 1');
  const obsoletes = await r.value(at('obsoletes'), /^(\d+(,\d+)*,?)?$/, 'a list of numbers');
  return {
    name,
    enabled: (await r.value(at('enabled'), FLAG, '0 or 1')) === '1',
    transition: (await r.value(at('transition'), FLAG, '0 or 1')) === '1',
    replace: replace === undefined ? undefined : replace === '1',
    replaceSet: toInt(await r.value(at('replace_set'), WHOLE, 'a whole number')),
    provides: toInt(await r.value(at('provides'), WHOLE, 'a whole number')),
    obsoletes: obsoletes === undefined ? undefined : obsoletes.split(',').filter(Boolean).map(Number),
    stackOrder: toInt(await r.value(at('stack_order'), WHOLE, 'a whole number')),
    version: await r.text(join(root, 'sys/module', name, 'version')),
    objects,
  };
}

/**
 * Reads the livepatch view of the machine under `root` (`/` for this machine); what could not be
 * read is added to `problems` (the caller decides: `status` reports it, a change refuses).
 */
export async function readLivepatchView(
  root: string,
  problems: ReadProblem[] = [],
): Promise<HostLivepatchView> {
  const r = readers(problems);
  const patches: HostPatch[] = [];
  for (const name of await r.dirs(join(root, 'sys/kernel/livepatch')))
    patches.push(await readPatch(root, name, r));
  patches.sort((a, b) => (a.stackOrder ?? 0) - (b.stackOrder ?? 0) || a.name.localeCompare(b.name));
  const attributes = OPTIONAL.filter((a) =>
    patches.some(
      (p) =>
        ({
          replace: p.replace,
          replace_set: p.replaceSet,
          provides: p.provides,
          obsoletes: p.obsoletes,
          stack_order: p.stackOrder,
        })[a] !== undefined,
    ),
  );
  const kind: KernelKind | undefined =
    patches.length === 0
      ? undefined
      : attributes.includes('provides')
        ? 'provides'
        : attributes.includes('replace_set')
          ? 'replace-set'
          : 'replace-bool';
  const modules = loadedModules((await r.text(join(root, 'proc/modules'))) ?? '');
  return {
    release: await r.text(join(root, 'proc/sys/kernel/osrelease')),
    kind,
    attributes,
    patches,
    modules,
  };
}

/** The module names /proc/modules lists: the first word of each line (kernel/module/procfs.c m_show). */
export function loadedModules(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}
