/**
 * runctl's own V8 code cache (src/cli/compile-cache.ts, used on Node < 22.1): modules
 * compiled through it behave as under Node's loader, the cache is written once and then
 * only read, and a changed file is compiled afresh (never run from stale data).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCodeCache, writeCodeCache } from '../../src/cli/compile-cache';

const DIST = path.resolve(__dirname, '../../dist/src/cli/compile-cache.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-cc-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Run `entry` in a child with the cache installed at `cacheFile`; its stdout as JSON. */
function run(entry: string, cacheFile: string): unknown {
  const script = `require(${JSON.stringify(DIST)}).installCodeCache(${JSON.stringify(cacheFile)}); require(${JSON.stringify(entry)});`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe('code cache file', () => {
  it('reads back what it wrote; a damaged file reads as empty', () => {
    const file = path.join(tmp, 'roundtrip.bin');
    const entries = new Map([
      ['/a.js', { key: '10:1', data: Buffer.from('abc') }],
      ['/b.js', { key: '20:2', data: Buffer.from('defgh') }],
    ]);
    writeCodeCache(file, entries);
    const back = readCodeCache(file);
    expect([...back.keys()]).toEqual(['/a.js', '/b.js']);
    expect(back.get('/b.js')!.data.toString()).toBe('defgh');
    expect(back.get('/a.js')!.key).toBe('10:1');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 12));
    expect(readCodeCache(file).size).toBe(0);
    expect(readCodeCache(path.join(tmp, 'missing.bin')).size).toBe(0);
  });
});

describe('modules compiled through the cache', () => {
  const lib = write('pkg/lib.js', 'exports.twice = (n) => n * 2;\nexports.where = __filename;\n');
  write('pkg/dyn.js', 'module.exports = () => import("node:path").then((m) => typeof m.join);\n');
  const entry = write(
    'pkg/main.js',
    [
      '#!/usr/bin/env node',
      "const lib = require('./lib');",
      'const out = {',
      '  twice: lib.twice(21),',
      '  where: lib.where,',
      '  dirname: __dirname,',
      '  thisIsExports: this === module.exports,',
      "  resolved: require.resolve('./lib'),",
      "  paths: Array.isArray(require.resolve.paths('x')),",
      '  cached: Object.keys(require.cache).includes(lib.where),',
      '};',
      "require('./dyn')().then((t) => { out.dynamicImport = t; process.stdout.write(JSON.stringify(out)); });",
      '',
    ].join('\n'),
  );

  it('behave as under Node\'s own loader (shebang, require, __dirname, this, import())', () => {
    const out = run(entry, path.join(tmp, 'semantics.bin'));
    expect(out).toEqual({ twice: 42, where: lib, dirname: path.dirname(lib), thisIsExports: true, resolved: lib, paths: true, cached: true, dynamicImport: 'function' });
  });

  it('is written once, then only read; a changed file is compiled afresh', () => {
    const cacheFile = path.join(tmp, 'reuse.bin');
    run(entry, cacheFile);
    const first = readCodeCache(cacheFile);
    expect(first.has(entry)).toBe(true);
    expect(first.has(lib)).toBe(true);
    // import() needs Node's own loader callback: that module keeps Node's path.
    expect(first.has(path.join(tmp, 'pkg/dyn.js'))).toBe(false);
    const stamp = fs.statSync(cacheFile).mtimeMs;
    expect((run(entry, cacheFile) as { twice: number }).twice).toBe(42);
    expect(fs.statSync(cacheFile).mtimeMs).toBe(stamp);

    fs.writeFileSync(lib, 'exports.twice = (n) => n * 2 + 1000;\nexports.where = __filename;\n');
    expect((run(entry, cacheFile) as { twice: number }).twice).toBe(1042);
    expect(readCodeCache(cacheFile).get(lib)!.key).not.toBe(first.get(lib)!.key);
  });
});
