import { type Html, html, raw } from './html.js';
import { count, scrolling } from './layout.js';

/** A build as the horizon needs it: its hosts and the date its coverage ends (`YYYY-MM-DD…`), or null. */
export interface HorizonBuild {
  readonly buildId: string | null;
  readonly release: string | null;
  readonly hosts: number;
  readonly expires: string | null;
}

export const HORIZON_WEEKS = 26;
const WEEK_MS = 7 * 86_400_000;
/** Builds drawn in a colour of their own; the rest share "other builds". Each passes 3:1 on white. */
const COLOURS = ['#1b5e9e', '#b3541e', '#2e7d32', '#8e24aa', '#c62828', '#00796b', '#6d4c41', '#ad1457'];
const OTHER = '#5f6368';

/** Per week of the next 26 (from `now`), how many hosts of each build lose coverage in it. */
export function horizonWeeks(
  builds: ReadonlyArray<HorizonBuild>,
  now: number,
): { weeks: Array<Map<number, number>>; series: HorizonBuild[] } {
  const series = builds
    .filter((b) => b.expires !== null && weekOf(b.expires, now) !== undefined)
    .sort((a, b) => b.hosts - a.hosts);
  const weeks = Array.from({ length: HORIZON_WEEKS }, () => new Map<number, number>());
  series.forEach((b, i) => {
    const week = weekOf(b.expires!, now)!;
    const key = Math.min(i, COLOURS.length);
    weeks[week]!.set(key, (weeks[week]!.get(key) ?? 0) + b.hosts);
  });
  return { weeks, series };
}

function weekOf(expires: string, now: number): number | undefined {
  const at = Date.parse(expires.length === 10 ? `${expires}T00:00:00Z` : expires);
  if (Number.isNaN(at) || at < now) return undefined;
  const week = Math.floor((at - now) / WEEK_MS);
  return week < HORIZON_WEEKS ? week : undefined;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const buildName = (b: HorizonBuild) =>
  `${b.release ?? 'unknown release'} (${(b.buildId ?? 'no build ID').slice(0, 12)})`;

/**
 * The end-of-life horizon as an SVG bar chart drawn on the server (stacked per build, one bar a
 * week), with a legend and the same numbers as a table for screen readers and for reading exactly.
 */
export function horizonChart(builds: ReadonlyArray<HorizonBuild>, now: number): Html {
  const { weeks, series } = horizonWeeks(builds, now);
  const totals = weeks.map((w) => [...w.values()].reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const W = 720;
  const H = 220;
  const left = 48;
  const bottom = 28;
  const top = 10;
  const plotH = H - bottom - top;
  const slot = (W - left - 8) / HORIZON_WEEKS;
  const colour = (key: number) => (key < COLOURS.length ? COLOURS[key]! : OTHER);
  let bars = '';
  weeks.forEach((w, i) => {
    let y = top + plotH;
    for (const [key, n] of [...w].sort(([a], [b]) => a - b)) {
      const h = (n / max) * plotH;
      y -= h;
      const who = key < COLOURS.length ? buildName(series[key]!) : 'other builds';
      bars +=
        html`<rect x="${(left + i * slot + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${colour(key)}"><title>${`week of ${day(now + i * WEEK_MS)}: ${count(n)} hosts of ${who}`}</title></rect>`
          .text;
    }
  });
  let axis = '';
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    axis +=
      html`<line x1="${left}" x2="${W - 8}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#c4c8cd"/><text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${count(Math.round(f * max))}</text>`
        .text;
  }
  for (let i = 0; i < HORIZON_WEEKS; i += 4)
    axis +=
      html`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${H - 10}" text-anchor="middle">${day(now + i * WEEK_MS).slice(5)}</text>`
        .text;
  const legendKeys = [...new Set(weeks.flatMap((w) => [...w.keys()]))].sort((a, b) => a - b);
  const total = totals.reduce((a, b) => a + b, 0);
  const summary =
    total === 0
      ? 'No host loses coverage in the next 26 weeks.'
      : `${count(total)} hosts of ${series.length} builds lose coverage in the next 26 weeks; the most in one week: ${count(max)}.`;
  return html`<figure style="margin:0">
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="horizon-title horizon-desc" style="max-width:${W}px;height:auto"><title id="horizon-title">End-of-life horizon: hosts losing livepatch coverage per week</title><desc id="horizon-desc">${summary}</desc>${raw(axis)}${raw(bars)}</svg>
<figcaption class="muted">${summary} Bars: hosts per week, from ${day(now)}, by build.</figcaption>
<ul class="legend">${legendKeys.map(
    (k) =>
      html`<li><i style="background:${colour(k)}"></i>${k < COLOURS.length ? buildName(series[k]!) : 'other builds'}</li>`,
  )}</ul>
<details><summary>The numbers as a table</summary>${scrolling(
    'Horizon by week',
    html`<table><thead><tr><th scope="col">week from</th><th scope="col">build</th><th scope="col" class="num">hosts</th></tr></thead><tbody>${series.map(
      (b) =>
        html`<tr><td>${day(now + weekOf(b.expires!, now)! * WEEK_MS)}</td><td><a href="/hosts?buildId=${b.buildId ?? ''}">${buildName(b)}</a></td><td class="num">${count(b.hosts)}</td></tr>`,
    )}</tbody></table>`,
  )}</details>
</figure>`;
}
