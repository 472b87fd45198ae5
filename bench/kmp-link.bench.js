// Adding one KMP to a system with 3 kernels and 20 KMPs, against what weak-modules does for the same
// change: about three full `depmod -a -e -E` runs per installed kernel (target: klpm <= 1/20 of the
// peer). The module tree is synthetic: gcc-compiled relocatable objects with .modinfo, __versions and
// __ksymtab_strings, copied to 4,000 in-tree modules per kernel (about a Debian 6.1 tree); symvers has
// 20,000 vmlinux symbols. The KMP is given as a user gives it: a directory with kmp.json naming the
// module file, which klpm reads. Three figures for klpm, each against the same peer run:
// - `kmpAdd`: the library call behind `klpm kmp add DIR --no-depmod`, i.e. everything the command does
//   after Node has started and loaded klpm: read kmp.json and the module, the store, the links and the
//   registered kernels; resolve; copy the build into the store; make the links (journaled, fsync'd);
// - the same as a whole process, `node bin/klpm.js kmp add DIR --root R --no-depmod` (adds Node's
//   start-up and the loading of klpm and its dependencies);
// - `kmpAdd` with its one `depmod -a` per changed kernel.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { elfModuleReader, kmpAdd, kmpAddKernel, kmpLink } from '../dist/host/kmp/index.js';

const KERNELS = ['6.1.0-47-amd64', '6.1.0-48-amd64', '6.1.0-49-amd64'];
const IN_TREE = 4000; // about the number of modules in a Debian 6.1 amd64 tree
const KMPS = 20;
const VMLINUX = 20000;
const TARGET = 1 / 20;

if (spawnSync('depmod', ['-V']).status !== 0 || spawnSync('gcc', ['--version']).status !== 0) {
  console.log('kmp-link: skipped, needs depmod (kmod) and gcc');
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'klpm-bench-kmp-'));
const crc = (name) => {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
};
const hex = (n) => `0x${n.toString(16).padStart(8, '0')}`;
const vmlinux = Array.from({ length: VMLINUX }, (_, i) => `ksym_${i}`);

