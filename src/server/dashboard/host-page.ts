import * as z from 'zod';
import { comparedLog } from '../../fleet/index.js';
import type { HostDetail, HostEvent } from '../../store/index.js';
import { type Html, html, queryString } from './html.js';
import { badge, page, scrolling, type Viewer } from './layout.js';

/** What the host page shows of the KMP document (`klpm kmp status --json`); the rest is not read. */
const kmpSchema = z.looseObject({
  kernels: z.array(
    z.looseObject({
      kernel: z.string(),
      chosen: z
        .array(
          z.looseObject({
            package: z.string(),
            version: z.string(),
            builtFor: z.string().optional(),
            own: z.boolean().optional(),
          }),
        )
        .default([]),
      gaps: z.array(z.looseObject({ package: z.string() })).default([]),
      lost: z.array(z.string()).default([]),
    }),
  ),
});

/** A real and a predicted log side by side, compared lines only; a line that differs is marked. */
export function logComparison(real: ReadonlyArray<string>, predicted: ReadonlyArray<string>): Html {
  const a = comparedLog(real);
  const b = comparedLog(predicted);
  const n = Math.max(a.length, b.length);
  const rows: Html[] = [];
  let differ = 0;
  for (let i = 0; i < n; i++) {
    const same = a[i] === b[i];
    if (!same) differ++;
    rows.push(
      html`<tr${same ? '' : html` class="diff-bad"`}><td class="num">${i + 1}</td><td class="mono">${a[i] ?? '(missing)'}</td><td class="mono">${b[i] ?? '(missing)'}</td><td>${same ? 'same' : html`<strong>differs</strong>`}</td></tr>`,
    );
  }
  return html`<p>${differ === 0 ? html`<span class="diff-ok">The real kernel log is the predicted one (${n} lines compared).</span>` : html`<strong>${differ} of ${n} compared lines differ</strong> from the prediction.`}</p>${
    n === 0
      ? ''
      : scrolling(
          'Real and predicted log',
          html`<table><thead><tr><th scope="col">#</th><th scope="col">real log</th><th scope="col">predicted log</th><th scope="col">compared</th></tr></thead><tbody>${rows}</tbody></table>`,
        )
  }`;
}

function eventRow(e: HostEvent): Html {
  const d = e.detail as Record<string, unknown>;
  const when = e.at.replace('T', ' ').slice(0, 19);
  if (e.kind === 'apply' || e.kind === 'rollback' || e.kind === 'unload') {
    const real = Array.isArray(d.log) ? (d.log as string[]) : [];
    const predicted = Array.isArray(d.predictedLog) ? (d.predictedLog as string[]) : [];
    const blocking = Array.isArray(d.blocking) ? (d.blocking as Array<{ pid: number; comm: string }>) : [];
    const step = d.step as { index: number; op: string; patch: string } | null | undefined;
    return html`<li><strong>${when}</strong> ${e.kind} ${badge(String(d.outcome ?? '?') === 'ok' ? 'done' : 'failed')} <span class="muted">${String(d.outcome ?? '')}</span>
${step ? html`<div>failed at step ${step.index} (${step.op} ${step.patch})</div>` : ''}${d.reason ? html`<div>${String(d.reason)}</div>` : ''}
${blocking.length === 0 ? '' : html`<div>blocking tasks: ${blocking.map((b) => html`<code>${b.comm} (${b.pid})</code> `)}</div>`}
<details${comparedLog(real).join('\n') !== comparedLog(predicted).join('\n') ? html` open` : ''}><summary>Kernel log beside the prediction</summary>${logComparison(real, predicted)}</details></li>`;
  }
  if (e.kind === 'boot')
    return html`<li><strong>${when}</strong> boot: build ${String(d.previousBuildId ?? '?').slice(0, 12)} → ${String(d.buildId ?? '?').slice(0, 12)}</li>`;
  return html`<li><strong>${when}</strong> ${e.kind}</li>`;
}

function kmpMatrix(kmp: unknown): Html {
  if (kmp === null || kmp === undefined) return html`<p class="muted">This host does not report KMPs.</p>`;
  const parsed = kmpSchema.safeParse(kmp);
  if (!parsed.success) return html`<p class="muted">The KMP report is not in a form this page reads.</p>`;
  const kernels = parsed.data.kernels;
  const packages = [
    ...new Set(
      kernels.flatMap((k) => [...k.chosen.map((c) => c.package), ...k.gaps.map((g) => g.package), ...k.lost]),
    ),
  ].sort();
  if (packages.length === 0) return html`<p class="muted">No KMP is installed.</p>`;
  const gaps = kernels.flatMap((k) =>
    k.gaps.map((g) => `${k.kernel} has no compatible build of boot-critical ${g.package}`),
  );
  return html`${gaps.length === 0 ? '' : html`<div class="notice"><strong>Boot-critical gaps:</strong><ul>${gaps.map((g) => html`<li>${g}</li>`)}</ul></div>`}${scrolling(
    'KMP matrix',
    html`<table><thead><tr><th scope="col">kernel</th>${packages.map((p) => html`<th scope="col">${p}</th>`)}</tr></thead><tbody>${kernels.map(
      (k) =>
        html`<tr><th scope="row" class="mono">${k.kernel}</th>${packages.map((p) => {
          const c = k.chosen.find((x) => x.package === p);
          if (c !== undefined)
            return html`<td class="mono">${c.version}${c.own === false && c.builtFor ? html` <span class="muted">(from ${c.builtFor})</span>` : ''}</td>`;
          if (k.gaps.some((g) => g.package === p))
            return html`<td class="diff-bad"><strong>gap</strong></td>`;
          return html`<td class="muted">—</td>`;
        })}</tr>`,
    )}</tbody></table>`,
  )}`;
}

/** One host: kernel, build ID, loaded livepatches, the plan and its predicted log, events, blocking tasks, KMPs. */
export function hostPage(viewer: Viewer, d: HostDetail): string {
  const h = d.host;
  const st = d.report?.status;
  const plan = d.plan;
  const facts: Array<[string, Html | string]> = [
    ['hostname', h.hostname],
    ['id', html`<code>${h.id}</code>`],
    ['status', badge(h.status)],
    ['reboot need', badge(h.reboot)],
    ['kernel', st?.release ?? '—'],
    ['kernel kind', st?.kind ?? '—'],
    [
      'build ID',
      h.buildId === null
        ? '—'
        : html`<a class="mono" href="/hosts${queryString({ buildId: h.buildId })}">${h.buildId}</a>`,
    ],
    [
      'livepatchable',
      st === undefined ? '—' : `${st.livepatchable.ok ? 'yes' : 'no'}: ${st.livepatchable.reason}`,
    ],
    ['last check-in', h.lastSeen?.replace('T', ' ').slice(0, 19) ?? 'never'],
    ['labels', h.labels.join(' ') || '—'],
  ];
  const reasons = plan?.sets.filter((s) => s.reason !== '') ?? [];
  const content = html`<h1>${h.hostname}</h1>
