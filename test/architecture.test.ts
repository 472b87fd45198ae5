import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout rules of docs/architecture.md. Each rule is a function over a map of files (path
// relative to src/ -> text), so it runs on the real tree and, below it, on a planted violation.

const SRC = resolve(import.meta.dirname, '../src');
/** Pure folders: data in, data out. */
const PURE = [
  'klp',
  'livepatch-module',
  'repo',
  'kabi',
  'plan',
  'elf',
  'initrd',
  'input',
  'document',
  'version',
  'kmp',
  'fleet',
  'lint',
];
/** Shell folders: the only code that touches files, processes, sockets and the clock. */
const SHELL = ['host', 'cli', 'server', 'store', 'agent'];
/** Node modules a pure module may use: none that reach files, processes, sockets or the clock. */
const IMPURE_NODE =
  /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|os|worker_threads|process|cluster|readline|tty)$/;

type Tree = ReadonlyMap<string, string>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const tree: Tree = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f), readFileSync(f, 'utf8')]));

/** Every module specifier a file names: static imports and re-exports, and dynamic import(). */
function importsOf(text: string): string[] {
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  );
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** The file a relative specifier names, relative to src/. */
const target = (file: string, spec: string) => join(dirname(file), spec).replace(/\.js$/, '.ts');
const topFolder = (file: string) => file.split('/')[0]!;
const relativeImports = (tree: Tree, file: string) =>
  importsOf(tree.get(file) ?? '')
    .filter((s) => s.startsWith('.'))
    .map((s) => target(file, s));

function purityProblems(tree: Tree): string[] {
  const problems: string[] = [];
  for (const [file, text] of tree) {
    if (!PURE.includes(topFolder(file))) continue;
    for (const spec of importsOf(text)) {
      if (IMPURE_NODE.test(spec)) problems.push(`${file} imports ${spec}`);
      if (spec.startsWith('.') && SHELL.includes(topFolder(target(file, spec))))
        problems.push(`${file} imports the shell module ${topFolder(target(file, spec))}/`);
    }
    for (const banned of [
      'process.env',
      'process.cwd',
      'Date.now(',
      'new Date()',
      'console.',
      'Math.random(',
    ])
      if (text.includes(banned)) problems.push(`${file} uses ${banned}`);
  }
  return problems;
}

/** Every top folder of src/ is declared pure or shell. */
function unlistedFolders(tree: Tree): string[] {
  const folders = new Set([...tree.keys()].filter((f) => f.includes('/')).map(topFolder));
  return [...folders].filter((f) => !PURE.includes(f) && !SHELL.includes(f)).sort();
}

/**
 * An import that leaves its own folder names the other folder's index.ts, unless the other folder
 * is an ancestor of its own (a folder's shared files, like host/paths.ts, serve its subfolders).
 */
function faceProblems(tree: Tree): string[] {
  const problems: string[] = [];
  for (const file of tree.keys())
    for (const to of relativeImports(tree, file)) {
      const from = dirname(file);
      const into = dirname(to);
      if (into === from || `${from}/`.startsWith(`${into}/`) || into === '.') continue;
      if (!to.endsWith('/index.ts')) problems.push(`${file} imports ${to}, not ${into}/index.ts`);
    }
  return problems;
}

/** A command file (src/cli/commands/*.ts, the command table aside) never imports another one. */
function commandProblems(tree: Tree): string[] {
  const isCommand = (f: string) => dirname(f) === 'cli/commands' && !f.endsWith('/index.ts');
  const problems: string[] = [];
  for (const file of tree.keys()) {
    if (!isCommand(file)) continue;
    for (const to of relativeImports(tree, file))
      if (isCommand(to)) problems.push(`${file} imports the command ${to}`);
  }
  return problems;
}

function cycles(tree: Tree): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const found: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      found.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of relativeImports(tree, file)) if (tree.has(next)) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of tree.keys()) visit(file, []);
  return found;
}

const grabBags = (tree: Tree) => [...tree.keys()].filter((f) => /(util|helper|misc|common)/i.test(f));

/** The real tree with one file added or replaced. */
const planted = (file: string, text: string): Tree => new Map([...tree, [file, text]]);

describe('architecture', () => {
  it('pure modules import no I/O, no shell module, and read no process state', () => {
    expect(purityProblems(tree)).toEqual([]);
    expect(purityProblems(planted('plan/leak.ts', "import { readFile } from 'node:fs';\n"))).toEqual([
      'plan/leak.ts imports node:fs',
    ]);
    expect(purityProblems(planted('kabi/clock.ts', 'export const t = Date.now();\n'))).toEqual([
      'kabi/clock.ts uses Date.now(',
    ]);
  });

  it('every folder under src/ is listed as pure or shell', () => {
    expect(unlistedFolders(tree)).toEqual([]);
    expect(unlistedFolders(planted('stuff/a.ts', 'export const a = 1;\n'))).toEqual(['stuff']);
  });

  it('cross-folder imports go through the folder index.ts', () => {
    expect(faceProblems(tree)).toEqual([]);
    expect(
      faceProblems(planted('cli/commands/peek.ts', "import { x } from '../../host/livepatch/update.js';\n")),
    ).toEqual(['cli/commands/peek.ts imports host/livepatch/update.ts, not host/livepatch/index.ts']);
  });

  it('a command file never imports another command file', () => {
    expect(commandProblems(tree)).toEqual([]);
    expect(
      commandProblems(planted('cli/commands/peek.ts', "import { applyCommand } from './apply.js';\n")),
    ).toEqual(['cli/commands/peek.ts imports the command cli/commands/apply.ts']);
  });

  it('no import cycle between files', () => {
    expect(cycles(tree)).toEqual([]);
    const a = planted('plan/a-cycle.ts', "import { b } from './b-cycle.js';\nexport const a = b;\n");
    const ab = new Map([
      ...a,
      ['plan/b-cycle.ts', "import { a } from './a-cycle.js';\nexport const b = a;\n"],
    ]);
    expect(cycles(ab)).toEqual(['plan/a-cycle.ts -> plan/b-cycle.ts -> plan/a-cycle.ts']);
  });

  it('imports zod as a namespace, so the bundle keeps only what klpm uses (docs/operations.md, Start-up)', () => {
    const named = (t: Tree) =>
      [...t].filter(([, text]) => /^import \{[^}]*\bz\b[^}]*\} from 'zod'/m.test(text)).map(([f]) => f);
    expect(named(tree)).toEqual([]);
    expect(named(planted('fleet/x.ts', "import { z } from 'zod';\n"))).toEqual(['fleet/x.ts']);
  });

  it('no grab-bag file names', () => {
    expect(grabBags(tree)).toEqual([]);
    expect(grabBags(planted('host/file-utils.ts', ''))).toEqual(['host/file-utils.ts']);
  });
});
