/** How many items of one list text output shows unless `--all` is given. */
export const CAP = 20;

/**
 * The items of one list that text output shows: every item with `--all` or when there are at most
 * {@link CAP}, else the first CAP, and how many it left out. `--json`, and outputs that mirror another
 * tool's or are the data itself, never go through here.
 */
export function cap<T>(items: readonly T[], all: boolean | undefined): { shown: T[]; hidden: number } {
  if (all || items.length <= CAP) return { shown: [...items], hidden: 0 };
  return { shown: items.slice(0, CAP), hidden: items.length - CAP };
}

/** The line that stands for the items left out: `… and 37 more patches (--all shows them)`. */
export const moreLine = (hidden: number, what: string): string =>
  `… and ${hidden} more ${what} (--all shows them)`;

/**
 * One list of text output, capped: the items shown, then (when some are left out) a line saying how
 * many, indented as the first item left out is. An item may be a block of several lines, or a word
 * of a list that is joined on one line.
 */
export function capped(items: readonly string[], all: boolean | undefined, what: string): string[] {
  const { shown, hidden } = cap(items, all);
  if (hidden === 0) return shown;
  const indent = /^ */.exec(items[CAP]!)![0];
  return [...shown, `${indent}${moreLine(hidden, what)}`];
}
