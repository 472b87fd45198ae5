import * as z from 'zod';
import { InputError } from '../input/index.js';
import { parseVersionRelease } from '../version/index.js';

/**
 * The one home of the two field rules every livepatch input shares (updateinfo.xml, klpm's JSON
 * index, hosts.jsonl, fleet reports, `klpm check` flags): a build ID is an even number of hex
 * digits, kept lower-case (an NT_GNU_BUILD_ID note's bytes); a version is version-release, the only
 * shape rpm order can compare.
 */
const BUILD_ID = /^([0-9a-fA-F]{2})+$/;
const BUILD_ID_MESSAGE = 'expected a build id: an even number of hex digits';
const VERSION_RELEASE_MESSAGE =
  'expected version-release such as 4.19.19-8.0.21 (rpm order cannot compare anything else)';

/** Whether text is a build ID (before lower-casing). */
export function isBuildId(text: string): boolean {
  return BUILD_ID.test(text);
}

/** A build ID field of a JSON document, lower-cased. */
export const buildIdSchema = z
  .string()
  .regex(BUILD_ID, BUILD_ID_MESSAGE)
  .transform((v) => v.toLowerCase());

/** A version-release field of a JSON document, trimmed. */
export const versionReleaseSchema = z
  .string()
  .refine((v) => parseVersionRelease(v) !== undefined, { message: VERSION_RELEASE_MESSAGE })
  .transform((v) => v.trim());

/** A build ID in a text format (an XML attribute), lower-cased; bad input at `location` otherwise. */
export function parseBuildIdField(text: string, source: string, location: string): string {
  const id = text.trim();
  if (!isBuildId(id))
    throw new InputError(`build id '${text}' is not an even number of hex digits`, source, location);
  return id.toLowerCase();
}

/** A `base`/`to`/applied value in a text format, trimmed; bad input at `location` otherwise. */
export function parseVersionReleaseField(
  text: string,
  source: string,
  location: string,
  what: string,
): string {
  if (parseVersionRelease(text) === undefined)
    throw new InputError(
      `${what} '${text}' is not version-release (e.g. 4.19.19-8.0.21), cannot compare it`,
      source,
      location,
    );
  return text.trim();
}
