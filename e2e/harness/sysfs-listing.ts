import { parseScenario, runScenario } from '../../src/klp/index.js';

/**
 * The livepatch sysfs tree as one sorted list of lines, the form the guest's klp_dump_sysfs prints:
 * `<patch>/` for a directory, `<patch>/enabled=1` for a readable attribute, `<patch>/force` for the
 * write-only one, and `/sys/module/<patch>/version=<v>` for each loaded patch module with a version.
 */

/** Optional attributes per Debian kernel series, as seen in the guests (e2e/fixtures/<series>/*.sysfs). */
export const SERIES_ATTRIBUTES: Readonly<Record<string, ReadonlyArray<'replace' | 'stack_order'>>> = {
  '6.1': [],
  '6.12': ['replace'],
  '7.3': ['replace', 'stack_order'],
};

/** Sorted, without blank lines. */
export function normalizeListing(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .sort();
}

/** What the simulator says the guest's listing is after the scenario, on a kernel with `attributes`. */
export function simulatedListing(
  scenarioText: string,
  source: string,
  attributes: ReadonlyArray<'replace' | 'stack_order'>,
): string[] {
  const scenario = parseScenario(scenarioText, source);
  const simulation = runScenario({
    ...scenario,
    kernel: { ...scenario.kernel, attributes: [...attributes] },
  });
  const lines: string[] = [];
  for (const patch of simulation.sysfs) {
    const dir = patch.name;
    lines.push(
      `${dir}/`,
      `${dir}/enabled=${patch.enabled}`,
      `${dir}/transition=${patch.transition}`,
      `${dir}/force`,
    );
    if (patch.replace !== undefined) lines.push(`${dir}/replace=${patch.replace}`);
    if (patch.stack_order !== undefined) lines.push(`${dir}/stack_order=${patch.stack_order}`);
    for (const obj of patch.objects) {
      lines.push(`${dir}/${obj.name}/`, `${dir}/${obj.name}/patched=${obj.patched}`);
      for (const func of obj.funcs) lines.push(`${dir}/${obj.name}/${func}/`);
    }
  }
  const versions = new Map(scenario.patches.map((patch) => [patch.name, patch.version]));
  for (const mod of simulation.modules) {
    const version = versions.get(mod.name);
    if (version !== undefined) lines.push(`/sys/module/${mod.name}/version=${version}`);
  }
  return lines.sort();
}
