/** Reading external input once, at the edge: located errors and schema validation. */

export { formatPath, parseSourceDocument, parseWithSchema, type SourceDocument } from './document.js';
export { InputError, withSource } from './input-error.js';
