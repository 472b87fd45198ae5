import * as z from 'zod';
import { type Html, html } from './html.js';
import { badge, count, page, scrolling, type Viewer } from './layout.js';

/**
 * A rollout as `GET /v1/rollouts/{id}` answers it (issue 15's contract). Fields beyond the contract
 * (the component, the budget) are shown when the server sends them.
 */
const waveSchema = z.looseObject({
  name: z.string(),
  state: z.string(),
  hosts: z.number(),
  applied: z.number(),
  failed: z.number(),
  pending: z.number(),
  failures: z.array(z.looseObject({ host: z.string(), reason: z.string() })).default([]),
  failureBudget: z.union([z.number(), z.string()]).optional(),
  budget: z.union([z.number(), z.string()]).optional(),
});
export const rolloutSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  state: z.string(),
  reason: z.string().nullable().optional(),
  component: z.string().optional(),
  replaceSet: z.number().optional(),
  to: z.string().optional(),
  waves: z.array(waveSchema).default([]),
});
export type RolloutView = z.infer<typeof rolloutSchema>;

/** The rollouts as the server could read them: the list, no rollout routes on this server, or an error. */
export type RolloutList =
  | { readonly kind: 'ok'; readonly rollouts: ReadonlyArray<RolloutView> }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'error'; readonly message: string };

/** The answer of `GET /v1/rollouts`: a list, or `{"rollouts": [...]}`. */
export function rolloutListOf(body: unknown): RolloutView[] {
  const list = Array.isArray(body) ? body : (body as { rollouts?: unknown } | null)?.rollouts;
  return z.array(rolloutSchema).parse(list ?? []);
}

export const ACTIONS = ['pause', 'resume', 'abort', 'rollback'] as const;
export type RolloutAction = (typeof ACTIONS)[number];

/** What each action does, in the words of its confirm page. */
const ACTION_WORDS: Readonly<Record<RolloutAction, string>> = {
  pause: 'Pause: no more waves open, and hosts of the open waves are offered nothing new until it resumes.',
  resume: 'Resume: the failures so far are acknowledged and the rollout goes on.',
  abort: 'Abort: the rollout stops for good; hosts keep what they run.',
  rollback:
    'Roll back: every host of the waves opened so far returns to the version it ran before the rollout.',
};

/** Each action's button label. */
const ACTION_LABELS: Readonly<Record<RolloutAction, string>> = {
  pause: 'Pause',
  resume: 'Resume',
  abort: 'Abort',
  rollback: 'Roll back',
};

/** The actions that make sense in a state (the server decides; this only hides buttons that cannot work). */
export function actionsFor(state: string): RolloutAction[] {
  if (state === 'running') return ['pause', 'abort', 'rollback'];
  if (state === 'halted' || state === 'paused') return ['resume', 'abort', 'rollback'];
  if (state === 'done') return ['rollback'];
  return [];
}

const budgetOf = (w: RolloutView['waves'][number]) => w.failureBudget ?? w.budget;
const title = (r: RolloutView) =>
  r.component === undefined ? `rollout ${r.id}` : `${r.component} set ${r.replaceSet ?? 0} to ${r.to ?? '?'}`;

function progress(w: RolloutView['waves'][number]): Html {
  const total = Math.max(1, w.hosts);
  return html`<div class="bar" role="img" aria-label="${`${w.applied} of ${w.hosts} applied, ${w.failed} failed`}"><span class="ok" style="width:${((100 * w.applied) / total).toFixed(1)}%"></span><span class="bad" style="left:${((100 * w.applied) / total).toFixed(1)}%;width:${((100 * w.failed) / total).toFixed(1)}%"></span></div>`;
}

