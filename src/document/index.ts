/** Reading YAML and JSON documents once, at the edge: line numbers kept, zod validation, located errors. */

export { formatPath, parseSourceDocument, parseWithSchema, type SourceDocument } from './document.js';
export { lineColumn, parseJson, parseJsonWithSchema } from './json.js';
