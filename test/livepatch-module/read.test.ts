import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { type LivepatchModule, readLivepatchModule } from '../../src/livepatch-module/index.js';
import { type Arch, livepatchObjects } from '../support/livepatch-objects.js';

/**
 * The reader on the e2e livepatch sources compiled for x86_64, arm64, ppc64le and s390x (each with
 * its own 64-bit absolute relocation: R_X86_64_64, R_AARCH64_ABS64, R_PPC64_ADDR64, R_390_64; s390x
 * big-endian), on builder-style objects (kpatch-build, klp-build, replace-set), and on the real .ko
 * files the e2e suite builds against Debian's headers when they are there. Expected values are
 * written from the C sources, not from the reader.
 */

const { objects, missing } = livepatchObjects();
if (missing.length > 0)
  console.warn(
    `livepatch-module: no cross compiler for ${missing.join(', ')} (.ci/apt-packages.sh installs them)`,
  );
const read = (path: string) => readLivepatchModule(readFileSync(path), path);
const ALL = ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch'];

/** What each source declares, by hand from e2e/modules/klpm_lp_*.c. */
const EXPECTED: Record<string, Partial<LivepatchModule['manifest']>> = {
  klpm_lp_sample: {
    name: 'klpm_lp_sample',
    replace: false,
    version: '1',
    states: [],
    objects: [{ name: 'vmlinux', funcs: [{ name: 'cmdline_proc_show', sympos: 0 }], callbacks: [] }],
  },
  klpm_lp_callbacks: {
    name: 'klpm_lp_callbacks',
    replace: false,
    states: [],
    objects: [
      { name: 'vmlinux', funcs: [{ name: 'version_proc_show', sympos: 0 }], callbacks: ALL as never },
      {
        name: 'klpm_e2e_target',
        funcs: [{ name: 'klpm_e2e_value_show', sympos: 1 }],
        callbacks: ['pre_patch', 'post_unpatch'],
      },
    ],
  },
  klpm_lp_shadow: {
    name: 'klpm_lp_shadow',
    replace: false,
    states: [],
    objects: [
      { name: 'vmlinux', funcs: [{ name: 'cmdline_proc_show', sympos: 0 }], callbacks: ['post_unpatch'] },
    ],
  },
  klpm_lp_state_v1: {
    name: 'klpm_lp_state_v1',
    replace: true,
    version: '1',
    states: [{ id: 7, version: 1 }],
    objects: [
      {
        name: 'vmlinux',
        funcs: [{ name: 'cmdline_proc_show', sympos: 0 }],
        callbacks: ['pre_patch', 'post_unpatch'],
      },
    ],
  },
  klpm_lp_state_v2: {
    name: 'klpm_lp_state_v2',
    replace: true,
    version: '2',
    states: [{ id: 7, version: 2 }],
    objects: [
      {
        name: 'vmlinux',
        funcs: [{ name: 'cmdline_proc_show', sympos: 0 }],
        callbacks: ['pre_patch', 'post_unpatch'],
      },
    ],
  },
};

