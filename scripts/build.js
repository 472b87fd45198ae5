#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsc (the modules tests, benchmarks and scripts import),
// then bundles the CLI into one file, dist/klpm.cjs, which bin/klpm.js runs, and writes V8's code
// cache for it (dist/klpm.cjs.cache). Loading one file instead of about 250 modules, and compiling
// it from the cache, is most of klpm's start-up gain (docs/operations.md, "Start-up").
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const run = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);

/**
 * Leaves `name` out of the bundle and requires it at its first construction, not when the module
 * importing it starts: `klpm status` imports the apply journal (better-sqlite3) but opens it only
 * when a journal file exists. For a default export used only with `new`, as journal.ts uses it.
 */
function lazyRequire(name) {
  return {
    name: `lazy-${name}`,
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${name}$`) }, (args) =>
        args.namespace === 'lazy' ? { path: name, external: true } : { path: name, namespace: 'lazy' },
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
        contents: `let loaded;
module.exports = function (...args) {
  loaded ??= require(${JSON.stringify(name)});
  return new loaded(...args);
};`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Leaves `name` out of the bundle for a module that imports it only with `await import(name)`: the
 * bundle requires it when that import runs (bin/klpm.js runs the bundle through node:vm, where a
 * real import() has no loader). The PostgreSQL client is loaded only for `--db postgres://…`, and
 * node:http or node:https by the agent's client only for a server of that scheme (and node:https by
 * the server only with --tls-cert).
 */
function dynamicRequire(name) {
  return {
    name: `dynamic-${name}`,
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${name}$`) }, (args) =>
        args.namespace === `dynamic-${name}`
          ? { path: name, external: true }
          : { path: name, namespace: `dynamic-${name}` },
      );
      b.onLoad({ filter: /.*/, namespace: `dynamic-${name}` }, () => ({
        contents: `module.exports = require(${JSON.stringify(name)});`,
        loader: 'js',
      }));
    },
  };
}

// CommonJS, not ESM: one file has no static imports to hoist, so a package such as better-sqlite3
// (native, left out of the bundle) is required only when the code that needs it first runs, and a
// CommonJS file can be compiled through node:vm with a code cache (bin/klpm.js).
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/klpm.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [
    lazyRequire('better-sqlite3'),
    dynamicRequire('pg'),
    dynamicRequire('node:http'),
    dynamicRequire('node:https'),
  ],
  // the metrics library is the server's alone: required when `klpm serve` loads, not compiled into
  // every command's start-up
  external: ['prom-client'],
  sourcemap: 'linked',
  logLevel: 'warning',
});

rmSync(new URL('../dist/klpm.cjs.cache', import.meta.url), { force: true });
run(['scripts/code-cache.cjs']);
