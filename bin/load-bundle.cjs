// Loads dist/klpm.cjs, the bundled CLI (scripts/build.js), through node:vm with V8's code cache
// dist/klpm.cjs.cache when there is one: compiling the bundle's source costs more than reading it.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const vm = require('node:vm');

/** Compiles and runs the bundle at `file`; returns its exports and the vm.Script (for its cache). */
function compileBundle(file) {
  let cachedData;
  try {
    // V8 checks a cache against the source's length, not its content: a bundle newer than its cache
    // is compiled from the source. The build writes the cache after the bundle; npm packs both
    // with the same time.
    if (statSync(`${file}.cache`).mtimeMs >= statSync(file).mtimeMs)
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
