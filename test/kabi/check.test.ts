import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importListOf, readModule } from '../../src/elf/index.js';
import { CheckStream, checkModules, parseSymvers } from '../../src/kabi/index.js';
import { type SyntheticModule, writeModule } from '../support/elf-writer.js';

// Expected answers worked out by hand from depmod_load_module_dependencies (tools/depmod.c).

const symvers = parseSymvers(
  [
    '0x9060323f\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t',
    '0x00000011\tprintk\tvmlinux\tEXPORT_SYMBOL\t',
    '0x00000022\tkmalloc\tvmlinux\tEXPORT_SYMBOL\t',
    '0x00000033\tmod_only\tdrivers/x/other\tEXPORT_SYMBOL\t',
  ].join('\n'),
  'Module.symvers',
);
const module = (spec: SyntheticModule, path: string) => readModule(writeModule(spec), path);
const problems = (result: ReturnType<typeof checkModules>) =>
  result.modules.flatMap((m) => m.problems.map((p) => `${m.path} ${p.kind} ${p.symbol}`));

describe('checkModules', () => {
  it('finds nothing for a module built against this kernel', () => {
    const a = module(
      {
        versions: [
          { name: 'module_layout', crc: 0x9060323f },
          { name: 'printk', crc: 0x11 },
        ],
        imports: [{ name: 'printk' }],
      },
      'a.ko',
    );
    expect(checkModules(symvers, [a])).toMatchObject({ problemCount: 0 });
  });

  it('reports unknown symbols and CRC mismatches, including module_layout from __versions alone', () => {
    const a = module(
      {
        versions: [
          { name: 'module_layout', crc: 1 },
          { name: 'printk', crc: 0x11 },
          { name: 'kmalloc', crc: 0x99 },
          { name: 'gone', crc: 5 },
        ],
        imports: [{ name: 'printk' }, { name: 'kmalloc' }, { name: 'gone' }, { name: 'mod_only' }],
      },
      'a.ko',
    );
    const result = checkModules(symvers, [a]);
    // mod_only is exported by a module in the symvers, which depmod ignores: unknown
    expect(problems(result).sort()).toEqual(
      ['a.ko crc kmalloc', 'a.ko unknown gone', 'a.ko unknown mod_only', 'a.ko crc module_layout'].sort(),
    );
    expect(result.modules[0]!.problems.find((p) => p.symbol === 'kmalloc')).toMatchObject({
      wanted: 0x99,
      found: 0x22,
    });
  });

  it('never warns about weak imports', () => {
    const a = module(
      {
        versions: [{ name: 'kmalloc', crc: 7 }],
        imports: [
          { name: 'kmalloc', weak: true },
          { name: 'nowhere', weak: true },
        ],
      },
      'a.ko',
    );
    expect(problems(checkModules(symvers, [a]))).toEqual([]);
  });

  it('uses exports of other modules in the set, with their CRCs', () => {
    const provider = module(
      {
        exports: [
          { name: 'helper', crc: 0x44 },
          { name: 'helper2', crc: 0x55, gpl: true },
        ],
      },
      'p.ko',
    );
    const user = module(
      {
        versions: [
          { name: 'helper', crc: 0x44 },
          { name: 'helper2', crc: 0x56 },
        ],
        imports: [{ name: 'helper' }, { name: 'helper2' }],
      },
      'u.ko',
    );
    expect(problems(checkModules(symvers, [provider, user]))).toEqual(['u.ko crc helper2']);
    expect(problems(checkModules(symvers, [user]))).toEqual(['u.ko unknown helper', 'u.ko unknown helper2']);
  });

  it('compares CRC 0 for a module built without modversions', () => {
    const a = module({ imports: [{ name: 'printk' }] }, 'a.ko');
    expect(problems(checkModules(symvers, [a]))).toEqual(['a.ko crc printk']);
  });

  it('matches a provider without modversions only when the importer has no CRC either', () => {
    const provider = module({ exports: [{ name: 'nocrc' }] }, 'p.ko');
    const plain = module({ imports: [{ name: 'nocrc' }] }, 'u.ko');
    const versioned = module({ versions: [{ name: 'nocrc', crc: 9 }], imports: [{ name: 'nocrc' }] }, 'v.ko');
    expect(problems(checkModules(symvers, [provider, plain, versioned]))).toEqual(['v.ko crc nocrc']);
  });

  it('uses the extended modversions CRCs for long names', () => {
    const long = 'x'.repeat(70);
    const provider = module({ exports: [{ name: long, crc: 0x77 }] }, 'p.ko');
    const user = module({ extVersions: [{ name: long, crc: 0x77 }], imports: [{ name: long }] }, 'u.ko');
    expect(problems(checkModules(symvers, [provider, user]))).toEqual([]);
  });
});

describe('CheckStream', () => {
  // a small alphabet so names collide: kernel symbols, module exports, `.`-prefixed names, repeats
  const name = fc.constantFrom('printk', 'kmalloc', '.printk', 'mod_only', 'a', 'b', 'module_layout', '');
  const crc = fc.constantFrom(0, 0x11, 0x22, 0x33, 0x9060323f, 7);
  const moduleSymbols = fc.record({
    versions: fc.array(fc.record({ name, crc }), { maxLength: 6 }),
    undefinedSymbols: fc.array(fc.record({ name, weak: fc.boolean() }), { maxLength: 6 }),
    exports: fc.array(fc.record({ name, crc: fc.option(crc, { nil: undefined }) }), { maxLength: 3 }),
  });

  it('answers as checkModules in any order of adding, or leaves the set to it when a module shadows the kernel', () => {
    fc.assert(
      fc.property(fc.array(moduleSymbols, { maxLength: 8 }), fc.infiniteStream(fc.nat()), (specs, picks) => {
        const modules = specs.map((spec, i) => ({ ...spec, path: `m${i}.ko`, name: `m${i}` }));
        const order = [...modules.keys()];
        for (let i = order.length - 1; i > 0; i--) {
          const j = picks.next().value % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const stream = new CheckStream(symvers);
        for (const index of order)
          stream.add(index, { ...modules[index]!, imports: importListOf(modules[index]!) });
        const shadowed = modules.some((m) =>
          m.exports.some((exp) => {
            const kernel = symvers.entries.get(exp.name);
            return kernel?.module === 'vmlinux' && kernel.crc !== (exp.crc ?? 0);
          }),
        );
        const result = stream.result();
        if (shadowed) expect(result).toBeUndefined();
        else expect(result).toEqual(checkModules(symvers, modules));
      }),
      { numRuns: 2000 },
    );
  });
});
