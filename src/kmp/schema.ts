import * as z from 'zod';
import { parseJsonWithSchema } from '../document/index.js';
import { moduleNameFromPath } from '../elf/index.js';
import { moduleNameProblem, nameProblem, relativePathProblem, ruleCheck } from '../input/index.js';

/**
 * The JSON files klpm reads to learn about KMP builds and kernels until every module is read from
 * its ELF file (docs/kmp.md, "Describing builds and kernels"). CRCs are numbers or `0x` hex strings.
 */

const crc = z.union([
  z.number().int().min(0).max(0xffffffff),
  z
    .string()
    .regex(/^0x[0-9a-fA-F]{1,8}$/, 'expected a CRC such as 0x1a2b3c4d')
    .transform((text) => Number.parseInt(text, 16)),
]);

const symbol = z.strictObject({ name: z.string().min(1), crc: crc.optional() });

/** A package, version, kernel release or flavor: each becomes a directory (docs/cli.md, "Names and paths"). */
const name = z
  .string()
  .regex(/^[A-Za-z0-9_.+~^-]+$/, 'expected a name without slashes or spaces')
  .superRefine(ruleCheck(nameProblem));
const moduleName = z.string().superRefine(ruleCheck(moduleNameProblem));
const relativePath = z.string().superRefine(ruleCheck(relativePathProblem));

const module = z
  .strictObject({
    /** path of the module file inside the build directory */
    file: relativePath.regex(
      /^[A-Za-z0-9_.+-][A-Za-z0-9_./+-]*\.ko(\.xz|\.zst|\.gz)?$/,
      'expected a relative path ending in .ko',
    ),
    /** `.modinfo` name; with exports and imports, the module need not be read from its file */
    name: moduleName.optional(),
    /** `.modinfo` vermagic of a described module; without it the loader's vermagic check is skipped */
    vermagic: z.string().min(1).optional(),
    exports: z.array(symbol).optional(),
    imports: z.array(symbol).optional(),
  })
  .superRefine((m, ctx) => {
    // without a name, the file's name is the module's (and its weak-updates link's)
    const problem = m.name === undefined ? moduleNameProblem(moduleNameFromPath(m.file)) : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['file'], message: problem });
  });

/** `kmp.json`: one build of a package, in the package directory given to `klpm kmp add` and in the store. */
export const kmpBuildSchema = z.strictObject({
  package: name,
  version: name,
  kernel: name,
  flavor: name.optional(),
  bootCritical: z.boolean().default(false),
  modules: z.array(module).min(1, 'expected at least one module'),
});
export type KmpBuildDescription = z.output<typeof kmpBuildSchema>;

/** A kernel description for `klpm kmp add-kernel K --describe FILE`: symvers and in-tree modules in JSON form. */
export const kernelSchema = z.strictObject({
  release: name,
  flavor: name.optional(),
  /** the vermagic its modules carry; without it boot-critical builds for other kernels are refused */
  vermagic: z.string().min(1).optional(),
  initrd: z.array(z.string()).default([]),
  symvers: z.array(
    z.strictObject({
      symbol: z.string().min(1),
      crc,
      module: z.string().min(1),
      exportType: z.string().default('EXPORT_SYMBOL'),
      namespace: z.string().optional(),
    }),
  ),
  modules: z
    .array(
      z.strictObject({
        name: moduleName,
        file: relativePath,
        exports: z.array(symbol).default([]),
        imports: z.array(symbol).default([]),
      }),
    )
    .default([]),
});
export type KernelDescription = z.output<typeof kernelSchema>;

export function parseKmpBuild(text: string, source: string): KmpBuildDescription {
  return parseFast(text, source, kmpBuildSchema);
}

export function parseKernel(text: string, source: string): KernelDescription {
  return parseFast(text, source, kernelSchema);
}

/** Kernel descriptions run to megabytes: strict JSON, parsed fast (document/ parseJsonWithSchema). */
function parseFast<T extends z.ZodType>(text: string, source: string, schema: T): z.output<T> {
  return parseJsonWithSchema(text, source, schema);
}

/** The flavor of a release when not given: what follows its last `-` (`6.1.0-47-amd64` -> `amd64`). */
export function flavorOf(release: string): string {
  const dash = release.lastIndexOf('-');
  return dash < 0 ? 'default' : release.slice(dash + 1);
}