/** The rollouts as a table: each links to its page. */
export function rolloutsTable(rollouts: ReadonlyArray<RolloutView>): Html {
  return scrolling(
    'Rollouts',
    html`<table><thead><tr><th scope="col">rollout</th><th scope="col">state</th><th scope="col">waves</th><th scope="col" class="num">applied</th><th scope="col" class="num">failed</th><th scope="col">reason</th></tr></thead><tbody>${rollouts.map(
      (r) => {
        const open = r.waves.filter((w) => w.state !== 'pending').length;
        const applied = r.waves.reduce((a, w) => a + w.applied, 0);
        const failed = r.waves.reduce((a, w) => a + w.failed, 0);
        return html`<tr><td><a href="/rollouts/${r.id}">${title(r)}</a></td><td>${badge(r.state)}</td><td>${open} of ${r.waves.length} open</td><td class="num">${count(applied)}</td><td class="num">${count(failed)}</td><td>${r.reason ?? ''}</td></tr>`;
      },
    )}</tbody></table>`,
  );
}

const unavailable = html`<p class="info">Rollouts are not available on this server: it has no rollout endpoints (<code>/v1/rollouts</code>).</p>`;

/** The rollouts page: every rollout, and a start button for an admin. */
export function rolloutsPage(viewer: Viewer, list: RolloutList): string {
  const body =
    list.kind === 'unavailable'
      ? unavailable
      : list.kind === 'error'
        ? html`<p class="notice">The rollouts could not be read: ${list.message}</p>`
        : html`${viewer.role === 'admin' ? html`<div class="actions"><a class="button" href="/rollouts/new">Start a rollout</a></div>` : ''}${
            list.rollouts.length === 0
              ? html`<p class="muted">No rollouts yet.</p>`
              : rolloutsTable(list.rollouts)
          }`;
  return page('Rollouts', 'rollouts', viewer, html`<h1>Rollouts</h1>${body}`);
}

/** One rollout: its waves with progress and budget, the halt reason with the failing hosts, and the admin's buttons. */
export function rolloutPage(viewer: Viewer, r: RolloutView): string {
  const failures = r.waves.flatMap((w) => w.failures.map((f) => ({ wave: w.name, ...f })));
  const actions = viewer.role === 'admin' ? actionsFor(r.state) : [];
  const content = html`<h1>${title(r)}</h1>
<p>State: ${badge(r.state)} <span class="muted">rollout ${r.id}</span></p>
${r.reason ? html`<div class="${r.state === 'halted' ? 'notice' : 'info'}"><strong>${r.state === 'halted' ? 'Halted' : 'Reason'}:</strong> ${r.reason}</div>` : ''}
${
  actions.length === 0
    ? ''
    : html`<div class="actions">${actions.map(
        (a) =>
          html`<a class="button${a === 'abort' || a === 'rollback' ? ' secondary' : ''}" href="/rollouts/${r.id}/confirm/${a}">${ACTION_LABELS[a]}</a>`,
      )}</div>`
}
<h2>Waves</h2>${scrolling(
    'Waves',
    html`<table><thead><tr><th scope="col">wave</th><th scope="col">state</th><th scope="col" class="num">hosts</th><th scope="col" class="num">applied</th><th scope="col" class="num">failed</th><th scope="col" class="num">pending</th><th scope="col">budget</th><th scope="col">progress</th></tr></thead><tbody>${r.waves.map(
      (w) =>
        html`<tr><th scope="row">${w.name}</th><td>${badge(w.state)}</td><td class="num">${count(w.hosts)}</td><td class="num">${count(w.applied)}</td><td class="num">${count(w.failed)}</td><td class="num">${count(w.pending)}</td><td>${
          budgetOf(w) === undefined ? '—' : html`${w.failed} of ${String(budgetOf(w))}`
        }</td><td>${progress(w)}</td></tr>`,
    )}</tbody></table>`,
  )}
<h2>Failing hosts</h2>${
    failures.length === 0
      ? html`<p class="muted">None.</p>`
      : scrolling(
          'Failing hosts',
          html`<table><thead><tr><th scope="col">host</th><th scope="col">wave</th><th scope="col">reason</th></tr></thead><tbody>${failures.map(
            (f) =>
              html`<tr><td><a href="/hosts/${f.host}">${f.host}</a></td><td>${f.wave}</td><td>${f.reason}</td></tr>`,
          )}</tbody></table>`,
        )
  }
<p><a href="/rollouts">All rollouts</a></p>`;
  return page(title(r), 'rollouts', viewer, content);
}

