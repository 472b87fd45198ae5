import type { BuildView } from '../../fleet/index.js';
import { html, queryString } from './html.js';
import { badge, count, page, scrolling, type Viewer } from './layout.js';

/** Each build ID with its hosts, its newest livepatch per replace set and its coverage end date. */
export function buildsPage(viewer: Viewer, builds: ReadonlyArray<BuildView>): string {
  const table = scrolling(
    'Builds',
    html`<table><thead><tr><th scope="col">build ID</th><th scope="col">release</th><th scope="col" class="num">hosts</th><th scope="col">status</th><th scope="col">newest livepatch</th><th scope="col">coverage ends</th></tr></thead><tbody>${builds.map(
      (b) =>
        html`<tr><td class="mono"><a href="/hosts${queryString({ buildId: b.buildId ?? undefined })}">${b.buildId?.slice(0, 16) ?? 'unknown'}</a></td><td class="mono">${b.release ?? '—'}</td><td class="num">${count(b.hosts)}</td><td>${badge(b.status)}${b.eol && b.status !== 'kernel-end-of-life' ? html` ${badge('kernel-end-of-life')}` : ''}</td><td>${
          b.newest.length === 0
            ? html`<span class="muted">none</span>`
            : b.newest.map(
                (n) =>
                  html`<div>set ${n.replaceSet}: <code>${n.name ?? '?'}</code> ${n.to} <span class="muted">(${n.update})</span></div>`,
              )
        }</td><td>${b.expires ?? '—'}</td></tr>`,
    )}</tbody></table>`,
  );
  return page(
    'Builds',
    'builds',
    viewer,
    html`<h1>Builds</h1><p class="muted">${count(builds.length)} builds, the earliest end of coverage first.</p>${table}`,
  );
}
