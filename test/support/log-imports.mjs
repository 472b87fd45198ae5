// `node --import` this file to append every module URL the process resolves to $KLPM_IMPORT_LOG
// (test/cli/startup-imports.test.ts). The hook runs on the loader's own thread.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.KLPM_IMPORT_LOG, result.url + '\\n');
  return result;
}`)}`,
);
