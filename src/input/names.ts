import type * as z from 'zod';

/**
 * The rules for every name klpm turns into a path (docs/cli.md, "Names and paths"): a package,
 * version or kernel release becomes a directory, a patch name becomes /sys/kernel/livepatch/<name>,
 * a module name becomes a link in weak-updates/. Each check returns what was expected, or undefined
 * when the text obeys the rule, so readers can put the answer in their own located error.
 */

/** The longest file name: NAME_MAX in include/uapi/linux/limits.h, in bytes. */
const NAME_MAX = 255;

/**
 * The longest module name, in bytes. include/linux/module.h:
 * `#define MODULE_NAME_LEN MAX_PARAM_PREFIX_LEN`, which is `(64 - sizeof(unsigned long))`: 56 on a
 * 64-bit kernel, the terminating NUL included, so 55 bytes of name.
 */
export const MODULE_NAME_MAX = 56 - 1;

/** C0 controls and DEL: what a terminal acts on instead of showing. */
function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

const hasControl = (text: string) => [...text].some((c) => isControl(c.codePointAt(0)!));

const byteLength = (text: string) => new TextEncoder().encode(text).length;

/** One path segment: not empty, not `.` or `..`, no `/`, no control character, at most 255 bytes. */
export function nameProblem(text: string): string | undefined {
  if (text === '') return 'expected a name, not an empty string';
  if (text === '.' || text === '..') return `expected a name, not '${text}'`;
  if (text.includes('/')) return 'expected a name without /';
  if (text.includes('\u0000')) return 'expected a name without a NUL byte';
  if (hasControl(text)) return 'expected a name without newlines or other control characters';
  if (byteLength(text) > NAME_MAX) return `expected a name of at most ${NAME_MAX} bytes`;
  return undefined;
}

/** A relative path: not absolute, and every segment a name. */
export function relativePathProblem(text: string): string | undefined {
  if (text.startsWith('/')) return 'expected a relative path, not an absolute one';
  for (const segment of text.split('/')) {
    const problem = nameProblem(segment);
    if (problem !== undefined) return `expected a relative path whose every segment is a name: ${problem}`;
  }
  return undefined;
}

/**
 * A loadable module's name (a KMP module, a scenario module, a livepatch): a name of at most 55
 * bytes, and not `vmlinux`, which the kernel refuses as a module's name (kernel/module/main.c
 * early_mod_check). A patch object may still be called vmlinux: there it means the kernel itself.
 */
export function moduleNameProblem(text: string): string | undefined {
  const problem = nameProblem(text);
  if (problem !== undefined) return problem.replace('a name', 'a module name');
  if (byteLength(text) > MODULE_NAME_MAX)
    return `expected a module name of at most ${MODULE_NAME_MAX} bytes (the kernel's MODULE_NAME_LEN)`;
  if (text === 'vmlinux') return "expected a module name other than 'vmlinux', which is the kernel's own";
  return undefined;
}

/**
 * A zod check from one of the rules above: `z.string().superRefine(ruleCheck(nameProblem))`. The
 * schemas are made where they are used, so that this module (which the CLI's start-up loads)
 * loads no zod.
 */
export function ruleCheck(problem: (text: string) => string | undefined) {
  return (text: string, ctx: z.RefinementCtx) => {
    const message = problem(text);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}
