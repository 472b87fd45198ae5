// Writes dist/klpm.cjs.cache: V8's code cache for the bundle, so that bin/klpm.js does not parse and
// compile it at every start. Run by scripts/build.js with the node that builds; V8 refuses a cache
// made by another V8 version or with other V8 flags, and bin/klpm.js then compiles the source.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { compileBundle } = require('../bin/load-bundle.cjs');

const bundle = join(__dirname, '..', 'dist', 'klpm.cjs');
const { script, exports: cli } = compileBundle(bundle);
// Run every command's set-up (what `klpm --help` does) so that the cache holds the functions a
// command's start runs, not only the bundle's top level: V8 compiles most functions when first called.
const quiet = { stdout: () => {}, stderr: () => {}, env: {}, cwd: process.cwd() };
cli.main(['--help'], quiet).then(() => {
  writeFileSync(`${bundle}.cache`, script.createCachedData());
});
