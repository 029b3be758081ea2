#!/usr/bin/env node
/**
 * Remove compiled files from dist/ whose TypeScript source is gone.
 *
 * tsc writes outputs but never deletes them, so after a source moves (say
 * controllers/volume.ts to controllers/volume/index.ts) the old dist/controllers/volume.js
 * stays behind — and Node resolves `require('./volume')` to that stale file before
 * volume/index.js, so the build runs old code. `npm run build`, `npm test` and `prepare`
 * run this before tsc. Only .js/.js.map/.d.ts files under the compiled trees are
 * considered; dist/generated/ (written by gen-startup.js, no sources) is left alone.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** The trees tsconfig.json compiles, relative to the package root. */
const TREES = ['src', 'controllers', path.join('test', 'bench')];
const OUTPUT = /^(.*)\.(js|js\.map|d\.ts)$/;

/** Prune one compiled directory against its source directory; returns removed paths. */
function pruneDir(distDir, srcDir, removed) {
  let entries;
  try {
    entries = fs.readdirSync(distDir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const out = path.join(distDir, e.name);
    if (e.isDirectory()) {
      pruneDir(out, path.join(srcDir, e.name), removed);
      if (fs.readdirSync(out).length === 0) fs.rmdirSync(out);
      continue;
    }
    const m = OUTPUT.exec(e.name);
    if (!m) continue;
    if (!fs.existsSync(path.join(srcDir, `${m[1]}.ts`))) {
      fs.rmSync(out);
      removed.push(out);
    }
  }
  return removed;
}

/** Remove every stale output under `root`/dist; returns the removed paths. */
function pruneDist(root = ROOT) {
  const removed = [];
  for (const tree of TREES) pruneDir(path.join(root, 'dist', tree), path.join(root, tree), removed);
  return removed;
}

module.exports = { pruneDist };

if (require.main === module) {
  const removed = pruneDist();
  if (removed.length) process.stderr.write(`prune-dist: removed ${removed.length} stale file(s) from dist/\n`);
}
