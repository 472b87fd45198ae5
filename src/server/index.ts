/** The fleet server: the HTTP API over a FleetStore (docs/fleet.md). */
export { BODY_LIMIT } from './http-io.js';
export { FleetMetrics } from './metrics.js';
export { API_VERSION, jsonSchemaOf, openApiDocument } from './openapi.js';
export { type Access, type Route, routes } from './routes.js';
export { type FleetServerOptions, type RunningServer, startFleetServer } from './server.js';
