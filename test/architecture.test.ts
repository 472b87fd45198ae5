import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The functional core stays pure and the folders form no cycle (docs/architecture.md).

const SRC = resolve(import.meta.dirname, '../src');
const PURE = ['klp', 'repo', 'kabi', 'plan', 'elf', 'initrd', 'input'];
const SHELL = ['host', 'fleet', 'cli'];
/** Node modules a pure module may use: none that reach files, processes, sockets or the clock. */
const IMPURE_NODE =
  /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|os|worker_threads|process|cluster|readline|tty)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

const folderOf = (file: string) => relative(SRC, file).split('/')[0]!;
const files = sourceFiles(SRC);

describe('architecture', () => {
  it('pure modules import no I/O, no shell module, and read no process state', () => {
    const problems: string[] = [];
    for (const file of files) {
      const folder = folderOf(file);
      if (!PURE.includes(folder)) continue;
      for (const spec of importsOf(file)) {
        if (IMPURE_NODE.test(spec)) problems.push(`${relative(SRC, file)} imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = folderOf(resolve(dirname(file), spec));
          if (SHELL.includes(target))
            problems.push(`${relative(SRC, file)} imports the shell module ${target}/`);
        }
      }
      const text = readFileSync(file, 'utf8');
      for (const banned of [
        'process.env',
        'process.cwd',
        'Date.now(',
        'new Date()',
        'console.',
        'Math.random(',
      ]) {
        if (text.includes(banned)) problems.push(`${relative(SRC, file)} uses ${banned}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('no import cycle between files', () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      graph.set(
        file,
        importsOf(file)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts')),
      );
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('no grab-bag file names', () => {
    const bad = files.filter((f) => /(util|helper|misc|common)/i.test(relative(SRC, f)));
    expect(bad).toEqual([]);
  });
});