<div class="cards"><section class="card" aria-labelledby="facts"><h2 id="facts">Host</h2><table><tbody>${facts.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table></section>
<section class="card" aria-labelledby="why"><h2 id="why">Why this status</h2>${plan === null ? html`<p class="muted">No report yet.</p>` : html`<p>${plan.reason}</p><ul>${reasons.map((s) => html`<li>replace set ${s.replaceSet}: ${s.reason}</li>`)}</ul>`}</section></div>
<h2>Loaded livepatches</h2>${
    st === undefined || st.patches.length === 0
      ? html`<p class="muted">None loaded.</p>`
      : scrolling(
          'Loaded livepatches',
          html`<table><thead><tr><th scope="col">patch</th><th scope="col">replace set</th><th scope="col">version</th><th scope="col">enabled</th><th scope="col">transition</th><th scope="col">replace</th></tr></thead><tbody>${st.patches.map(
            (p) =>
              html`<tr><td class="mono">${p.name}</td><td class="num">${p.replaceSet ?? p.provides ?? '—'}</td><td class="mono">${p.version ?? '—'}</td><td>${p.enabled ? 'yes' : 'no'}</td><td>${p.transition ? html`<strong>in transition</strong>` : 'no'}</td><td>${p.replace === undefined ? '—' : p.replace ? 'yes' : 'no'}</td></tr>`,
          )}</tbody></table>`,
        )
  }
<h2>Blocking tasks</h2>${
    st === undefined || st.blocking.length === 0
      ? html`<p class="muted">None.</p>`
      : scrolling(
          'Blocking tasks',
          html`<table><thead><tr><th scope="col">pid</th><th scope="col">command</th><th scope="col">stack</th></tr></thead><tbody>${st.blocking.map(
            (b) =>
              html`<tr><td class="num">${b.pid}</td><td class="mono">${b.comm}</td><td><pre>${b.stack ?? ''}</pre></td></tr>`,
          )}</tbody></table>`,
        )
  }
<h2>Plan</h2>${
    plan === null
      ? html`<p class="muted">No plan before the first report.</p>`
      : html`<p>${plan.steps.length === 0 ? 'Nothing to do.' : `${plan.steps.length} steps.`} <span class="muted">planHash <code>${plan.planHash.slice(0, 16)}</code></span></p>${plan.sets.map(
          (s) =>
            html`<h3>Replace set ${s.replaceSet}: ${s.to === null ? 'nothing to load' : html`to <code>${s.to}</code>`} ${s.refused ? badge('failed') : ''}</h3>
${s.reason === '' ? '' : html`<p>${s.reason}</p>`}
${s.steps.length === 0 ? '' : html`<ol>${s.steps.map((step) => html`<li><code>${JSON.stringify(step)}</code></li>`)}</ol>`}
${s.notes.length === 0 ? '' : html`<ul>${s.notes.map((n) => html`<li>${n}</li>`)}</ul>`}
${s.predictedLog.length === 0 ? '' : html`<details><summary>Predicted kernel log (${s.predictedLog.length} lines)</summary><pre>${s.predictedLog.join('\n')}</pre></details>`}`,
        )}`
  }
<h2>Events</h2>${d.events.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${d.events.map(eventRow)}</ul>`}
<h2>KMP matrix</h2>${kmpMatrix(d.report?.kmp)}`;
  return page(h.hostname, 'hosts', viewer, content);
}
