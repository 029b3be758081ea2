#!/usr/bin/env node
/**
 * The `prepare` script: build dist/ with tsc, unless dist/ is already newer than every
 * input of the build.
 *
 * Why it must be cheap when nothing changed: `npx runctl` inside this repository finds
 * `bin.runctl` in the project's own package.json, and npm exec (libnpmexec, npm 10 and
 * 11) then "installs" the project into its npx cache (~/.npm/_npx/<hash>) as a link so
 * that the bin gets linked there — and arborist runs the link target's `prepare` script
 * on that install. With `prepare: tsc` that was a full rebuild (13-22 s) on the first
 * `npx runctl` after `npm ci`. Now `npm ci` builds once and writes dist/.build-stamp;
 * npx's run of this script finds the stamp newer than every source and returns at once.
 *
 * The inputs are the directories and files tsconfig.json compiles, plus tsconfig.json
 * and package.json; directory times count too, so a deleted source file forces a build.
 *
 * `--clean` (the `prepack` script, so `npm pack` and `npm publish`) removes dist/ first
 * and always builds: tsc never deletes the output of a source that was moved or removed,
 * and the package must hold exactly what the current sources compile to.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
/** Written after a successful build, with the time the build started. */
const STAMP = path.join('dist', '.build-stamp');
const INPUTS = ['src', 'controllers', path.join('test', 'bench'), 'tsconfig.json', 'package.json'];
/** What must exist for dist/ to be usable at all. */
const OUTPUTS = [path.join('dist', 'src', 'cli', 'main.js')];

/** Latest modification time (ms) of a file, or of a directory and everything in it. */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  let latest = st.mtimeMs;
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      latest = Math.max(latest, newest(path.join(p, e.name)));
    }
  }
  return latest;
}

/**
 * Whether `root` needs a build, and why.
 * @param {string} root the package directory
 * @returns {{ build: boolean, reason: string }}
 */
function needsBuild(root) {
  for (const out of OUTPUTS) {
    if (!fs.existsSync(path.join(root, out))) return { build: true, reason: `${out} is missing` };
  }
  let stamp;
  try {
    stamp = fs.statSync(path.join(root, STAMP)).mtimeMs;
  } catch {
    return { build: true, reason: `${STAMP} is missing` };
  }
  for (const input of INPUTS) {
    if (newest(path.join(root, input)) > stamp) return { build: true, reason: `${input} changed since the last build` };
  }
  return { build: false, reason: 'dist/ is up to date' };
}

/** Build `root` with its TypeScript compiler; returns the exit code. */
function build(root) {
  const started = new Date();
  // Outputs of moved or deleted sources would shadow the new ones (scripts/prune-dist.js).
  require('./prune-dist.js').pruneDist(root);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit' });
  if (r.status !== 0) return r.status ?? 1;
  // Proto subsets and precompiled schemas (faster starts; dist works without them).
  const g = spawnSync(process.execPath, [path.join(root, 'scripts', 'gen-startup.js'), '--quiet'], { stdio: 'inherit', cwd: root });
  if (g.status !== 0) return g.status ?? 1;
  const stamp = path.join(root, STAMP);
  fs.writeFileSync(stamp, `${started.toISOString()}\n`);
  // The build's start, not its end: a source saved while tsc ran is newer than the stamp.
  fs.utimesSync(stamp, started, started);
  return 0;
}

/**
 * Make the bin executable. tsc writes files 0644, and npm sets the bin's mode only when it
 * links the package (npx does that once per directory, into its cache): a clone whose
 * npx cache entry already exists - the same path cloned again - would otherwise run
 * `runctl` as a plain file ("Permission denied", exit 127).
 */
function makeBinExecutable(root) {
  const bin = path.join(root, 'dist', 'src', 'cli', 'main.js');
  if (!fs.existsSync(bin)) return;
  const mode = fs.statSync(bin).mode;
  if ((mode & 0o111) !== 0o111) fs.chmodSync(bin, mode | 0o111);
}

function main() {
  const clean = process.argv.includes('--clean');
  const force = clean || process.argv.includes('--force');
  if (clean) fs.rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
  const { build: stale } = needsBuild(ROOT);
  const code = !force && !stale ? 0 : build(ROOT);
  if (code === 0) makeBinExecutable(ROOT);
  return code;
}

module.exports = { needsBuild, makeBinExecutable, STAMP, INPUTS, OUTPUTS };

if (require.main === module) process.exitCode = main();
