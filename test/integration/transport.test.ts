/**
 * `--transport rest` / `RUNCTL_TRANSPORT=rest`: runctl reaches Cloud Run and Monitoring
 * over REST/JSON (the clients' fallback mode) with the same behaviour as over gRPC.
 * `apply -f manifests/` on the embedded emulator (the built executable, as a user runs
 * it; `npm test` builds first) gives the same plan and result either way, and `diff`
 * finds nothing to change afterwards in both transports.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { packageRoot } from '../../src/package-root';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-transport-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BIN = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

/** The built `runctl ARGS` in `cwd`, on the embedded emulator (no RUNCTL_EMULATOR_HOST). */
function runctl(cwd: string, args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, ...extra };
  for (const k of ['RUNCTL_EMULATOR_HOST', 'GOOGLE_CLOUD_PROJECT', ...(extra.RUNCTL_TRANSPORT ? [] : ['RUNCTL_TRANSPORT'])]) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Mask what differs between any two emulators (ids, hashes, times, etags, paths). */
function masked(text: string, dir: string): string {
  return text
    .split(dir).join('<dir>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/(-\d{5})-[a-z0-9]{3}\b/g, '$1-xxx')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\b\d+(\.\d+)?m?s\b/g, '<duration>')
    .replace(/"etag": "[^"]*"/g, '"etag": "<etag>"')
    // Server-chosen numeric IDs of service accounts (a 21-digit uniqueId each world draws anew).
    .replace(/\b(uniqueId|oauth2ClientId): ['"]?\d+['"]?/g, '$1: <id>')
    .replace(/(alertPolicies|notificationChannels|conditions|serviceLevelObjectives)\/\d+/g, '$1/<id>');
}

describe('apply -f manifests/ on the embedded emulator, over gRPC and over REST', () => {
  const dirs = {} as Record<'grpc' | 'rest', string>;
  const results = {} as Record<'grpc' | 'rest', { plan: unknown; apply: string; exported: string; code: number }>;

  beforeAll(async () => {
    for (const transport of TRANSPORTS) {
      const dir = fs.mkdtempSync(path.join(tmp, `${transport}-`));
      fs.cpSync(path.join(packageRoot(), 'manifests'), path.join(dir, 'manifests'), { recursive: true });
      dirs[transport] = dir;
      const flag = ['--transport', transport];
      const plan = await runctl(dir, ['plan', '-f', 'manifests/', '-o', 'json', ...flag]);
      expect(plan.code, plan.stderr).toBe(2);
      const apply = await runctl(dir, ['apply', '-f', 'manifests/', ...flag]);
      expect(apply.stderr).not.toMatch(/error/i);
      const exported = await runctl(dir, ['get', '-f', 'manifests/', '-o', 'yaml', ...flag]);
      expect(exported.code, exported.stderr).toBe(0);
      results[transport] = { plan: JSON.parse(masked(plan.stdout, dir)), apply: masked(apply.stdout, dir), exported: masked(exported.stdout, dir), code: apply.code ?? -1 };
    }
  }, 240_000);

  it('the plans are the same', () => {
    expect(results.rest.plan).toEqual(results.grpc.plan);
    expect((results.grpc.plan as { entries: unknown[] }).entries.length).toBeGreaterThan(5);
  });

  it('apply succeeds in both, with the same output', () => {
    expect(results.grpc.code).toBe(0);
    expect(results.rest.code).toBe(0);
    expect(results.rest.apply).toEqual(results.grpc.apply);
  });

  it('the live result is the same (get -f manifests/ -o yaml)', () => {
    expect(results.rest.exported).toEqual(results.grpc.exported);
    expect(results.grpc.exported).toContain('kind: Service');
  });

  it.each(TRANSPORTS)('diff then exits 0 over %s, whichever transport applied', async (transport) => {
    for (const dir of Object.values(dirs)) {
      const diff = await runctl(dir, ['diff', '-f', 'manifests/'], { RUNCTL_TRANSPORT: transport });
      expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    }
  }, 120_000);
});

describe('choosing the transport', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.write('svc.yaml', serviceYaml('pick', { image: 'europe-north1-docker.pkg.dev/p/r/pick:1', region: 'europe-north1' }));
  });
  afterAll(async () => h?.close());

  const restCalls = async () => {
    const { calls } = (await (await fetch(`http://${h.emu.http}/__emulator/rest/stats`)).json()) as { calls: Record<string, number> };
    return Object.values(calls).reduce((a, b) => a + b, 0);
  };
  const file = () => path.join(h.dir, 'svc.yaml');

  it('gRPC by default: no call comes over REST', async () => {
    expect((await h.cli(['diff', '-f', file()])).code).toBe(2);
    expect(await restCalls()).toBe(0);
  });

  it('RUNCTL_TRANSPORT=rest sends the Cloud Run calls over REST/JSON', async () => {
    expect((await h.cli(['apply', '-f', file()], { env: { RUNCTL_TRANSPORT: 'rest' } })).code).toBe(0);
    expect(await restCalls()).toBeGreaterThan(0);
  });

  it('--transport wins over RUNCTL_TRANSPORT', async () => {
    const before = await restCalls();
    expect((await h.cli(['diff', '-f', file(), '--transport', 'grpc'], { env: { RUNCTL_TRANSPORT: 'rest' } })).code).toBe(0);
    expect(await restCalls()).toBe(before);
    expect((await h.cli(['diff', '-f', file(), '--transport', 'rest'], { env: { RUNCTL_TRANSPORT: 'grpc' } })).code).toBe(0);
    expect(await restCalls()).toBeGreaterThan(before);
  });

  it('an unknown transport is a usage error (exit 1) naming where it came from', async () => {
    const env = await h.cli(['diff', '-f', file()], { env: { RUNCTL_TRANSPORT: 'http3' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('RUNCTL_TRANSPORT: unknown transport "http3"');
    const flag = await h.cli(['diff', '-f', file(), '--transport', 'carrier-pigeon']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/--transport.*carrier-pigeon/);
  });
});