/** A relocatable module object: .modinfo, __versions for `imports`, undefined refs, exports by name. */
function compileModule(dir, name, kernel, imports, exports) {
  const src = [
    `static const char modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) = "name=${name}\\0vermagic=${kernel} SMP mod_unload modversions\\0depends=\\0license=GPL";`,
    'struct modversion_info { unsigned long crc; char name[56]; };',
    `static const struct modversion_info versions[] __attribute__((section("__versions"), used)) = {${imports.map((s) => `{${hex(crc(s))}UL, "${s}"}`).join(',')}};`,
    ...imports.map((s) => `extern int ${s}(void);`),
    `int use_${name}(void) { return 0${imports.map((s) => ` + ${s}()`).join('')}; }`,
    ...exports.map((s) => `int ${s}(void) { return 1; }`),
    `static const char strings[] __attribute__((section("__ksymtab_strings"), used, aligned(1))) = "${exports.join('\\0')}";`,
  ].join('\n');
  const c = join(work, `${name}.c`);
  writeFileSync(c, src);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}.ko`);
  const run = spawnSync('gcc', ['-c', '-O0', '-fno-pic', '-o', out, c], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return out;
}

const importsOf = (i) => Array.from({ length: 30 }, (_, j) => vmlinux[(i * 37 + j * 101) % VMLINUX]);
const base = join(work, 'root');
const describes = [];
for (const kernel of KERNELS) {
  const moduleDir = join(base, 'lib/modules', kernel);
  const template = compileModule(join(work, 'tpl', kernel), 'intree', kernel, importsOf(0), [
    'intree_a',
    'intree_b',
  ]);
  const modules = [];
  for (let i = 0; i < IN_TREE; i++) {
    const file = `kernel/drivers/m${i}.ko`;
    mkdirSync(join(moduleDir, 'kernel/drivers'), { recursive: true });
    cpSync(template, join(moduleDir, file));
    modules.push({
      name: `m${i}`,
      file,
      exports: [0, 1, 2, 3, 4].map((j) => ({ name: `m${i}_export_${j}`, crc: hex(crc(`m${i}_${j}`)) })),
      imports: importsOf(i).map((s) => ({ name: s, crc: hex(crc(s)) })),
    });
  }
  const symvers = vmlinux.map((s) => ({
    symbol: s,
    crc: hex(crc(s)),
    module: 'vmlinux',
    exportType: 'EXPORT_SYMBOL',
  }));
  writeFileSync(
    join(work, `symvers-${kernel}`),
    `${vmlinux.map((s) => `${hex(crc(s))}\t${s}\tvmlinux\tEXPORT_SYMBOL\t`).join('\n')}\n`,
  );
  const path = join(work, `${kernel}.json`);
  writeFileSync(path, JSON.stringify({ release: kernel, initrd: [], symvers, modules }));
  describes.push([kernel, path]);
}

/** A package directory as a KMP's rpm or deb would install it: kmp.json naming the module file. */
function packageDir(pkg, kernel, i) {
  const dir = join(work, 'pkgs', pkg);
  compileModule(dir, `${pkg}_mod`, kernel, importsOf(1000 + i), [`${pkg}_api`]);
  writeFileSync(
    join(dir, 'kmp.json'),
    JSON.stringify({ package: pkg, version: '1.0-1', kernel, modules: [{ file: `${pkg}_mod.ko` }] }),
  );
  return dir;
}

const options = (root, depmod) => ({ root, reader: elfModuleReader, dryRun: false, depmod });
for (const [kernel, path] of describes)
  await kmpAddKernel(options(base, false), kernel, { from: 'describe', describe: path });
for (let i = 0; i < KMPS; i++) await kmpAdd(options(base, false), packageDir(`kmp${i}`, KERNELS[i % 3], i));
await kmpLink(options(base, true));
const extra = packageDir('kmpnew', KERNELS[0], KMPS);

/** A copy of the prepared root; without depmod, the in-tree modules are left out (klpm never reads them). */
function fresh(withModules) {
  const root = join(work, `run-${Math.random().toString(36).slice(2)}`);
  cpSync(base, root, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => withModules || !src.endsWith('/kernel'),
  });
  return root;
}

const median = (times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)];

async function timeKlpm(depmod, runs) {
  const times = [];
  for (let r = 0; r < runs; r++) {
    const root = fresh(depmod);
    const start = performance.now();
    const outcome = await kmpAdd(options(root, depmod), extra);
    times.push(performance.now() - start);
    if (!outcome.applied || outcome.operations.filter((o) => o.op === 'link').length !== 3)
      throw new Error('the new KMP was not linked into the three kernels');
    rmSync(root, { recursive: true, force: true });
  }
  return median(times);
}

const klpmBin = fileURLToPath(new URL('../bin/klpm.js', import.meta.url));
function timeProcess(runs) {
  const times = [];
  for (let r = 0; r < runs; r++) {
    const root = fresh(false);
    const start = performance.now();
    const run = spawnSync(process.execPath, [
      klpmBin,
      'kmp',
      'add',
      extra,
      '--root',
      root,
      '--no-depmod',
      '--json',
    ]);
    times.push(performance.now() - start);
    if (run.status !== 0) throw new Error(`klpm kmp add failed: ${run.stderr}`);
    if (JSON.parse(run.stdout.toString()).operations.filter((o) => o.op === 'link').length !== 3)
      throw new Error('the new KMP was not linked into the three kernels');
    rmSync(root, { recursive: true, force: true });
  }
  return median(times);
}

await timeKlpm(false, 2); // warm-up: JIT and page cache
const klpm = await timeKlpm(false, 7);
const klpmProcess = timeProcess(5);
const klpmWithDepmod = await timeKlpm(true, 3);

const root = fresh(true);
const start = performance.now();
for (const kernel of KERNELS)
  for (let r = 0; r < 3; r++) {
    const run = spawnSync('depmod', ['-b', root, '-a', '-e', '-E', join(work, `symvers-${kernel}`), kernel]);
    if (run.status !== 0) throw new Error(`depmod failed: ${run.stderr}`);
  }
const peer = performance.now() - start;
rmSync(work, { recursive: true, force: true });

const verdict = (ratio) =>
  `${ratio.toFixed(3)} (target <= ${TARGET.toFixed(3)}) ${ratio <= TARGET ? 'ok' : 'MISSED'}`;
console.log(
  `tree: synthetic (gcc-built modules), ${KERNELS.length} kernels x ${IN_TREE} in-tree modules, ${KMPS} KMPs, add 1 (read from its file)`,
);
console.log(`peer: depmod -a -e -E x3 per kernel (weak-modules): ${peer.toFixed(1)} ms`);
console.log(`klpm kmpAdd, --no-depmod (median of 7): ${klpm.toFixed(1)} ms, ratio ${verdict(klpm / peer)}`);
console.log(
  `klpm kmp add --no-depmod as a process (median of 5): ${klpmProcess.toFixed(1)} ms, ratio ${verdict(klpmProcess / peer)}`,
);
console.log(
  `klpm kmpAdd with its one depmod -a per changed kernel (median of 3): ${klpmWithDepmod.toFixed(1)} ms, ratio ${(klpmWithDepmod / peer).toFixed(3)}`,
);
