import type { RuleId, Severity } from './types.js';

/**
 * Every rule lint has, with the kernel source it models (docs/lint.md lists them with examples).
 * `severity` is the rule's usual severity; isolation and downgrade depend on the kernel kind and say so.
 */
export const RULES: Readonly<Record<RuleId, { readonly severity: Severity; readonly source: string }>> = {
  'cumulative-func': {
    severity: 'warning',
    source: 'kernel/livepatch/core.c klp_add_nops; Documentation/livepatch/cumulative-patches.rst',
  },
  'cumulative-object': {
    severity: 'warning',
    source: 'kernel/livepatch/core.c klp_add_nops, klp_add_object_nops',
  },
  'states-missing': {
    severity: 'error',
    source: 'kernel/livepatch/state.c klp_is_patch_compatible, klp_is_state_compatible',
  },
  'states-lower': {
    severity: 'error',
    source: 'kernel/livepatch/state.c klp_is_patch_compatible, klp_is_state_compatible',
  },
  'isolation-func': {
    severity: 'error',
    source:
      'replace_set series (docs/klp-semantics.md rule 26); kernel/livepatch/patch.c klp_patch_func (func_stack, newest wins); core.c klp_find_func (sympos 0 is 1)',
  },
  'isolation-state': {
    severity: 'error',
    source:
      'replace_set series (docs/klp-semantics.md rule 26); kernel/livepatch/state.c klp_is_state_compatible',
  },
  downgrade: {
    severity: 'warning',
    source: 'docs/klp-semantics.md rule 27; the planner (src/plan assemblePlan), checked on the simulator',
  },
  'downgrade-states': {
    severity: 'warning',
    source: 'Documentation/livepatch/system-state.rst; kernel/livepatch/state.c klp_is_state_compatible',
  },
  'callbacks-no-funcs': {
    severity: 'warning',
    source: 'Documentation/livepatch/callbacks.rst; kernel/livepatch/core.c klp_init_patch_early',
  },
  'callbacks-state-setup': {
    severity: 'warning',
    source: 'Documentation/livepatch/system-state.rst ("Expected usage")',
  },
  'callbacks-pre-unpatch': {
    severity: 'warning',
    source: 'Documentation/livepatch/callbacks.rst; kernel/livepatch/core.h klp_post_unpatch_callback',
  },
  'hygiene-livepatch': {
    severity: 'error',
    source: 'kernel/module/main.c check_modinfo_livepatch; kernel/livepatch/core.c klp_enable_patch',
  },
  'hygiene-vermagic': {
    severity: 'error',
    source: 'kernel/module/main.c check_modinfo (same_magic); include/linux/vermagic.h',
  },
  'hygiene-symbol': {
    severity: 'error',
    source:
      'kernel/livepatch/core.c klp_find_object_symbol (from klp_resolve_symbols and klp_init_object_loaded)',
  },
  'hygiene-sympos': {
    severity: 'error',
    source: 'kernel/livepatch/core.c klp_find_object_symbol, klp_match_callback',
  },
  'version-same': {
    severity: 'error',
    source: 'docs/repository.md (a host takes only a build whose `to` is newer than what it runs)',
  },
  'upgrade-refused': {
    severity: 'error',
    source: 'the planner (src/plan assemblePlan) and the simulator (src/klp)',
  },
};
