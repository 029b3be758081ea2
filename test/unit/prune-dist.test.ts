/**
 * scripts/prune-dist.js: tsc never deletes the output of a moved or deleted source, and
 * a stale `dist/controllers/volume.js` shadows `dist/controllers/volume/index.js` for
 * `require('./volume')`. The build, `npm test` and `prepare` prune such outputs first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';

const ROOT = packageRoot();
const { pruneDist } = require(path.join(ROOT, 'scripts', 'prune-dist.js')) as { pruneDist(root: string): string[] };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-prune-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tree(files: string[]): void {
  for (const f of files) {
    fs.mkdirSync(path.join(tmp, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(tmp, f), '');
  }
}

describe('prune-dist', () => {
  it('removes outputs whose source is gone, keeps the rest and generated files', () => {
    tree([
      'controllers/volume/index.ts', 'dist/controllers/volume/index.js', 'dist/controllers/volume/index.js.map',
      'dist/controllers/volume.js', 'dist/controllers/volume.js.map', 'dist/controllers/lib/gone.js',
      'src/cli/main.ts', 'dist/src/cli/main.js', 'dist/src/data.json',
      'test/bench/run.ts', 'dist/test/bench/run.js', 'dist/test/bench/old.js',
      'dist/generated/schemas.js', 'dist/.build-stamp',
    ]);
    const removed = pruneDist(tmp).map((f) => path.relative(tmp, f)).sort();
    expect(removed).toEqual(['dist/controllers/lib/gone.js', 'dist/controllers/volume.js', 'dist/controllers/volume.js.map', 'dist/test/bench/old.js']);
    for (const kept of ['dist/controllers/volume/index.js', 'dist/src/cli/main.js', 'dist/src/data.json', 'dist/test/bench/run.js', 'dist/generated/schemas.js', 'dist/.build-stamp']) {
      expect(fs.existsSync(path.join(tmp, kept)), kept).toBe(true);
    }
    expect(fs.existsSync(path.join(tmp, 'dist/controllers/lib'))).toBe(false);
  });

  it('runs before tsc in the build, in npm test and in prepare (all three build through prepare.js)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toMatch(/^node scripts\/prepare\.js --force$/);
    expect(pkg.scripts.test).toMatch(/^node scripts\/prepare\.js --force && /);
    expect(pkg.scripts.prepare).toMatch(/^node scripts\/prepare\.js$/);
    const prepare = fs.readFileSync(path.join(ROOT, 'scripts', 'prepare.js'), 'utf8');
    expect(prepare.indexOf("require('./prune-dist.js').pruneDist(root)")).toBeGreaterThan(-1);
    expect(prepare.indexOf("require('./prune-dist.js').pruneDist(root)")).toBeLessThan(prepare.indexOf("'typescript/bin/tsc'"));
  });
});

describe('prepare: the bin is executable', () => {
  it('sets the execute bits tsc leaves off dist/src/cli/main.js (npx runs the file itself)', () => {
    const { makeBinExecutable } = require(path.join(ROOT, 'scripts', 'prepare.js')) as { makeBinExecutable(root: string): void };
    const root = fs.mkdtempSync(path.join(tmp, 'bin-'));
    const bin = path.join(root, 'dist', 'src', 'cli', 'main.js');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, '#!/usr/bin/env node\n', { mode: 0o644 });
    makeBinExecutable(root);
    expect(fs.statSync(bin).mode & 0o777).toBe(0o755);
  });
});
