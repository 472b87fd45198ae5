/** Reading YAML and JSON documents once, at the edge: line numbers kept, zod validation, located errors. */

export { formatPath, parseSourceDocument, parseWithSchema, type SourceDocument } from './document.js';
export { type JsonReading, lineColumn, parseJson, parseJsonWithSchema, readJson } from './json.js';
