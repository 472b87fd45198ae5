// Loads dist/klpm.cjs, the bundled CLI (scripts/build.js), through node:vm with V8's code cache
// dist/klpm.cjs.cache when there is one: compiling the bundle's source costs more than reading it.
'use strict';
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const vm = require('node:vm');

/** Compiles and runs the bundle at `file`; returns its exports and the vm.Script (for its cache). */
function compileBundle(file) {
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // no cache: compile from the source
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, dirname(file));
  return { script, exports: module.exports, cacheRejected: script.cachedDataRejected === true };
}

module.exports = { compileBundle };
