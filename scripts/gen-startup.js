#!/usr/bin/env node
/**
 * Build step after `tsc` (run by `npm run build`, `npm test` and `prepare`, all through scripts/prepare.js): generate what makes
 * a cold start cheap, into dist/generated/.
 *
 * - protos/<package>.json: the subset of each Google client package's protos.json that
 *   the clients runctl uses need (src/gcp/client-modules.ts, src/gcp/proto-subset.ts).
 * - schemas.js: the JSON Schemas of schemas/ compiled to code by ajv's standalone mode
 *   (src/validate/schema-standalone.ts), so a start does not compile them.
 *
 * Everything here is an optimisation: at run time a missing or stale file means the
 * slower path (full protos, compiling the schemas), never a different result.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Write the proto subsets; returns lines describing them. */
function genProtos(root) {
  const { CLIENT_SUBSETS, subsetPath } = require(path.join(root, 'dist/src/gcp/client-modules.js'));
  const { protoSubset } = require(path.join(root, 'dist/src/gcp/proto-subset.js'));
  const protobuf = require(require.resolve('protobufjs', { paths: [path.dirname(require.resolve('google-gax', { paths: [root] }))] }));
  const lines = [];
  for (const [pkg, { clients }] of Object.entries(CLIENT_SUBSETS)) {
    const pkgDir = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] }));
    const full = JSON.parse(fs.readFileSync(path.join(pkgDir, 'build', 'protos', 'protos.json'), 'utf8'));
    const { json, services } = protoSubset(full, clients, protobuf);
    const out = subsetPath(pkg, root);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const packageVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
    const text = JSON.stringify({ package: pkg, packageVersion, services, protos: json });
    fs.writeFileSync(out, text);
    const before = fs.statSync(path.join(pkgDir, 'build', 'protos', 'protos.json')).size;
    lines.push(`${path.relative(root, out)}: ${clients.length} clients, ${(text.length / 1024).toFixed(0)} KiB (full: ${(before / 1024).toFixed(0)} KiB)`);
  }
  return lines;
}

/** Write the precompiled schema validators; returns lines describing them. */
function genSchemas(root) {
  const { writeStandalone } = require(path.join(root, 'dist/src/validate/schema-standalone.js'));
  const { file, bytes } = writeStandalone(path.join(root, 'schemas'), root);
  return [`${path.relative(root, file)}: ${(bytes / 1024).toFixed(0)} KiB`];
}

function main(root = ROOT) {
  const quiet = process.argv.includes('--quiet');
  const lines = [...genProtos(root)];
  if (fs.existsSync(path.join(root, 'dist/src/validate/schema-standalone.js'))) lines.push(...genSchemas(root));
  if (!quiet) for (const l of lines) console.log(`gen-startup: ${l}`);
  return 0;
}

module.exports = { main };

if (require.main === module) process.exitCode = main();
