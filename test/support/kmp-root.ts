import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelFromDescription } from '../../src/kmp/index.js';
import { registeredText } from '../../src/kmp/registration.js';
import { parseKernel } from '../../src/kmp/schema.js';

/** A symbol as `name:crc-hex`. */
function sym(spec: string) {
  const [name, crc] = spec.split(':') as [string, string | undefined];
  return crc === undefined ? { name } : { name, crc: `0x${crc}` };
}

export interface ModuleSpec {
  readonly name: string;
  readonly exports?: string[];
  readonly imports?: string[];
}

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'klpm-kmp-'));
}

/** The kernel description `klpm kmp add-kernel --describe` reads (docs/kmp.md). */
export function kernelJson(
  release: string,
  vmlinux: string[],
  modules: ModuleSpec[] = [],
  initrd: string[] = [],
) {
  return {
    release,
    initrd,
    symvers: vmlinux.map((s) => {
      const { name, crc } = sym(s);
      return { symbol: name, crc: crc ?? '0x0', module: 'vmlinux', exportType: 'EXPORT_SYMBOL' };
    }),
    modules: modules.map((m) => ({
      name: m.name,
      file: `kernel/${m.name}.ko`,
      exports: (m.exports ?? []).map(sym),
      imports: (m.imports ?? []).map(sym),
    })),
  };
}

/** Registers a kernel directly in the root, as `klpm kmp add-kernel` would. */
export function writeKernel(root: string, description: ReturnType<typeof kernelJson>): void {
  const dir = join(root, 'var/lib/klpm/kmp/kernels');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, 'lib/modules', description.release), { recursive: true });
  const kernel = kernelFromDescription(parseKernel(JSON.stringify(description), 'test'));
  writeFileSync(join(dir, `${description.release}.json`), registeredText(kernel));
}

/** A package directory as `klpm kmp add` takes it: kmp.json and a (placeholder) file per module. */
export function packageDir(
  parent: string,
  pkg: string,
  version: string,
  kernel: string,
  modules: ModuleSpec[],
  bootCritical = false,
): string {
  const dir = join(parent, `${pkg}-${version}-${kernel}`);
  mkdirSync(dir, { recursive: true });
  const description = {
    package: pkg,
    version,
    kernel,
    bootCritical,
    modules: modules.map((m) => ({
      file: `${m.name}.ko`,
      name: m.name,
      exports: (m.exports ?? []).map(sym),
      imports: (m.imports ?? []).map(sym),
    })),
  };
  writeFileSync(join(dir, 'kmp.json'), JSON.stringify(description, null, 2));
  for (const m of modules)
    writeFileSync(join(dir, `${m.name}.ko`), `placeholder module ${m.name} ${version}\n`);
  return dir;
}

/** Puts a build straight into the store, as `klpm kmp add` leaves it. */
export function storeBuild(
  root: string,
  pkg: string,
  version: string,
  kernel: string,
  modules: ModuleSpec[],
  bootCritical = false,
): void {
  const parent = join(root, 'usr/lib/klpm/kmp', pkg, version);
  mkdirSync(parent, { recursive: true });
  const dir = packageDir(parent, pkg, version, kernel, modules, bootCritical);
  rmSync(join(parent, kernel), { recursive: true, force: true });
  renameSync(dir, join(parent, kernel));
}

/** Every file, directory and link under root (the journal left out): what two runs must agree on. */
export function snapshot(
  root: string,
  skip: (path: string) => boolean = () => false,
): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      if (skip(key)) continue;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) out[key] = `-> ${readlinkSync(path)}`;
      else if (st.isDirectory()) {
        out[key] = 'dir';
        walk(path, key);
      } else out[key] = readFileSync(path).toString('base64');
    }
  };
  walk(root, '');
  return out;
}
