/**
 * Every failure is one clear line (issue 11, defect 6): no Application Default
 * Credentials, an emulator that is not running, a rejection nobody handled. The built
 * executable is run as a user runs it.
 *
 * The no-credentials runs must never let google-auth-library reach for a metadata
 * server: GOOGLE_APPLICATION_CREDENTIALS names a missing file, METADATA_SERVER_DETECTION
 * is `none`, GCE_METADATA_HOST points at a closed loopback port and the gcloud
 * configuration directory is empty.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { startEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { serviceYaml } from '../helpers/harness';

const ROOT = packageRoot();
const BIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-failures-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const gcloudConfig = fs.mkdtempSync(path.join(tmp, 'gcloud-'));
const manifests = path.join(tmp, 'manifests');
fs.mkdirSync(manifests);
fs.writeFileSync(path.join(manifests, 'hello.yaml'), serviceYaml('hello'));

/** The environment of a shell with no credentials (and nothing that could find any). */
function noCredentials(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(RUNCTL_|GOOGLE_|CLOUDSDK_|GCE_|METADATA_)/.test(k)) delete env[k];
  return {
    ...env,
    GOOGLE_APPLICATION_CREDENTIALS: path.join(tmp, 'missing-credentials.json'),
    METADATA_SERVER_DETECTION: 'none',
    GCE_METADATA_HOST: '127.0.0.1:1',
    CLOUDSDK_CONFIG: gcloudConfig,
    HOME: tmp,
    ...extra,
  };
}

/** Run the built runctl; one still running after `timeoutMs` is killed (code null). */
function runctl(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, env, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim());

describe('no Application Default Credentials', () => {
  const verbs: string[][] = [
    ['diff', '-f', manifests, '--project', 'p'],
    ['apply', '-f', manifests, '--project', 'p', '--yes'],
    ['get', 'services', '--project', 'p'],
    ['delete', '-f', manifests, '--project', 'p', '--yes'],
    ['rollout', 'status', 'hello', '--project', 'p'],
  ];
  it.each(verbs)('%s: one line naming gcloud auth application-default login, exit 1', (...args) => {
    const r = runctl(args, noCredentials());
    expect(r.code).toBe(1);
    const err = lines(r.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('gcloud auth application-default login');
    expect(err[0]).toContain('[NoCredentials]');
    expect(r.stderr).not.toMatch(/Warning|\n\s+at /);
  });

  /** A local Git repository holding the manifests, for `sync`. */
  function repo(): string {
    const dir = fs.mkdtempSync(path.join(tmp, 'repo-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    git('init', '--quiet', '--initial-branch=main');
    fs.writeFileSync(path.join(dir, 'hello.yaml'), serviceYaml('hello'));
    git('add', '--all');
    git('commit', '--quiet', '-m', 'hello');
    return dir;
  }

  const loops: Array<[string, () => string[]]> = [
    ['watch', () => ['watch', '-f', manifests]],
    ['sync', () => ['sync', '--repo', repo(), '--path', '.', '--interval', '1h']],
  ];
  it.each(loops)('%s keeps running and logs one line per retry until stopped', async (_verb, args) => {
    const child = spawn(process.execPath, [BIN, ...args(), '--project', 'p', '--log-format', 'json'], { cwd: tmp, env: noCredentials(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const failures = () => lines(stderr).filter((l) => l.includes('NoCredentials') || l.includes('application-default login'));
    // Bounded: the first attempt, then a retry after about 1 s of backoff.
    for (let i = 0; i < 300 && failures().length < 2 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(child.exitCode).toBeNull();
    expect(failures().length).toBeGreaterThanOrEqual(2);
    for (const line of failures()) {
      const rec = JSON.parse(line);
      expect(rec.message).toContain('gcloud auth application-default login');
      expect(rec.retryInMs).toBeGreaterThan(0);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Warning|\n\s+at |Unhandled/);
  });
});

describe('an emulator that is not running', () => {
  it('gives up on its own (bounded), naming the endpoint and the fix, after a progress line', () => {
    // Bounded: a run still probing after 30 s is killed (code null) and fails the test —
    // the budget is 2.5 s of probing (83 s of silence before).
    const r = runctl(['diff', '-f', manifests], noCredentials({ RUNCTL_EMULATOR_HOST: '127.0.0.1:1' }), 30_000);
    expect(r.code).toBe(1);
    const err = lines(r.stderr);
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(/^waiting for the emulator at 127\.0\.0\.1:1/);
    expect(err[1]).toContain('127.0.0.1:1');
    expect(err[1]).toContain('is "runctl emulator --port 1" running?');
    expect(err[1]).toContain('[Unreachable]');
  });
});

describe('the process guard', () => {
  const guard = path.join(ROOT, 'dist', 'src', 'cli', 'guard.js');
  const script = `require(${JSON.stringify(guard)}).installProcessGuard({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
setTimeout(() => Promise.reject(new Error('boom from nowhere')), 10);
setTimeout(() => {}, 5000);`;

  it('reports a rejection nobody handled as one line, exit 1', () => {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: noCredentials(), timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['error: boom from nowhere']);
  });

  it('prints the stack with RUNCTL_DEBUG=1', () => {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: noCredentials({ RUNCTL_DEBUG: '1' }), timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: boom from nowhere');
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('a call retried for more than 2 s', () => {
  it('gets a progress line naming the call, and then succeeds', async () => {
    const emu = await startEmulator({ port: 0 });
    const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, undefined, { initialMs: 1500, maxMs: 3000 });
    const lines: string[] = [];
    clients.progress = (line) => lines.push(line);
    try {
      // A create is not retried by the client library itself: each failure reaches runctl's retry.
      await fetch(`http://${emu.http}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'Services.CreateService', code: 'UNAVAILABLE', times: 2 }) });
      const parent = 'projects/p/locations/europe-north1';
      const [op] = await clients.runServices().createService({ parent, serviceId: 'slow', service: { template: { containers: [{ image: 'europe-north1-docker.pkg.dev/p/r/i:1' }] } } });
      await op.promise();
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toMatch(/^still trying createService: attempt \d failed \(.*UNAVAILABLE.*\); retrying in \d+\.\ds$/);
    } finally {
      await clients.close();
      await emu.stop();
    }
  }, 60_000);
});
