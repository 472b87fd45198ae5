#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry costs Node a few milliseconds more to start.
'use strict';
const { join } = require('node:path');
const { compileBundle } = require('./load-bundle.cjs');

compileBundle(join(__dirname, '..', 'dist', 'klpm.cjs'))
  .exports.main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