/** The page that confirms an action: what it does and one button that does it (a POST form with the CSRF token). */
export function confirmActionPage(viewer: Viewer, r: RolloutView, action: RolloutAction): string {
  const content = html`<h1>${ACTION_LABELS[action]} ${title(r)}?</h1>
<p>${ACTION_WORDS[action]}</p><p>State now: ${badge(r.state)}</p>
<form method="post" action="/rollouts/${r.id}/${action}" class="actions"><input type="hidden" name="csrf" value="${viewer.csrf}">
<button type="submit"${action === 'abort' || action === 'rollback' ? html` class="danger"` : ''}>Yes, ${ACTION_LABELS[action].toLowerCase()}</button>
<a class="button secondary" href="/rollouts/${r.id}">Cancel</a></form>`;
  return page(`Confirm: ${ACTION_LABELS[action].toLowerCase()}`, 'rollouts', viewer, content);
}

/** The start form: the rollout as `POST /v1/rollouts` takes it, as JSON, checked on the next page. */
export function newRolloutPage(viewer: Viewer, example: string, problem?: string): string {
  const content = html`<h1>Start a rollout</h1>
${problem === undefined ? '' : html`<p class="notice">${problem}</p>`}
<p>The rollout as <code>POST /v1/rollouts</code> takes it: a component, a replace set, the version (<code>to</code>) and its waves. The next page shows it again before anything starts.</p>
<form method="post" action="/rollouts/new" class="stack"><input type="hidden" name="csrf" value="${viewer.csrf}">
<label for="rollout-json">Rollout (JSON)</label><textarea id="rollout-json" name="rollout" rows="16" cols="70" spellcheck="false">${example}</textarea>
<div class="actions"><button type="submit">Check</button><a class="button secondary" href="/rollouts">Cancel</a></div></form>`;
  return page('Start a rollout', 'rollouts', viewer, content);
}

/** The confirm page of a start: the waves as read, and the button that starts it. */
export function confirmStartPage(viewer: Viewer, text: string, rollout: Record<string, unknown>): string {
  const waves = Array.isArray(rollout.waves) ? (rollout.waves as Array<Record<string, unknown>>) : [];
  const content = html`<h1>Start this rollout?</h1>
<p>${String(rollout.component ?? '?')}, replace set ${String(rollout.replaceSet ?? '?')}, to ${String(rollout.to ?? '?')}, in ${waves.length} waves:</p>
${scrolling(
  'Waves to start',
  html`<table><thead><tr><th scope="col">wave</th><th scope="col">selects</th><th scope="col">budget</th><th scope="col">soak</th><th scope="col">deadline</th></tr></thead><tbody>${waves.map(
    (w) =>
      html`<tr><th scope="row">${String(w.name ?? '')}</th><td><code>${JSON.stringify(w.select ?? null)}</code></td><td>${String(w.failureBudget ?? '')}</td><td>${String(w.soak ?? '')}</td><td>${String(w.deadline ?? '')}</td></tr>`,
  )}</tbody></table>`,
)}
<form method="post" action="/rollouts/start" class="actions"><input type="hidden" name="csrf" value="${viewer.csrf}"><input type="hidden" name="rollout" value="${text}">
<button type="submit">Yes, start it</button><a class="button secondary" href="/rollouts">Cancel</a></form>`;
  return page('Confirm start', 'rollouts', viewer, content);
}

/** A page for a rollout the server does not have, or when rollouts are not available. */
export function rolloutsUnavailablePage(viewer: Viewer): string {
  return page('Rollouts', 'rollouts', viewer, html`<h1>Rollouts</h1>${unavailable}`);
}
