import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/input/index.js';
import { parseScenario } from '../../src/klp/index.js';
import { runCli } from '../support/run-cli.js';

function errorOf(text: string): InputError {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('scenario files: bad input names the file, line and path', () => {
  it('a YAML syntax error', () => {
    const error = errorOf('kernel: { livepatch: replace-set\nsteps: []\n');
    expect(error.source).toBe('bad.yaml');
    expect(error.location).toMatch(/^\d+:\d+$/);
  });

  it('an unknown kernel kind, with its line', () => {
    const error = errorOf('kernel:\n  livepatch: replace-all\n');
    expect(error.message).toMatch(
      /^bad\.yaml: 2:14 kernel\.livepatch: expected one of "replace-set"\|"replace-bool"\|"provides"/,
    );
  });

  it('a step with no known verb', () => {
    const error = errorOf('kernel: { livepatch: replace-bool }\nsteps:\n  - lode: p1\n');
    expect(error.message).toContain('3:5 steps[0]: expected exactly one of load, unload');
  });

  it('a step naming an undeclared patch', () => {
    const error = errorOf('kernel: { livepatch: replace-bool }\nsteps:\n  - disable: p9\n');
    expect(error.message).toContain("steps[0]: unknown patch 'p9'");
  });

  it('a bad field inside a patch manifest', () => {
    const text = [
      'kernel: { livepatch: replace-set }',
      'patches:',
      '  - name: p1',
      '    replaceSet: -1',
    ].join('\n');
    expect(errorOf(text).message).toMatch(
      /^bad\.yaml: 4:17 patches\[0\]\.replaceSet: Too small: expected number to be >=0/,
    );
  });

  it("a patch field the scenario's kernel kind does not have, with its line", () => {
    const bool = ['kernel: { livepatch: replace-bool }', 'patches:', '  - { name: p1, replaceSet: 1 }'].join(
      '\n',
    );
    expect(errorOf(bool).message).toMatch(
      /^bad\.yaml: 3:\d+ patches\[0\]\.replaceSet: a 'replace-bool' kernel has no replaceSet/,
    );
    const sets = ['kernel: { livepatch: replace-set }', 'patches:', '  - { name: p1, replace: true }'].join(
      '\n',
    );
    expect(errorOf(sets).message).toContain("patches[0].replace: a 'replace-set' kernel has no replace");
    const attrs = 'kernel: { livepatch: provides, attributes: [replace] }\n';
    expect(errorOf(attrs).message).toContain(
      'kernel.attributes: attributes name the optional sysfs files of a replace-bool kernel',
    );
  });

  it('a step blocking in an unknown function, or unblocking a task never blocked', () => {
    const text = [
      'kernel: { livepatch: replace-bool }',
      'modules:',
      '  - { name: m, funcs: [m_fn] }',
      'steps:',
      '  - block: { task: t1, func: m_fm }',
      '  - unblock: t2',
    ].join('\n');
    const error = errorOf(text);
    expect(error.message).toContain("steps[0].block.func: unknown function 'm_fm'");
    const unblock = ['kernel: { livepatch: replace-bool }', 'steps:', '  - unblock: t2'].join('\n');
    expect(errorOf(unblock).message).toContain(
      "steps[0].unblock: unknown task 't2': no earlier step blocks it",
    );
  });

  it('obsoletes on a kernel that has no such field is an error naming the patch', () => {
    const text = [
      'kernel: { livepatch: replace-set }',
      'patches:',
      '  - { name: vendor, obsoletes: [7] }',
    ].join('\n');
    expect(errorOf(text).message).toContain(
      "patch 'vendor' sets obsoletes, which only a 'provides' kernel has",
    );
  });

  it('provides and replaceSet with different values', () => {
    const text = [
      'kernel: { livepatch: provides }',
      'patches:',
      '  - { name: p, provides: 1, replaceSet: 2 }',
    ].join('\n');
    expect(errorOf(text).message).toContain("patch 'p' sets replaceSet 2 and provides 1");
  });

  it('a func listed twice in one object, sympos 0 and 1 being one function', () => {
    const text = [
      'kernel: { livepatch: replace-bool }',
      'patches:',
      '  - name: p',
      '    objects: [{ name: vmlinux, funcs: [f, { name: f, sympos: 1 }] }]',
    ].join('\n');
    expect(errorOf(text).message).toContain("func 'f,1' is listed twice in object 'vmlinux'");
  });

  it('duplicate module names across modules and patches', () => {
    const text = [
      'kernel: { livepatch: replace-bool }',
      'modules: [{ name: p }]',
      'patches: [{ name: p }]',
    ].join('\n');
    expect(errorOf(text).message).toContain("module name 'p' is declared twice");
  });
});

describe('invalid example scenarios exit 2 with the message in their .err file', () => {
  const dir = new URL('../../examples/klp/provides/invalid/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    it(file, async () => {
      const path = fileURLToPath(new URL(file, dir));
      const { code, stderr } = await runCli(['simulate', path, '--log']);
      expect(code).toBe(2);
      expect(stderr).toContain(readFileSync(path.replace(/\.yaml$/, '.err'), 'utf8').trim());
    });
  }
});
