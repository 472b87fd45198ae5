import type { FleetSummary } from '../../fleet/index.js';
import { REBOOT_ORDER, STATUS_ORDER } from '../../fleet/index.js';
import type { HostRow } from '../../store/index.js';
import { horizonChart } from './horizon.js';
import { type Html, html, queryString } from './html.js';
import { badge, count, page, scrolling, type Viewer } from './layout.js';
import { type RolloutList, rolloutsTable } from './rollouts-page.js';

export interface FleetPageData {
  readonly summary: FleetSummary;
  /** when the counts were read (ms): they may be a few seconds old */
  readonly countedAt: number;
  readonly silent: ReadonlyArray<HostRow>;
  readonly stuck: ReadonlyArray<HostRow>;
  readonly rollouts: RolloutList;
  readonly now: number;
}

/** A short list of hosts: hostname (a link), status, last check-in. */
export function hostList(label: string, hosts: ReadonlyArray<HostRow>, more: string): Html {
  if (hosts.length === 0) return html`<p class="muted">None.</p>`;
  return html`${scrolling(
    label,
    html`<table><thead><tr><th scope="col">host</th><th scope="col">build</th><th scope="col">status</th><th scope="col">last check-in</th></tr></thead><tbody>${hosts.map(
      (h) =>
        html`<tr><td><a href="/hosts/${h.id}">${h.hostname}</a></td><td class="mono">${h.release ?? '—'}</td><td>${badge(h.status)}</td><td>${h.lastSeen?.replace('T', ' ').slice(0, 19) ?? 'never'}</td></tr>`,
    )}</tbody></table>`,
  )}<p><a href="${more}">All of them</a></p>`;
}

/** The fleet page: hosts by status and reboot need, the end-of-life horizon, silent and stuck hosts, running rollouts. */
export function fleetPage(viewer: Viewer, d: FleetPageData): string {
  const s = d.summary;
  const running = d.rollouts.kind === 'ok' ? d.rollouts.rollouts.filter((r) => r.state === 'running') : [];
  const content = html`<h1>Fleet</h1>
<p class="muted">${count(s.hosts)} hosts have reported; counted at ${new Date(d.countedAt).toISOString().slice(11, 19)} UTC.</p>
<div class="cards">
<section class="card" aria-labelledby="by-status"><h2 id="by-status">By status</h2><table><tbody>${STATUS_ORDER.map(
    (st) =>
      html`<tr><th scope="row"><a href="/hosts${queryString({ status: st })}">${badge(st)}</a></th><td class="num">${count(s.status[st])}</td></tr>`,
  )}</tbody></table></section>
<section class="card" aria-labelledby="by-reboot"><h2 id="by-reboot">By reboot need</h2><table><tbody>${REBOOT_ORDER.map(
    (r) =>
      html`<tr><th scope="row"><a href="/hosts${queryString({ reboot: r })}">${badge(r)}</a></th><td class="num">${count(s.reboot[r])}</td></tr>`,
  )}</tbody></table></section>
<section class="card" aria-labelledby="in-short"><h2 id="in-short">In short</h2><table><tbody>
<tr><th scope="row"><a href="/hosts?silent=true">silent</a></th><td class="num">${count(s.silent)}</td></tr>
<tr><th scope="row"><a href="/builds">builds</a></th><td class="num">${count(s.builds.length)}</td></tr>
<tr><th scope="row"><a href="/rollouts">rollouts running</a></th><td class="num">${d.rollouts.kind === 'ok' ? count(running.length) : '—'}</td></tr>
</tbody></table></section>
</div>
<section aria-labelledby="horizon"><h2 id="horizon">End-of-life horizon</h2>${horizonChart(s.builds, d.now)}</section>
<section aria-labelledby="silent"><h2 id="silent">Silent hosts</h2><p class="muted">No report for more than twice their check-in interval.</p>${hostList('Silent hosts', d.silent, '/hosts?silent=true')}</section>
<section aria-labelledby="stuck"><h2 id="stuck">Stuck hosts</h2><p class="muted">A livepatch transition that does not complete, or tasks blocking one, in their latest report.</p>${hostList('Stuck hosts', d.stuck, '/hosts?stuck=true')}</section>
<section aria-labelledby="running"><h2 id="running">Rollouts running</h2>${
    d.rollouts.kind === 'ok'
      ? running.length === 0
        ? html`<p class="muted">None running.</p>`
        : rolloutsTable(running)
      : html`<p class="muted">Rollouts are not available on this server.</p>`
  }</section>`;
  return page('Fleet', 'fleet', viewer, content);
}
