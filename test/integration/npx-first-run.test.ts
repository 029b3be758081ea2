/**
 * No rebuild on the first `npx runctl` after `npm ci` (issue 11, defect 10).
 *
 * npm exec finds `bin.runctl` in this project's own package.json and links the project
 * into its npx cache, which runs the project's `prepare` script. `prepare`
 * (scripts/prepare.js) builds only when dist/ is older than its sources, so that run
 * is a no-op after `npm ci` has built. These tests check that mechanism, not timings.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';

const ROOT = packageRoot();
const prepare = require(path.join(ROOT, 'scripts', 'prepare.js')) as {
  needsBuild(root: string): { build: boolean; reason: string };
  STAMP: string;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-npx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('prepare builds only when dist/ is stale', () => {
  /** A package directory with sources, a built bin and a stamp, all at fixed times. */
  function fakePackage(): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'pkg-'));
    const files = ['src/cli/main.ts', 'src/a.ts', 'controllers/c.ts', 'test/bench/run.ts', 'tsconfig.json', 'package.json', 'dist/src/cli/main.js', prepare.STAMP];
    for (const f of files) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '');
    }
    const old = new Date('2026-01-01T00:00:00Z');
    for (const f of files) fs.utimesSync(path.join(dir, f), old, old);
    for (const d of ['src/cli', 'src', 'controllers', 'test/bench', 'test', 'dist/src/cli', 'dist/src', 'dist']) fs.utimesSync(path.join(dir, d), old, old);
    const built = new Date('2026-01-02T00:00:00Z');
    fs.utimesSync(path.join(dir, prepare.STAMP), built, built);
    return dir;
  }
  const later = new Date('2026-01-03T00:00:00Z');

  it('skips when the stamp is newer than every source', () => {
    expect(prepare.needsBuild(fakePackage()).build).toBe(false);
  });

  it('builds when a source changed, a source was deleted, the stamp or the bin is missing', () => {
    const edited = fakePackage();
    fs.utimesSync(path.join(edited, 'controllers/c.ts'), later, later);
    expect(prepare.needsBuild(edited)).toMatchObject({ build: true, reason: expect.stringContaining('controllers') });

    const deleted = fakePackage();
    fs.rmSync(path.join(deleted, 'src/a.ts'));
    expect(prepare.needsBuild(deleted).build).toBe(true);

    const unstamped = fakePackage();
    fs.rmSync(path.join(unstamped, prepare.STAMP));
    expect(prepare.needsBuild(unstamped).build).toBe(true);

    const unbuilt = fakePackage();
    fs.rmSync(path.join(unbuilt, 'dist/src/cli/main.js'));
    expect(prepare.needsBuild(unbuilt).build).toBe(true);
  });

  it('is what package.json runs as prepare, and the bin it checks is the package bin', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toBe('node scripts/prepare.js');
    expect(pkg.bin.runctl).toBe('dist/src/cli/main.js');
  });
});

describe('the first npx runctl', () => {
  const MARK = '// built by npm ci, not rebuilt since';
  /** A copy of this package as `npm ci` leaves it: sources, dist/ built, the stamp written last. */
  function installedCopy(): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'clone-'));
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts', 'src', 'controllers', 'schemas', path.join('test', 'bench'), 'dist']) {
      if (fs.existsSync(path.join(ROOT, p))) fs.cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    // A mark a rebuild would overwrite.
    fs.appendFileSync(path.join(dir, 'dist', 'src', 'cli', 'main.js'), `\n${MARK}\n`);
    const stamp = path.join(dir, prepare.STAMP);
    fs.writeFileSync(stamp, 'built\n');
    const after = new Date(Date.now() + 5_000);
    fs.utimesSync(stamp, after, after);
    return dir;
  }

  it('runs the built bin without rebuilding (a fresh npx cache, offline)', () => {
    const dir = installedCopy();
    expect(prepare.needsBuild(dir).build).toBe(false);
    const stamp = path.join(dir, prepare.STAMP);
    const before = fs.statSync(stamp).mtimeMs;
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_offline: 'true', npm_config_update_notifier: 'false' };
    const npx = spawnSync('npx', ['runctl', '--version'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    // prepare ran (npm links the project into its npx cache) but did not build.
    expect(fs.statSync(stamp).mtimeMs).toBe(before);
    expect(fs.readFileSync(path.join(dir, 'dist', 'src', 'cli', 'main.js'), 'utf8')).toContain(MARK);
  }, 180_000);
});
