/** Located errors: what every reader of external input throws for bad input (file, line or offset). */

export { gunzipInput, isGzip } from './gzip.js';
export { InputError, withSource } from './input-error.js';
export {
  MODULE_NAME_MAX,
  moduleNameProblem,
  nameProblem,
  relativePathProblem,
  ruleCheck,
} from './names.js';
