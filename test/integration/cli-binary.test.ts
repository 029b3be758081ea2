/**
 * The built `runctl` executable as a user runs it: exit codes, validation messages,
 * the embedded emulator, the standalone emulator and stdin. (`npm test` builds first.)
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { emulatorStats } from '../helpers/emulator-admin';

const ROOT = packageRoot();
const BIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'invalid');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-bin-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runctl(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) {
  const env = { ...process.env, ...opts.env };
  delete env.RUNCTL_EMULATOR_HOST;
  delete env.GOOGLE_CLOUD_PROJECT;
  if (opts.env?.RUNCTL_EMULATOR_HOST) env.RUNCTL_EMULATOR_HOST = opts.env.RUNCTL_EMULATOR_HOST;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? tmp, input: opts.input, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('runctl validate', () => {
  const cases: Array<{ file: string; code: string; where: RegExp }> = [
    { file: 'wrong-type.yaml', code: 'SchemaViolation', where: /wrong-type\.yaml:\d+:\d+: Service\/jokes: spec\.scaling\.maxInstances: must be an integer/ },
    { file: 'unknown-field.yaml', code: 'UnknownField', where: /unknown-field\.yaml:\d+:\d+: .*unknown field/ },
    { file: 'missing-required.yaml', code: 'SchemaViolation', where: /missing-required\.yaml:\d+:\d+: .*missing required field 'image'/ },
    { file: 'out-of-range.yaml', code: 'SchemaViolation', where: /out-of-range\.yaml:\d+:\d+: .*must be ≤ 1000/ },
    { file: 'unknown-kind.yaml', code: 'UnknownKind', where: /unknown-kind\.yaml:\d+:\d+: .*unknown kind/ },
    { file: 'duplicate-name.yaml', code: 'DuplicateResource', where: /duplicate-name\.yaml:\d+:\d+: .*defined more than once/ },
    { file: 'missing-reference.yaml', code: 'DanglingReference', where: /missing-reference\.yaml:\d+:\d+: .*not defined in these manifests/ },
    { file: 'cycle.yaml', code: 'DependencyCycle', where: /cycle\.yaml:\d+:\d+: .*dependency cycle: Service\/backend → Service\/frontend → Service\/backend/ },
    { file: 'malformed.yaml', code: 'YamlSyntax', where: /malformed\.yaml:\d+:\d+: / },
  ];
  it.each(cases)('$file → exit 1 with $code at file:line:column', ({ file, code, where }) => {
    const r = runctl(['validate', '-f', path.join(FIXTURES, file)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(where);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
  });

  it('reports every problem of every file together', () => {
    const r = runctl(['validate', '-f', FIXTURES]);
    expect(r.code).toBe(1);
    for (const c of cases) expect(r.stderr).toContain(c.file);
  });

  it('accepts the examples, and reads standard input', () => {
    expect(runctl(['validate', '-f', path.join(ROOT, 'manifests')]).code).toBe(0);
    // jokes-api's image names a Repository of the set: both documents go in together.
    const text = ['repositories.yaml', 'jokes-api.yaml'].map((f) => fs.readFileSync(path.join(ROOT, 'manifests', f), 'utf8')).join('\n---\n');
    const r = runctl(['validate', '-f', '-'], { input: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Service/jokes-api');
  });
});

describe('runctl on the embedded emulator', () => {
  it('applies manifests/, then finds nothing to change; a changed field makes diff exit 2', () => {
    const work = fs.mkdtempSync(path.join(tmp, 'embedded-'));
    fs.cpSync(path.join(ROOT, 'manifests'), path.join(work, 'manifests'), { recursive: true });
    const first = runctl(['apply', '-f', 'manifests/'], { cwd: work });
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[0]).toMatch(/^Target: embedded emulator .* · project local-project/);
    expect(fs.existsSync(path.join(work, '.runctl', 'emulator', 'state.json'))).toBe(true);

    const second = runctl(['apply', '-f', 'manifests/'], { cwd: work });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes');
    expect(runctl(['diff', '-f', 'manifests/'], { cwd: work }).code).toBe(0);

    const file = path.join(work, 'manifests', 'jokes-api.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('maxInstances: 10', 'maxInstances: 12'));
    const diff = runctl(['diff', '-f', 'manifests/'], { cwd: work });
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.scaling.maxInstances: 10 → 12');
    const json = runctl(['diff', '-f', 'manifests/', '-o', 'json'], { cwd: work });
    expect(json.code).toBe(2);
    const plan = JSON.parse(json.stdout);
    const changed = plan.entries.filter((e: any) => e.action !== 'noop');
    expect(changed.map((e: any) => e.key)).toEqual(['Service/jokes-api']);
    expect(changed[0].changes).toEqual([{ path: 'spec.scaling.maxInstances', op: 'replace', old: 10, new: 12 }]);
  });
});

describe('runctl emulator', () => {
  it('prints its JSON line, serves stats, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.split('\n')[0]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const { grpc, http } = JSON.parse(line);
    expect(grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(http.split(':')[1])).toBe(Number(grpc.split(':')[1]) + 1);
    const stats = await emulatorStats(http);
    expect(stats).toEqual({ reads: 0, writes: 0, calls: {} });

    const r = runctl(['apply', '-f', path.join(ROOT, 'manifests')], { env: { RUNCTL_EMULATOR_HOST: grpc } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Target: emulator at ${grpc}`);
    const after = await emulatorStats(http);
    expect(after.writes).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('runctl usage errors', () => {
  it('exits 1 with a message for an unknown verb or missing -f', () => {
    expect(runctl(['frobnicate']).code).toBe(1);
    const r = runctl(['diff']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--filename');
  });

  it('prints help and exits 0', () => {
    const r = runctl(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('apply');
    expect(r.stdout).toContain('validate');
  });
});
