import { InputError } from '../input/index.js';
import type { KernelKind, PatchManifest } from '../klp/index.js';
import { rpmvercmp } from '../version/index.js';
import { callbackFindings } from './callbacks.js';
import { cumulativeFindings } from './cumulative.js';
import { downgradeFindings } from './downgrade.js';
import { hygieneFindings } from './hygiene.js';
import { isolationFindings } from './isolation.js';
import { predictChange, versionOf } from './prediction.js';
import { RULES } from './rules.js';
import { stateFindings } from './states.js';
import type { BuildRef, Finding, LintInput, LintOptions, LintReport } from './types.js';

/**
 * Whether NEW replaces a build, by klpm's replace sets (docs/klp-semantics.md "Kernel kinds"): the
 * same set, or on a provides kernel a set NEW obsoletes. On a replace-bool kernel the sets are
 * klpm's mapping (the manifest's replaceSet), as `klpm apply` plans them.
 */
function replaces(kind: KernelKind, next: PatchManifest, other: PatchManifest): boolean {
  return (
    other.replaceSet === next.replaceSet || (kind === 'provides' && next.obsoletes.includes(other.replaceSet))
  );
}

const ref = (input: LintInput): BuildRef => ({
  file: input.file,
  name: input.manifest.name,
  version: versionOf(input),
});

/**
 * The release checks of docs/lint.md on NEW: against the build it replaces (the newest `previous`
 * older than NEW), the builds newer than it (a downgrade), the patches of other sets, and on its own.
 * Inputs that cannot be compared (no version, a `previous` of another set) are an InputError.
 */
export function lintRelease(options: LintOptions): LintReport {
  const { next, kernel } = options;
  const notes: string[] = [];
  for (const prev of options.previous)
    if (!replaces(kernel, next.manifest, prev.manifest))
      throw new InputError(
        `--previous is of replace set ${prev.manifest.replaceSet}, '${next.manifest.name}' of ${next.manifest.replaceSet}: it does not replace it (pass it with --set)`,
        prev.file,
      );
  for (const other of options.others)
    if (replaces(kernel, next.manifest, other.manifest))
      throw new InputError(
        `--set is of replace set ${other.manifest.replaceSet}, which '${next.manifest.name}' replaces (pass it with --previous)`,
        other.file,
      );
  const nextVersion = versionOf(next);
  if (options.previous.length > 0 && nextVersion === undefined)
    throw new InputError(
      "has no version (modinfo version, or the manifest's version): lint cannot tell which --previous it replaces",
      next.file,
    );
  const findings: Finding[] = [];
  const older: Array<{ input: LintInput; version: string }> = [];
  const newer: LintInput[] = [];
  for (const prev of options.previous) {
    const version = versionOf(prev);
    if (version === undefined)
      throw new InputError("has no version (modinfo version, or the manifest's version)", prev.file);
    const order = rpmvercmp(version, nextVersion!);
    if (order < 0) older.push({ input: prev, version });
    else if (order > 0) newer.push(prev);
    else
      findings.push({
        rule: 'version-same',
        ...RULES['version-same'],
        file: next.file,
        other: prev.file,
        message: `'${prev.manifest.name}' has the same version ${version} as '${next.manifest.name}': a host running it is never offered this build`,
      });
  }
  older.sort((a, b) => rpmvercmp(b.version, a.version));
  const replaced = older[0]?.input;
  for (const skipped of older.slice(1))
    notes.push(
      `${skipped.input.file} (${skipped.version}) is older than ${replaced!.file}, which '${next.manifest.name}' replaces: not compared`,
    );
  if (replaced !== undefined) {
    findings.push(...cumulativeFindings(next, replaced));
    findings.push(...stateFindings(next, replaced, kernel));
  }
  for (const other of options.others) findings.push(...isolationFindings(next, other, kernel));
  for (const build of newer) findings.push(...downgradeFindings(options, build));
  findings.push(...callbackFindings(next));
  findings.push(...hygieneFindings(next, options.kernelRelease, options.symbols, notes));

  // the change a reviewer looks at: the upgrade, else the downgrade from the newest build, else a first load
  newer.sort((a, b) => rpmvercmp(versionOf(b)!, versionOf(a)!));
  const from = replaced ?? newer[0];
  const prediction = predictChange(kernel, options.kernelRelease, next, [
    ...options.others,
    ...(from ? [from] : []),
  ]);
  // a refused downgrade is the downgrade finding's to report
  if (prediction.kind === 'refused' && from === replaced)
    findings.push({
      rule: 'upgrade-refused',
      ...RULES['upgrade-refused'],
      file: next.file,
      ...(replaced ? { other: replaced.file } : {}),
      message: `klpm would not ${replaced ? `replace '${replaced.manifest.name}' by` : 'load'} '${next.manifest.name}': ${prediction.reason}`,
    });
  const bySeverity = (f: Finding) => (f.severity === 'error' ? 0 : 1);
  return {
    kernel,
    next: ref(next),
    replaces: replaced && ref(replaced),
    findings: findings
      .map((f, i) => ({ f, i }))
      .sort((a, b) => bySeverity(a.f) - bySeverity(b.f) || a.i - b.i)
      .map(({ f }) => f),
    prediction,
    notes,
  };
}
