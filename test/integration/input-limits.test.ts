/**
 * Hostile or odd input, as a user meets it with the built executable (issue 11, defect
 * 9): devices, FIFOs, oversized sets, invalid UTF-8, unknown YAML tags, runaway nesting,
 * values beyond Cloud Run's and Cloud Storage's limits, and an empty pipe.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';

const ROOT = packageRoot();
const BIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-input-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runctl(args: string[], opts: { input?: string | Buffer; stdinFile?: string } = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(RUNCTL_|GOOGLE_CLOUD_PROJECT|CLOUDSDK_)/.test(k)) delete env[k];
  const stdio = opts.stdinFile ? [fs.openSync(opts.stdinFile, 'r'), 'pipe', 'pipe'] : undefined;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, env, input: opts.input, stdio: stdio as any, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

const svc = (name: string, spec: string) => `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  region: us-central1\n  image: us-docker.pkg.dev/p/r/${name}:1\n${spec}`;
const vol = (bucket: string) => `apiVersion: runctl.dev/v1alpha1\nkind: Volume\nmetadata: {name: v}\nspec:\n  gcs:\n    bucket: ${JSON.stringify(bucket)}\n    create: true\n`;
const diagnosticLines = (stderr: string) => stderr.split('\n').filter((l) => /\[[A-Za-z]+\]$/.test(l) && !l.startsWith('error:'));

describe('runctl validate refuses what it should not read', () => {
  it('-f /dev/zero: refused at once, naming the path', () => {
    const r = runctl(['validate', '-f', '/dev/zero']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\/dev\/zero: a character device, not a regular file.*\[InputRefused\]$/m);
  });

  it('a FIFO: refused, never waited on', () => {
    const fifo = path.join(tmp, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = runctl(['validate', '-f', fifo]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${fifo}: a FIFO`);
    expect(r.stderr).toContain('[InputRefused]');
  });

  it('a set larger than the total limit: one diagnostic, the rest not read', () => {
    const dir = path.join(tmp, 'big');
    fs.mkdirSync(dir);
    const filler = `# ${'x'.repeat(7_000_000)}\n`;
    for (let i = 0; i < 7; i++) fs.writeFileSync(path.join(dir, `f${i}.yaml`), filler);
    const r = runctl(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    const lines = diagnosticLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/f2\.yaml: the manifests are larger than 16 MiB in total.*\[InputRefused\]$/);
  });

  it('invalid UTF-8: file:line:column, nothing deployed', () => {
    const file = write('latin1.yaml', Buffer.concat([Buffer.from(svc('latin', '  env: {GREETING: "caf')), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    const r = runctl(['validate', '-f', file]);
    expect(r.code).toBe(1);
    expect(diagnosticLines(r.stderr)).toEqual([expect.stringMatching(/latin1\.yaml:7:\d+: .*byte 0xe9.*\[InvalidEncoding\]$/)]);
  });

  it.each([
    ['!!binary', '  env: {BLOB: !!binary aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=}\n'],
    ['!!js/function', '  env: {F: !!js/function "function () { return 1 }"}\n'],
    ['!secret', '  env: {S: !secret db-password}\n'],
  ])('the YAML tag %s: one diagnostic at its line', (tag, spec) => {
    const file = write(`tag-${tag.replace(/\W/g, '')}.yaml`, svc('tagged', spec));
    const r = runctl(['validate', '-f', file]);
    expect(r.code).toBe(1);
    const lines = diagnosticLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`:7:\\d+: unknown YAML tag ${tag.replace(/[!/]/g, '\\$&')}.*\\[UnknownTag\\]$`));
  });

  it('10,000-deep nesting: "nesting too deep" at file:line, no stack overflow', () => {
    const file = write('deep.yaml', `${svc('deep', '')}  args: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    const r = runctl(['validate', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/call stack/i);
    expect(diagnosticLines(r.stderr)).toEqual([expect.stringMatching(/deep\.yaml:7:\d+: nesting too deep.*\[NestingTooDeep\]$/)]);
  });

  it.each(['goog-x', 'a..b', '192.168.5.4', 'team-google-data', 'g00gle-logs'])('bucket %s fails validate at its line', (bucket) => {
    const file = write('bucket.yaml', vol(bucket));
    const r = runctl(['validate', '-f', file]);
    expect(r.code).toBe(1);
    expect(diagnosticLines(r.stderr)).toEqual([expect.stringMatching(/bucket\.yaml:6:\d+: Volume\/v: spec\.gcs\.bucket: not a Cloud Storage bucket name.*\[InvalidValue\]$/)]);
  });

  it.each([
    ['memory 99999999999999999999999Gi', '  resources: {memory: 99999999999999999999999Gi}\n', 'memory'],
    ['16 vCPU', '  resources: {cpu: "16", memory: 32Gi}\n', 'cpu'],
  ])('%s fails validate at its line', (_what, spec, field) => {
    const file = write('size.yaml', svc('big', spec));
    const r = runctl(['validate', '-f', file]);
    expect(r.code).toBe(1);
    expect(diagnosticLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`size\\.yaml:7:\\d+: Service/big: spec\\.resources\\.${field}: .*\\[InvalidValue\\]$`))]);
  });
});

describe('an empty manifest set on standard input', () => {
  it.each([['diff'], ['apply']])('%s -f - </dev/null is an error', (verb) => {
    const r = runctl([verb, '-f', '-'], { stdinFile: '/dev/null' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/standard input \(-f -\) held no manifests.*--allow-empty.*\[NoManifests\]/);
    expect(r.stdout).not.toContain('matches');
  });

  it('diff --allow-empty accepts it', () => {
    const r = runctl(['diff', '-f', '-', '--allow-empty'], { stdinFile: '/dev/null' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
