/**
 * Bad input from outside klpm: a file, a flag, a document. Carries where (file and line, offset or
 * path inside the document) and what was expected, so the CLI can print one line and exit 2.
 * Pure modules throw it; only the CLI catches it.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    /** what was wrong and what was expected, lower case, no trailing period */
    readonly detail: string,
    /** file (or flag) the input came from */
    readonly source?: string,
    /** line:column, `offset 0x..`, or a path such as `patches[0].objects[1]` */
    readonly location?: string,
  ) {
    super([source, location, detail].filter((part) => part !== undefined && part !== '').join(': '));
  }
}

/** Wraps errors found while reading one input so that each names its file once. */
export function withSource(error: InputError, source: string): InputError {
  return error.source === undefined ? new InputError(error.detail, source, error.location) : error;
}
