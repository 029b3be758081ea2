/**
 * The installable package (issue 16, acceptance 2): `npm pack` of a copy of this
 * repository (its `prepack` builds dist/ afresh), the tarball installed into an empty
 * directory with `npm install --omit=dev`, and the installed `runctl` applying the
 * README's manifests on the embedded emulator — no TypeScript, no sources, no test files.
 *
 * npm resolves the package's dependency ranges at install, which needs package documents
 * the npm cache does not hold after `npm ci`; a registry on loopback serves them from
 * package-lock.json and the tarballs from the cache (test/helpers/local-registry.ts), so
 * nothing leaves the machine. The controller image's entrypoint, default command and
 * health check (Dockerfile) run from the same installation.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { execForm, healthcheck, parseDockerfile } from '../helpers/docker';
import { startLocalRegistry, type LocalRegistry } from '../helpers/local-registry';
import { quickStartCount } from '../helpers/readme';
import { poll } from '../helpers/loop-runner';

const ROOT = packageRoot();
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-package-'));
/** What a clone holds that `npm pack` never reads (and that would be slow to copy). */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', '.runctl', 'coverage', 'bench-results', '.helpers']);

/** npm's environment: no npm_* variables of the `npm test` around us, a private cache. */
function npmEnv(registry?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  fs.writeFileSync(path.join(tmp, 'npmrc'), '');
  return {
    ...env,
    npm_config_userconfig: path.join(tmp, 'npmrc'),
    npm_config_cache: path.join(tmp, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...(registry ? { npm_config_registry: registry } : {}),
  };
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeout ?? 180_000 });
  if (r.error) throw r.error;
  return r;
}
/** The same without blocking this process: needed while the loopback registry serves npm. */
function runAsync(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeout: number }): Promise<SpawnSyncReturns<string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ pid: child.pid ?? 0, output: [null, stdout, stderr], stdout, stderr, status, signal }));
  });
}
const output = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n${r.stdout}${r.stderr}`;

/** The npm cache `npm ci` filled (the registry's tarballs come from it). */
function npmCacheDir(): string {
  const r = run('npm', ['config', 'get', 'cache'], { cwd: tmp, env: { ...npmEnv(), npm_config_cache: undefined } });
  return path.join(r.stdout.trim(), '_cacache');
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('the npm package', () => {
  let registry: LocalRegistry;
  let tarball: string;
  let packed: string[];
  /** The empty directory the tarball was installed into, and its runctl. */
  const app = path.join(tmp, 'app');
  const runctl = path.join(app, 'node_modules', '.bin', 'runctl');
  /** The user's directory: a copy of the README's manifests/, nothing else. */
  const work = path.join(tmp, 'work');
  /** Runs the installed runctl with a clean environment: no project, no emulator. */
  const runctlIn = (cwd: string, args: string[]) =>
    run(runctl, args, { cwd, env: { PATH: process.env.PATH, HOME: path.join(tmp, 'home'), LANG: 'C.UTF-8', NO_COLOR: '1', CLOUDSDK_CONFIG: path.join(tmp, 'home', 'gcloud') } });

  beforeAll(async () => {
    // 1. `npm pack` in a copy of the repository (prepack removes and rebuilds dist/, which
    //    the rest of the suite is using here).
    const clone = path.join(tmp, 'clone');
    fs.mkdirSync(clone);
    for (const e of fs.readdirSync(ROOT)) if (!NOT_COPIED.has(e) && !/^runctl-.*\.tgz$/.test(e)) fs.cpSync(path.join(ROOT, e), path.join(clone, e), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    const p = run('npm', ['pack', '--pack-destination', out], { cwd: clone, env: npmEnv(), timeout: 240_000 });
    expect(p.status, output(p)).toBe(0);
    tarball = path.join(out, `${pkg.name}-${pkg.version}.tgz`);
    expect(fs.existsSync(tarball), output(p)).toBe(true);
    packed = run('tar', ['-tzf', tarball], { cwd: tmp }).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));

    // 2. Install it into an empty directory through the loopback registry.
    registry = await startLocalRegistry({ lockfile: path.join(ROOT, 'package-lock.json'), cacheDir: npmCacheDir() });
    fs.mkdirSync(app);
    fs.mkdirSync(path.join(tmp, 'home'));
    const i = await runAsync('npm', ['install', '--omit=dev', tarball], { cwd: app, env: npmEnv(registry.url), timeout: 240_000 });
    expect(i.status, `${output(i)}\nregistry misses: ${registry.served.missing.join(', ')}`).toBe(0);

    fs.cpSync(path.join(ROOT, 'manifests'), path.join(work, 'manifests'), { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await registry?.close();
    // Four installations' worth of files (local, global, npx, npm's cache): not quick on a busy disk.
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }, 300_000);

  it('holds the built runtime, the schemas and the README; no sources, tests, maps or build files', () => {
    expect(packed).toContain('package.json');
    expect(packed).toContain('README.md');
    expect(packed).toContain('dist/src/cli/main.js');
    for (const kind of ['service', 'volume', 'load-balancer', 'gpu-model', 'slo', 'policy']) expect(packed).toContain(`schemas/${kind}.schema.json`);
    // What the build generates for fast starts (scripts/gen-startup.js) ships too.
    expect(packed).toContain('dist/generated/schemas.js');
    expect(packed.filter((f) => f.startsWith('dist/generated/protos/')).length).toBeGreaterThan(0);
    const shipped = /^(dist\/(src|controllers)\/.*\.js|dist\/generated\/(schemas\.js|protos\/[\w.-]+\.json)|schemas\/[a-z-]+\.schema\.json|package\.json|README\.md|LICENSE)$/;
    expect(packed.filter((f) => !shipped.test(f))).toEqual([]);
    expect(packed.some((f) => f.startsWith('dist/controllers/'))).toBe(true);
  });

  it('installed with nothing from outside: every dependency through the loopback registry', () => {
    // npm also asks for optional peers nobody installs (node-fetch's `encoding`); the
    // lockfile has none of them, so neither has this registry.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { peerDependenciesMeta?: Record<string, { optional?: boolean }> }> };
    const optionalPeers = new Set(Object.values(lock.packages).flatMap((e) => Object.entries(e.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => `/${n}`)));
    expect(registry.served.missing.filter((url) => !optionalPeers.has(url))).toEqual([]);
    expect(registry.served.tarballs).toBeGreaterThan(50);
    // Nothing a build needs came along: no TypeScript, no test runner, no scripts/.
    expect(fs.existsSync(path.join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', 'vitest'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', 'runctl', 'scripts'))).toBe(false);
  });

  it('applies the README manifests on the embedded emulator, then diff finds nothing to do', () => {
    const a = runctlIn(work, ['apply', '-f', 'manifests/']);
    expect(a.status, output(a)).toBe(0);
    expect(a.stdout).toMatch(/^Target: embedded emulator .* · project local-project$/m);
    expect(a.stdout).toContain(`Apply complete: ${quickStartCount(packageRoot())} created, 0 updated, 0 deleted, 0 unchanged, 0 failed, 0 skipped.`);
    const d = runctlIn(work, ['diff', '-f', 'manifests/']);
    expect(d.status, output(d)).toBe(0);
  });

  it('answers --version from any directory', () => {
    for (const dir of [path.parse(tmp).root, tmp, work]) {
      const v = runctlIn(dir, ['--version']);
      expect(v.status, output(v)).toBe(0);
      expect(v.stdout.trim()).toBe(pkg.version);
    }
  });

  it('installs globally too (`npm install -g`), and the linked runctl runs from anywhere', async () => {
    const prefix = path.join(tmp, 'global');
    const g = await runAsync('npm', ['install', '--global', '--prefix', prefix, tarball], { cwd: tmp, env: npmEnv(registry.url), timeout: 240_000 });
    expect(g.status, output(g)).toBe(0);
    const v = run(path.join(prefix, 'bin', 'runctl'), ['--version'], { cwd: path.parse(tmp).root });
    expect(v.status, output(v)).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
  }, 300_000);

  it('runs without installing, through npx', async () => {
    // npx installs the tarball into its own cache (under npm_config_cache) and runs the bin.
    // `--package`: given an existing file as its command (`npx ./runctl-0.1.0.tgz`), npx
    // would try to execute the tarball itself.
    const x = await runAsync('npx', ['--yes', '--package', tarball, 'runctl', 'validate', '-f', 'manifests/'], { cwd: work, env: npmEnv(registry.url), timeout: 240_000 });
    expect(x.status, output(x)).toBe(0);
    expect(x.stdout).toMatch(/valid/i);
  }, 300_000);

  it("runs the controller image's entrypoint and default command, and its health check passes", async () => {
    const instructions = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    const of = (k: string) => instructions.find((i) => i.keyword === k)!.args;
    const [entry] = execForm(of('ENTRYPOINT'));
    expect(entry).toBe('runctl');
    // The image's /repo mount is a local repository here, and its port a free one.
    const repo = path.join(tmp, 'repo');
    fs.cpSync(path.join(ROOT, 'manifests'), repo, { recursive: true });
    const git = (...args: string[]) => run('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    expect(git('init', '--quiet', '--initial-branch=main').status).toBe(0);
    expect(git('add', '--all').status).toBe(0);
    expect(git('commit', '--quiet', '-m', 'manifests').status).toBe(0);
    const port = String(await freePort());
    const swap = (a: string) => a.replace('/repo', repo).replace('8080', port);
    const cmd = execForm(of('CMD')).map(swap);
    const state = path.join(tmp, 'controller');
    fs.mkdirSync(state);
    const child = spawn(runctl, cmd, { cwd: state, env: { PATH: process.env.PATH, HOME: path.join(tmp, 'home'), LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 || child.exitCode !== null, 120_000, () => log);
      expect(child.exitCode, log).toBeNull();
      // Docker runs the HEALTHCHECK command inside the container: here, beside the process.
      const check = healthcheck(of('HEALTHCHECK')).command.map(swap);
      const h = run(check[0] === 'node' ? process.execPath : check[0], check.slice(1), { cwd: state });
      expect(h.status, output(h)).toBe(0);
      expect(log).toMatch(/"message":"commit [0-9a-f]{40} applied/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, log).toBe(0);
  });
});
