/**
 * Secret Manager values never appear in plans, logs or errors: runctl never reads
 * them (no Secret Manager client, no call), and everywhere it shows a Secret Manager
 * reference it shows the secret's name and version only. Plain env values are plain
 * configuration: they are shown like any other field, even when they look like keys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const ROOT = path.resolve(__dirname, '../..');
const ENV = {
  OPENAI_API_KEY: { secret: 'openai-api-key', version: '3' },
  DB_PASSWORD: { secret: 'projects/local-project/secrets/db-password', version: 'latest' },
  LOG_LEVEL: 'info',
  LOOKS_LIKE_A_KEY: 'sk-plain-config-not-a-secret',
};

/** Every object with a `secret` key in a JSON value. */
function secretRefs(v: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(v)) v.forEach((x) => secretRefs(x, out));
  else if (v && typeof v === 'object') {
    if ('secret' in v) out.push(v as Record<string, unknown>);
    Object.values(v).forEach((x) => secretRefs(x, out));
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('secret values', () => {
  let h: Harness;
  let file: string;
  beforeAll(async () => {
    h = await startHarness();
    file = h.write('sec/svc.yaml', serviceYaml('sec', { env: ENV }));
  });
  afterAll(async () => h?.close());

  it('are never read: no Secret Manager client or call anywhere in runctl', () => {
    const offenders = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'controllers'))].filter((f) =>
      /secret-manager|secretmanager\.googleapis|accessSecretVersion|SecretManagerService/i.test(fs.readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => /secret/i.test(d))).toEqual([]);
  });

  it('show references by name and version only in plans (text, JSON, saved), results, events and get', async () => {
    const text = await h.cli(['plan', '-f', file]);
    expect(text.code).toBe(2);
    // (Long values are cut short in text plans: the first reference and the plain value show.)
    expect(text.stdout).toContain('"DB_PASSWORD":{"secret":"projects/local-project/secrets/db-password","version":"latest"}');
    // Plain values are configuration and are shown.
    expect(text.stdout).toContain('sk-plain-config-not-a-secret');

    const planFile = path.join(h.dir, 'sec.plan.json');
    const json = await h.cli(['plan', '-f', file, '-o', 'json']);
    expect((await h.cli(['plan', '-f', file, '--out', planFile])).code).toBe(2);
    const applied = await h.cli(['apply', '-f', file, '-o', 'json']);
    expect(applied.code).toBe(0);
    const got = await h.cli(['get', 'Service', 'sec', '--region', 'europe-north1', '-o', 'json']);
    const events = applied.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const refs = [JSON.parse(json.stdout), JSON.parse(fs.readFileSync(planFile, 'utf8')), JSON.parse(applied.stdout), JSON.parse(got.stdout), events].flatMap((v) => secretRefs(v));
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const r of refs) expect(Object.keys(r).sort()).toEqual(['secret', 'version']);
    expect(refs.map((r) => `${r.secret}@${r.version}`)).toEqual(expect.arrayContaining(['openai-api-key@3', 'projects/local-project/secrets/db-password@latest']));

    // The live service refers to the secrets; it holds no value either.
    const [svc] = await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-north1/services/sec' });
    const env = (svc as any).template.containers[0].env as any[];
    const ref = env.find((e) => e.name === 'OPENAI_API_KEY');
    expect(ref.valueSource.secretKeyRef).toEqual({ secret: 'openai-api-key', version: '3' });
    expect(ref.value ?? '').toBe('');
    // Nothing asked a Secret Manager for anything.
    expect(Object.keys((await h.stats()).calls).filter((m) => /secret/i.test(m))).toEqual([]);
  });

  it('show references by name and version only in a change and in an error', async () => {
    const changed = h.write('sec/svc.yaml', serviceYaml('sec', { env: { ...ENV, OPENAI_API_KEY: { secret: 'openai-api-key', version: '4' } } }));
    const diff = await h.cli(['diff', '-f', changed]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.env.OPENAI_API_KEY.version: "3" → "4"');

    h.emu.core.faults.push({ method: 'Services.UpdateService', code: 'FAILED_PRECONDITION', message: 'revision could not be created' });
    const failed = await h.cli(['apply', '-f', changed, '-o', 'json']);
    h.emu.core.faults.length = 0;
    expect(failed.code).toBe(1);
    const results = JSON.parse(failed.stdout).results as any[];
    expect(results[0].error).toContain('revision could not be created');
    for (const r of secretRefs(JSON.parse(failed.stdout))) expect(Object.keys(r).sort()).toEqual(['secret', 'version']);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
  });
});
