import { join } from 'node:path';
import type { KernelKind } from '../../klp/index.js';
import type { HostLivepatchView, HostObject, HostPatch } from '../../plan/index.js';
import { listNames, readOptionalText } from '../files.js';

/**
 * Reads what a running kernel shows of its livepatches from /sys/kernel/livepatch, /sys/module and
 * /proc under `root` (kernel/livepatch/core.c patch_attrs, object and func kobjects).
 */

const OPTIONAL = ['replace', 'replace_set', 'provides', 'obsoletes', 'stack_order'] as const;
const PATCH_FILES = new Set(['enabled', 'transition', 'force', 'signal', ...OPTIONAL]);

/** A sysfs or proc file's value, trimmed; undefined when the kernel does not have it. */
const readText = async (path: string) => (await readOptionalText(path))?.trim();
/** Subdirectories (objects of a patch, funcs of an object, patches), sorted. */
const listDir = async (path: string) => (await listNames(path, 'directories')).sort();

const toInt = (text: string | undefined) =>
  text === undefined || text === '' ? undefined : Number.parseInt(text, 10);

async function readPatch(root: string, name: string): Promise<HostPatch> {
  const dir = join(root, 'sys/kernel/livepatch', name);
  const attr = (file: string) => readText(join(dir, file));
  const objects: HostObject[] = [];
  for (const obj of await listDir(dir)) {
    if (PATCH_FILES.has(obj)) continue;
    const funcs = (await listDir(join(dir, obj))).map((entry) => {
      const comma = entry.lastIndexOf(',');
      return { name: entry.slice(0, comma), sympos: Number(entry.slice(comma + 1)) };
    });
    objects.push({ name: obj, patched: (await attr(join(obj, 'patched'))) === '1', funcs });
  }
  const replace = await attr('replace');
  const obsoletes = await attr('obsoletes');
  return {
    name,
    enabled: (await attr('enabled')) === '1',
    transition: (await attr('transition')) === '1',
    replace: replace === undefined ? undefined : replace === '1',
    replaceSet: toInt(await attr('replace_set')),
    provides: toInt(await attr('provides')),
    obsoletes: obsoletes === undefined ? undefined : obsoletes.split(',').filter(Boolean).map(Number),
    stackOrder: toInt(await attr('stack_order')),
    version: await readText(join(root, 'sys/module', name, 'version')),
    objects,
  };
}

/** Reads the livepatch view of the machine under `root` (`/` for this machine). */
export async function readLivepatchView(root: string): Promise<HostLivepatchView> {
  const patches = await Promise.all(
    (await listDir(join(root, 'sys/kernel/livepatch'))).map((n) => readPatch(root, n)),
  );
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
  const modules = ((await readText(join(root, 'proc/modules'))) ?? '')
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
  return {
    release: await readText(join(root, 'proc/sys/kernel/osrelease')),
    kind,
    attributes,
    patches,
    modules,
  };
}
