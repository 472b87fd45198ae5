/** The fleet server: the HTTP API over a FleetStore (docs/fleet.md). */
export { BODY_LIMIT } from './http-io.js';
export { FleetMetrics } from './metrics.js';
export { API_VERSION, jsonSchemaOf, openApiDocument } from './openapi.js';
export {
  clientAddress,
  MemoryRateLimiter,
  parseRate,
  type Rate,
  type RateDecision,
  type RateLimiter,
} from './rate-limit.js';
export { type Access, type Route, routes } from './routes.js';
export {
  DEFAULT_ENROLL_RATE,
  DEFAULT_REPORT_RATE,
  type FleetServerOptions,
  type RunningServer,
  startFleetServer,
} from './server.js';
