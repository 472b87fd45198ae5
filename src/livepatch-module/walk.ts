import { InputError } from '../input/index.js';
import type { ModuleImage, Place } from './image.js';

/**
 * The entries of a NULL-terminated array of structs `stride` bytes apart, up to the terminator
 * (`isEnd`), which is not returned. Bounded by its section, and by its symbol's size when the
 * symbol table has one: a size that is no multiple of the stride means another layout.
 */
export function walkArray(
  image: ModuleImage,
  start: Place,
  stride: number,
  what: string,
  isEnd: (entry: Place) => boolean,
): Place[] {
  const symbol = image.objectAt(start);
  if (symbol !== undefined && symbol.size % stride !== 0)
    throw new InputError(
      `${what} '${symbol.name}' is ${symbol.size} bytes, no multiple of the ${stride}-byte struct: not a layout klpm knows`,
      image.elf.source,
    );
  const limit = symbol === undefined ? Number.POSITIVE_INFINITY : symbol.size / stride;
  const entries: Place[] = [];
  for (let i = 0; ; i++) {
    const entry = { section: start.section, offset: start.offset + i * stride };
    if (i >= limit || !image.holds(entry, stride))
      throw new InputError(
        `${what} at ${image.describe(start)} has no terminating empty entry within ${i} entries`,
        image.elf.source,
      );
    if (isEnd(entry)) return entries;
    entries.push(entry);
  }
}

export const at = (place: Place, offset: number): Place => ({
  section: place.section,
  offset: place.offset + offset,
});
