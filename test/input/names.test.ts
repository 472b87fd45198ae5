import { describe, expect, it } from 'vitest';
import { moduleNameProblem, nameProblem, relativePathProblem } from '../../src/input/index.js';

const bad = ['', '.', '..', 'a/b', '/abs', 'a\u0000b', 'a\nb', 'a\u001b[2Jb', 'a\u007fb', 'x'.repeat(256)];

describe('names that become paths', () => {
  it.each(bad)('refuses %j as a name', (text) => {
    expect(nameProblem(text)).toMatch(/^expected a name/);
  });

  it('takes a name of 255 bytes, counted in UTF-8', () => {
    expect(nameProblem('x'.repeat(255))).toBeUndefined();
    expect(nameProblem('é'.repeat(127))).toBeUndefined(); // 254 bytes
    expect(nameProblem('é'.repeat(128))).toMatch(/at most 255 bytes/); // 256 bytes
    expect(nameProblem('6.1.0-47-amd64')).toBeUndefined();
  });

  it('a relative path is segments that are names, never absolute', () => {
    expect(relativePathProblem('livepatches/p.ko')).toBeUndefined();
    expect(relativePathProblem('/abs/p.ko')).toMatch(/not an absolute one/);
    expect(relativePathProblem('a/../p.ko')).toMatch(/not '\.\.'/);
    expect(relativePathProblem('./p.ko')).toMatch(/not '\.'/);
    expect(relativePathProblem('a//p.ko')).toMatch(/empty string/);
    expect(relativePathProblem('a\n/p.ko')).toMatch(/control characters/);
    expect(relativePathProblem(`${'x'.repeat(256)}/p.ko`)).toMatch(/255 bytes/);
  });

  it("a module name is at most 55 bytes (MODULE_NAME_LEN 56, the NUL included) and never 'vmlinux'", () => {
    expect(moduleNameProblem('x'.repeat(55))).toBeUndefined();
    expect(moduleNameProblem('x'.repeat(56))).toMatch(/at most 55 bytes/);
    expect(moduleNameProblem('vmlinux')).toMatch(/other than 'vmlinux'/);
    expect(moduleNameProblem('..')).toMatch(/^expected a module name/);
    expect(moduleNameProblem('livepatch_1')).toBeUndefined();
  });
});