describe('livepatch modules compiled per architecture', () => {
  for (const arch of Object.keys(objects) as Arch[]) {
    for (const [name, expected] of Object.entries(EXPECTED)) {
      it(`${arch}: ${name} reads as its source declares`, () => {
        const module = read(objects[arch]![name]!);
        expect(module.manifest).toMatchObject(expected);
        expect(module.manifest.objects).toHaveLength(expected.objects!.length);
        expect(module.builder).toBe('static');
        expect(module.layout).toBe('states-5.5');
        expect(module.modinfo.livepatch).toBe('Y');
      });
      it(`${arch}: ${name} reads the same as on x86_64`, () => {
        const here = read(objects[arch]![name]!);
        const x86 = read(objects.x86_64![name]!);
        expect({ ...here, machine: '' }).toEqual({ ...x86, machine: '' });
      });
    }
    it(`${arch}: kpatch-build tables read as the hook would build them`, () => {
      const module = read(objects[arch]!.kpatch_style!);
      expect(module.builder).toBe('kpatch');
      expect(module.manifest.objects).toEqual([
        { name: 'vmlinux', funcs: [{ name: 'meminfo_proc_show', sympos: 0 }], callbacks: [] },
        {
          name: 'klpm_e2e_target',
          funcs: [{ name: 'klpm_e2e_value_show', sympos: 2 }],
          callbacks: ['post_patch'],
        },
      ]);
      expect(module.manifest.replace).toBe(true);
      expect(module.notes.join(' ')).toMatch(/--no-replace/);
    });
    it(`${arch}: klp-build's .init.klp_objects read as init.c would copy them`, () => {
      const module = read(objects[arch]!.klp_build_style!);
      expect(module.builder).toBe('klp-build');
      expect(module.manifest.objects).toEqual([
        {
          name: 'vmlinux',
          funcs: [
            { name: 'cmdline_proc_show', sympos: 0 },
            { name: 'version_proc_show', sympos: 3 },
          ],
          callbacks: ['pre_patch', 'post_unpatch'],
        },
        { name: 'klpm_e2e_target', funcs: [{ name: 'klpm_e2e_value_show', sympos: 0 }], callbacks: [] },
      ]);
      expect(module.notes.join(' ')).toMatch(/KLP_NO_REPLACE/);
    });
    it(`${arch}: the replace-set layout, when asked for, reads replace_set; .klp.sym and .klp.rela are listed`, () => {
      const path = objects[arch]!.replace_set_style!;
      const module = readLivepatchModule(readFileSync(path), path, { layout: 'replace-set' });
      expect(module.manifest.replaceSet).toBe(5);
      expect(module.layout).toBe('replace-set');
      expect(module.klpSyms).toEqual(
        expect.arrayContaining([
          { object: 'vmlinux', symbol: 'saved_command_line', sympos: 0 },
          { object: 'klpm_e2e_target', symbol: 'klpm_e2e_sleep_fn.isra.0', sympos: 2 },
        ]),
      );
      expect(module.klpSyms).toHaveLength(2);
      expect(module.klpRelaSections).toEqual([{ object: 'vmlinux', section: '.text' }]);
    });
  }
});

describe('files as they ship', () => {
  let path: string;
  let bytes: Buffer;
  beforeAll(() => {
    path = objects.x86_64!.klpm_lp_callbacks!;
    bytes = readFileSync(path);
  });
  it('a signed module reads like the unsigned one', () => {
    const signed = Buffer.concat([
      bytes,
      Buffer.alloc(300, 0xaa),
      Buffer.from('~Module signature appended~\n'),
    ]);
    const module = readLivepatchModule(signed, path);
    expect(module.signed).toBe(true);
    expect({ ...module, signed: false }).toEqual(readLivepatchModule(bytes, path));
  });
  it('gzip reads like the plain file', () => {
    expect(readLivepatchModule(gzipSync(bytes), path)).toEqual(readLivepatchModule(bytes, path));
  });
  it('a module that is not a livepatch is an InputError naming the file', () => {
    const plain = Buffer.from(bytes);
    const at = plain.indexOf('livepatch=Y');
    plain.write('livepatch=N', at);
    expect(() => readLivepatchModule(plain, 'x.ko')).toThrow(/x\.ko: not a livepatch module/);
  });
  it('a kernel older than every known layout is an InputError, never a guess', () => {
    const old = Buffer.from(bytes);
    const at = old.indexOf('vermagic=6.1.0');
    old.write('vermagic=4.4.0', at);
    expect(() => readLivepatchModule(old, 'old.ko')).toThrow(/predates the klp_patch layouts klpm knows/);
  });
  it('not ELF at all is an InputError', () => {
    expect(() =>
      readLivepatchModule(
        Buffer.from('hello world, not a module at all, but long enough for a header'),
        'h.ko',
      ),
    ).toThrow(InputError);
  });
});
