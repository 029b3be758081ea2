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
import { installFingerprint, privateCacheDir, readCodeCache, writeCodeCache } from '../../src/cli/compile-cache';

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

describe('resolution cache', () => {
  const app = write('app/package.json', '{"name":"app"}');
  write('app/node_modules/.package-lock.json', '{}');
  write('app/node_modules/dep/package.json', '{"name":"dep","main":"lib/main.js"}');
  write('app/node_modules/dep/lib/main.js', 'module.exports = "dep v1";');
  const entry = write('app/index.js', "process.stdout.write(JSON.stringify({ dep: require('dep'), at: require.resolve('dep'), fs: typeof require('node:fs').readFileSync }));");

  function resolveRun(file: string, fingerprint: string) {
    const script = `require(${JSON.stringify(DIST)}).installResolveCache(${JSON.stringify(file)}, ${JSON.stringify(fingerprint)}); require(${JSON.stringify(entry)});`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as { dep: string; at: string; fs: string };
  }

  it('remembers resolutions for the same install and forgets them for another', () => {
    const file = path.join(tmp, 'resolve.json');
    const depMain = path.join(path.dirname(app), 'node_modules/dep/lib/main.js');
    expect(resolveRun(file, 'install-1')).toEqual({ dep: 'dep v1', at: depMain, fs: 'function' });
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { fingerprint: string; entries: Record<string, string> };
    expect(saved.fingerprint).toBe('install-1');
    expect(Object.values(saved.entries)).toContain(depMain);
    // Built-in modules are not remembered.
    expect(Object.keys(saved.entries).some((k) => k.endsWith('node:fs'))).toBe(false);
    const stamp = fs.statSync(file).mtimeMs;
    expect(resolveRun(file, 'install-1').at).toBe(depMain);
    expect(fs.statSync(file).mtimeMs).toBe(stamp);

    // Another install (npm changed the tree): the package now has another entry point.
    write('app/node_modules/dep/package.json', '{"name":"dep","main":"lib/v2.js"}');
    write('app/node_modules/dep/lib/v2.js', 'module.exports = "dep v2";');
    expect(resolveRun(file, 'install-2')).toEqual({ dep: 'dep v2', at: path.join(path.dirname(app), 'node_modules/dep/lib/v2.js'), fs: 'function' });
  });

  it('fingerprints an install by npm\'s record of its tree; none without one', () => {
    const before = installFingerprint(entry);
    expect(before).toContain(path.join('node_modules', '.package-lock.json'));
    const lock = path.join(path.dirname(app), 'node_modules/.package-lock.json');
    fs.writeFileSync(lock, '{"changed":true}');
    expect(installFingerprint(entry)).not.toBe(before);
    fs.rmSync(lock);
    expect(installFingerprint(entry)).toBeUndefined();
  });
});

describe('cache directory', () => {
  it('is per user, and never one that others can write to', () => {
    const xdg = path.join(tmp, 'xdg');
    expect(privateCacheDir({ XDG_CACHE_HOME: xdg })).toBe(path.join(xdg, 'runctl'));
    expect(fs.statSync(path.join(xdg, 'runctl')).mode & 0o077).toBe(0);
    const shared = path.join(tmp, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o777);
    expect(privateCacheDir({ RUNCTL_COMPILE_CACHE: shared })).toBeUndefined();
    fs.chmodSync(shared, 0o755);
    expect(privateCacheDir({ RUNCTL_COMPILE_CACHE: shared })).toBe(shared);
  });
});
