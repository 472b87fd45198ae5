import type { Applicability, SetAnswer } from '../repo/index.js';
import { capped } from './cap.js';
import { shown } from './shown.js';

/**
 * `klpm check --json` (and one line of `klpm fleet check`): the fields of the first answered replace
 * set, or of the `--replace-set` one, as before there were several sets, and every set's answer in
 * `sets`, shaped like `klpm status --json`'s `repository.answers`.
 */
export function checkDocument(
  answers: ReadonlyArray<SetAnswer>,
): Applicability & { sets: ReadonlyArray<SetAnswer> } {
  return { ...answers[0]!.answer, sets: answers };
}

/** The text of `klpm check`: one block per answered replace set. */
export function renderCheck(answers: ReadonlyArray<SetAnswer>, all?: boolean): string {
  const named = answers.length > 1 || answers.some((a) => a.replaceSet !== 0);
  return answers
    .map(({ replaceSet, answer }) => renderAnswer(answer, named ? replaceSet : undefined, all))
    .join('');
}

function renderAnswer(r: Applicability, replaceSet: number | undefined, all: boolean | undefined): string {
  const list = (items: readonly string[], what: string, join: string) =>
    capped(items.map(shown), all, what).join(join);
  const set = replaceSet === undefined ? '' : `, replace set ${replaceSet}`;
  const lines = [
    `${r.component} build ${r.buildId ?? '(unknown)'}${set}: ${r.status}${r.eol ? ' (end of life)' : ''}`,
    // the pure answer says what is missing; the command says which flag gives it
    `  ${shown(r.reason)}${r.buildId === undefined ? '; pass --build-id' : ''}`,
  ];
  if (r.apply)
    lines.push(
      `  apply:      ${shown(r.apply.to)} (from ${shown(r.apply.update)}, base ${shown(r.apply.base)})`,
    );
  if (r.candidates.length > 0)
    lines.push(
      `  candidates: ${list(
        r.candidates.map((c) => `${c.to} (${c.update})`),
        'candidates',
        ', ',
      )}`,
    );
  if (r.rolledUp.length > 0) lines.push(`  rolled up:  ${list(r.rolledUp, 'updates', ', ')}`);
  lines.push(`  reboot:     ${r.reboot}`);
  const g = r.guidance;
  if (g.mandatory.length + g.recommended.length + g.full.length > 0)
    lines.push(
      `  guidance:   mandatory ${list(g.mandatory, 'patches', ' ') || '-'}; recommended ${list(g.recommended, 'patches', ' ') || '-'}; full ${list(g.full, 'patches', ' ') || '-'}`,
    );
  return `${lines.join('\n')}\n`;
}
