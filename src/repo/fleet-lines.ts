import type { SetAnswer } from './answers.js';
import type { EvaluationTime, RepositoryIndex } from './applicability.js';
import { fleetEvaluator, parseFleetHostLine } from './fleet.js';
import { fleetHostReader } from './fleet-host-fast.js';

/** One hosts.jsonl line answered: the host's id and, per component it reports, its answers (shared). */
export interface FleetLine {
  readonly id: string;
  readonly answers: ReadonlyArray<ReadonlyArray<SetAnswer>>;
}

const ID_PREFIX = '{"id":"';
/** Whether the id's JSON text is its value: no escape, quote or control character. */
function isPlain(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
/** shapes remembered at most: a fleet runs few builds; past this, lines are parsed as they come */
const MAX_SHAPES = 20_000;

/**
 * Reads hosts.jsonl lines one at a time (parseFleetHostLine) and answers each (fleetEvaluator), with
 * a memo of line shapes: a line written as `{"id":"<plain id>",REST` means the same host as any other
 * line with the same REST and another plain id, because JSON.parse of the line is then
 * `{id, ...JSON.parse('{' + REST)}`, and a second `id` key in REST is refused as a duplicate key.
 * Hosts of the same build and applied state are written alike, so most lines cost a lookup instead of
 * a parse. Every other line (spaces after `{`, an escaped id, a new shape past MAX_SHAPES) is parsed
 * as it stands; errors are parseFleetHostLine's, naming the file and the line.
 */
export function fleetLineReader(
  index: RepositoryIndex,
  time: EvaluationTime,
  source: string,
): (line: string, lineNumber: number) => FleetLine | undefined {
  const evaluate = fleetEvaluator(index, time);
  const fast = fleetHostReader();
  const shapes = new Map<string, ReadonlyArray<ReadonlyArray<SetAnswer>>>();
  return (line, lineNumber) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    const idEnd = text.startsWith(ID_PREFIX) ? text.indexOf('"', ID_PREFIX.length) : -1;
    const plain = idEnd > ID_PREFIX.length && text.charCodeAt(idEnd + 1) === 44; // `,` after the id
    const id = plain ? text.slice(ID_PREFIX.length, idEnd) : '';
    const rest = plain && isPlain(id) ? text.slice(idEnd + 2) : undefined;
    if (rest !== undefined) {
      const known = shapes.get(rest);
      if (known !== undefined) return { id, answers: known };
    }
    const host = parseFleetHostLine(text, source, lineNumber, fast);
    if (host === undefined) return undefined;
    const answers = evaluate(host);
    if (rest !== undefined && shapes.size < MAX_SHAPES) shapes.set(rest, answers);
    return { id: host.id, answers };
  };
}
