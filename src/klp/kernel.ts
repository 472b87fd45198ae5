import type { KlpEvent } from './events.js';
import type { KlpSystem } from './types.js';

/** The working copy one operation changes, and the log it writes. Never escapes an operation. */
export interface Kernel {
  readonly sys: KlpSystem;
  readonly events: KlpEvent[];
}
