import { RULES } from './rules.js';
import type { Finding, LintInput } from './types.js';

/**
 * Callback mistakes, explained in plain words (Documentation/livepatch/callbacks.rst,
 * system-state.rst): pre_patch pairs with post_unpatch, post_patch with pre_unpatch, and a state is
 * set up by pre_patch/post_patch.
 */
export function callbackFindings(next: LintInput): Finding[] {
  const findings: Finding[] = [];
  const name = next.manifest.name;
  for (const obj of next.manifest.objects) {
    if (obj.callbacks.length > 0 && obj.funcs.length === 0)
      findings.push({
        rule: 'callbacks-no-funcs',
        ...RULES['callbacks-no-funcs'],
        file: next.file,
        object: obj.name,
        message: `object '${obj.name}' of '${name}' sets ${obj.callbacks.join(', ')} but patches no function: the kernel still runs them whenever '${obj.name}' is patched (and, for a module, whenever it loads or goes), with no changed code behind them; keep it only if it exists to run them, e.g. to set up a state`,
      });
    if (obj.callbacks.includes('pre_unpatch') && !obj.callbacks.includes('post_unpatch'))
      findings.push({
        rule: 'callbacks-pre-unpatch',
        ...RULES['callbacks-pre-unpatch'],
        file: next.file,
        object: obj.name,
        message: `object '${obj.name}' of '${name}' has pre_unpatch but no post_unpatch: pre_unpatch runs only when the patch is disabled, while tasks still run the new code, and never when a transition is reversed or cancelled; nothing runs once every task is back on the original code, so what pre_patch set up is never released`,
      });
  }
  const setsUp = next.manifest.objects.some(
    (o) => o.callbacks.includes('pre_patch') || o.callbacks.includes('post_patch'),
  );
  if (!setsUp)
    for (const state of next.manifest.states)
      findings.push({
        rule: 'callbacks-state-setup',
        ...RULES['callbacks-state-setup'],
        file: next.file,
        state: state.id,
        message: `'${name}' declares state ${state.id} (version ${state.version}) but no object has a pre_patch or post_patch callback: nothing sets the state up or takes it over from the patch it replaces, yet the kernel's state checks treat it as done`,
      });
  return findings;
}
