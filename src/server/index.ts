/** The fleet server: the HTTP API over a FleetStore (docs/fleet.md). */
export { BODY_LIMIT } from './http-io.js';
export { FleetMetrics } from './metrics.js';
export { type Access, routes } from './routes.js';
export { type FleetServerOptions, type RunningServer, startFleetServer } from './server.js';
