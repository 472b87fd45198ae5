/** Reading external input once, at the edge: located errors and schema validation. */
export { InputError, withSource } from './input-error.js';
export { formatPath, parseSourceDocument, parseWithSchema, type SourceDocument } from './document.js';
