import { parseSourceDocument, parseWithSchema } from '../document/index.js';
import { type PatchManifest, patchManifestSchema } from '../klp/index.js';

/**
 * A patch manifest file (JSON or YAML, docs/schema/patch-manifest.json), parsed once: a syntax or
 * schema problem is an InputError naming the file, the line and the field.
 */
export function parseManifestFile(text: string, file: string): PatchManifest {
  return parseWithSchema(parseSourceDocument(text, file), patchManifestSchema);
}
