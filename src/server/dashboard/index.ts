/** The dashboard `klpm serve` shows at `/`: server-rendered pages, sessions, CSRF (docs/fleet.md). */
export { buildsPage } from './builds-page.js';
export { type FleetPageData, fleetPage } from './fleet-page.js';
export {
  type CallRoute,
  type DashboardAnswer,
  type DashboardDeps,
  dashboardHandler,
  isDashboardPath,
} from './handler.js';
export { type HorizonBuild, horizonChart, horizonWeeks } from './horizon.js';
export { hostPage, logComparison } from './host-page.js';
export { hostsPage, readHostsQuery } from './hosts-page.js';
export { escapeHtml, Html, html, raw } from './html.js';
export type { Viewer } from './layout.js';
export { rolloutPage, rolloutsPage } from './rollouts-page.js';
export { csrfMatches, csrfToken, newSession, readSession, type Session } from './session.js';
