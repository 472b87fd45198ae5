import type { CallbackName } from './manifest.js';
import type { TargetState } from './types.js';

/** The state a module is in when a callback prints it (the selftest modules' module_state[] strings). */
export type ModuleState = 'live' | 'coming' | 'going';

/**
 * Everything the kernel would log, as data. `formatEvent` gives the exact dmesg line; the wording is
 * the kernel's own (kernel/livepatch/core.c, transition.c) and, for callbacks, that of the selftest
 * modules (test_klp_callbacks_demo.c callback_info()).
 */
export type KlpEvent =
  | { readonly type: 'enabling'; readonly patch: string }
  | {
      readonly type: 'transition';
      readonly patch: string;
      readonly phase: 'initializing' | 'starting' | 'completing' | 'complete';
      readonly targetState: TargetState;
    }
  | { readonly type: 'reversing'; readonly patch: string; readonly from: TargetState }
  | { readonly type: 'canceling'; readonly patch: string }
  | { readonly type: 'forcing' }
  | { readonly type: 'signaling' }
  | { readonly type: 'applying-to-module'; readonly patch: string; readonly module: string }
  | { readonly type: 'reverting-on-module'; readonly patch: string; readonly module: string }
  | { readonly type: 'pre-patch-failed'; readonly object: string }
  | { readonly type: 'enable-failed'; readonly patch: string }
  | { readonly type: 'refusing-module'; readonly patch: string; readonly module: string }
  | { readonly type: 'not-compatible'; readonly patch: string; readonly reason: string }
  | {
      readonly type: 'callback';
      readonly patch: string;
      readonly callback: CallbackName;
      /** module name, undefined for vmlinux */
      readonly module: string | undefined;
      readonly moduleState: ModuleState;
    };

const MODULE_STATE_TEXT: Record<ModuleState, string> = {
  live: '[MODULE_STATE_LIVE] Normal state',
  coming: '[MODULE_STATE_COMING] Full formed, running module_init',
  going: '[MODULE_STATE_GOING] Going away',
};

const verb = (state: TargetState) => (state === 'patched' ? 'patching' : 'unpatching');

/** The dmesg line of an event, with the `livepatch: ` prefix of kernel/livepatch's pr_fmt. */
export function formatEvent(event: KlpEvent): string {
  switch (event.type) {
    case 'enabling':
      return `livepatch: enabling patch '${event.patch}'`;
    case 'transition':
      return event.phase === 'complete'
        ? `livepatch: '${event.patch}': ${verb(event.targetState)} complete`
        : `livepatch: '${event.patch}': ${event.phase} ${verb(event.targetState)} transition`;
    case 'reversing':
      return `livepatch: '${event.patch}': reversing transition from ${event.from === 'patched' ? 'patching to unpatching' : 'unpatching to patching'}`;
    case 'canceling':
      return `livepatch: '${event.patch}': canceling patching transition, going to unpatch`;
    case 'forcing':
      return 'livepatch: forcing remaining tasks to the patched state';
    case 'signaling':
      return 'livepatch: signaling remaining tasks';
    case 'applying-to-module':
      return `livepatch: applying patch '${event.patch}' to loading module '${event.module}'`;
    case 'reverting-on-module':
      return `livepatch: reverting patch '${event.patch}' on unloading module '${event.module}'`;
    case 'pre-patch-failed':
      return `livepatch: pre-patch callback failed for object '${event.object}'`;
    case 'enable-failed':
      return `livepatch: failed to enable patch '${event.patch}'`;
    case 'refusing-module':
      return `livepatch: patch '${event.patch}' failed for module '${event.module}', refusing to load module '${event.module}'`;
    case 'not-compatible':
      return `livepatch: Livepatch patch (${event.patch}) is not compatible with the already installed livepatches.`;
    case 'callback':
      return event.module === undefined
        ? `${event.patch}: ${event.callback}_callback: vmlinux`
        : `${event.patch}: ${event.callback}_callback: ${event.module} -> ${MODULE_STATE_TEXT[event.moduleState]}`;
  }
}
