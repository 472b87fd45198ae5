/** The fleet agent: enrolls, reports the machine with `klpm status`'s reader, takes and applies its plan. */
export {
  AGENT_VERSION,
  AgentError,
  type AgentOptions,
  type CheckIn,
  checkInOnce,
  nextDelayMs,
  type RunOptions,
  runAgent,
} from './agent.js';
export { type ApplyOptions, applyPlan } from './apply.js';
export { readKmsgAfter, writeKmsgMarker } from './kmsg.js';
export { spoolDir, spooledEvents } from './spool.js';
