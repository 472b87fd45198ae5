/** The fleet agent: enrolls, reports the machine with `klpm status`'s reader, takes its plan. */
export { AGENT_VERSION, AgentError, type AgentOptions, type CheckIn, checkInOnce } from './agent.js';
