/**
 * Secret values never appear in plans, logs, errors, metrics or the emulator's state.
 *
 * - A Service's env refers to Secret Manager by name and version: runctl never reads
 *   those secrets, and shows the references (never a value) everywhere.
 * - A Secret's value (from a file or an environment variable) is read by the Secret kind
 *   alone, to compare with the live latest version and to add a version; a random value
 *   is then searched for in stdout and stderr of every verb, saved plans, JSON output and
 *   events, watch's log and /metrics, error messages, and the emulator's state files
 *   (which hold payloads sealed, never in clear).
 * Plain env values are plain configuration: they are shown like any other field.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';
import { poll, startCli } from '../helpers/loop-runner';
import { readableSecret } from '../helpers/secrets';

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
    // Cloud Run checks that the revision may read what its env names, as Google does.
    await readableSecret(h, 'openai-api-key', 4);
    await readableSecret(h, 'db-password', 1);
    await h.resetStats();
    file = h.write('sec/svc.yaml', serviceYaml('sec', { env: ENV }));
  });
  afterAll(async () => h?.close());

  it('are read by the Secret kind alone: no other controller reads a payload', () => {
    const offenders = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'controllers'))].filter(
      (f) => /accessSecretVersion|addSecretVersion/.test(fs.readFileSync(f, 'utf8')) && !f.includes(`${path.sep}controllers${path.sep}secret${path.sep}`) && !f.includes(`${path.sep}src${path.sep}emulator${path.sep}`),
    );
    expect(offenders).toEqual([]);
  });

  it('show references by name and version only in plans (text, JSON, saved), results, events and get', async () => {
    const text = await h.cli(['plan', '-f', file]);
    expect(text.code).toBe(2);
    // (Long values are cut short in text plans: the first reference and the plain value show.
    // A secret of the service's own project written as projects/P/secrets/S is the secret S:
    // Cloud Run reads both alike, and runctl compares and writes the short name.)
    expect(text.stdout).toContain('"DB_PASSWORD":{"secret":"db-password","version":"latest"}');
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
    // A name and a version (which `get` leaves out when it is the default, latest), nothing else.
    for (const r of refs) expect(['secret', 'version'], JSON.stringify(r)).toEqual(expect.arrayContaining(Object.keys(r)));
    expect(refs.map((r) => `${r.secret}@${r.version}`)).toEqual(expect.arrayContaining(['openai-api-key@3', 'db-password@latest']));

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
    for (const r of secretRefs(JSON.parse(failed.stdout))) expect(['secret', 'version']).toEqual(expect.arrayContaining(Object.keys(r)));
    expect(failed.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("a Secret's value, chosen at random", () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-secret-state-'));
  const fromFile = `file-${randomBytes(24).toString('hex')}`;
  const fromEnv = `env-${randomBytes(24).toString('hex')}`;
  const ENV_NAME = 'RUNCTL_TEST_SECRET_VALUE';
  let h: Harness;
  /** Everything runctl printed or wrote, to search. */
  const seen: string[] = [];
  const cli = async (args: string[]) => {
    const r = await h.cli(args);
    seen.push(r.stdout, r.stderr);
    return r;
  };
  const forms = (v: string) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('base64url'), Buffer.from(v).toString('hex')];

  beforeAll(async () => {
    process.env[ENV_NAME] = fromEnv;
    h = await startHarness({ stateDir });
    h.write('val/token.txt', fromFile);
    h.write(
      'val/secrets.yaml',
      [
        'apiVersion: runctl.dev/v1alpha1\nkind: Secret\nmetadata: {name: api-token}\nspec:\n  value: {fromFile: token.txt}\n',
        'apiVersion: runctl.dev/v1alpha1\nkind: Secret\nmetadata: {name: env-token}\nspec:\n  replication: {regions: [europe-north1]}\n  value: {fromEnv: RUNCTL_TEST_SECRET_VALUE}\n',
      ].join('---\n'),
    );
    h.write('val/svc.yaml', serviceYaml('reader', { env: { TOKEN: { secret: 'api-token' }, OTHER: { secret: 'env-token', version: 'latest' } } }));
  });
  afterAll(async () => {
    delete process.env[ENV_NAME];
    await h?.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('appears nowhere in output, plan files, events, errors, the watch log, /metrics or (in clear) the state files', async () => {
    const dir = path.join(h.dir, 'val');
    const planFile = path.join(h.dir, 'val.plan.json');
    expect((await cli(['validate', '-f', dir])).code).toBe(0);
    const plan = await cli(['plan', '-f', dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ spec.value: (sensitive)');
    await cli(['plan', '-f', dir, '-o', 'json']);
    expect((await cli(['plan', '-f', dir, '--out', planFile])).code).toBe(2);
    seen.push(fs.readFileSync(planFile, 'utf8'));
    const applied = await cli(['apply', planFile]);
    expect(applied.code).toBe(0);
    // The values are in Secret Manager (read back through the official client)...
    const [latest] = await h.clients.secretManager().accessSecretVersion({ name: 'projects/local-project/secrets/api-token/versions/latest' });
    expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe(fromFile);
    // ...and the Service reading them is ready: its account was granted access on each.
    const [svc] = await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-north1/services/reader' });
    expect(svc.latestReadyRevision).toBe(svc.latestCreatedRevision);

    expect((await cli(['diff', '-f', dir])).code).toBe(0);
    await cli(['apply', '-f', dir, '-o', 'json']);
    await cli(['get', 'Secret', 'api-token', '-o', 'yaml']);
    await cli(['get', 'Secret', '-o', 'json']);

    // A new value: the plan says only that it changed.
    h.write('val/token.txt', `${fromFile}-2`);
    const changed = await cli(['diff', '-f', dir]);
    expect(changed.code).toBe(2);
    expect(changed.stdout).toContain('~ spec.value: (changed)');
    // An error while adding the version: the message names the source, never the value.
    h.emu.core.faults.push({ method: 'SecretManagerService.AddSecretVersion', code: 'INVALID_ARGUMENT', times: 1 });
    const failed = await cli(['apply', '-f', dir, '-o', 'json']);
    expect(failed.code).toBe(1);
    expect((await cli(['apply', '-f', dir])).code).toBe(0);

    // watch: its log (JSON records) and /metrics.
    const w = startCli(['watch', '-f', dir, '--log-format', 'json', '--metrics-port', '0'], { env: { RUNCTL_EMULATOR_HOST: h.emu.grpc, CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG! }, cwd: h.dir });
    try {
      const url = (await w.waitForRecord((r) => typeof r.url === 'string')).url;
      await w.waitForRecord((r) => r.trigger === 'initial' && String(r.message).startsWith('reconciled'));
      seen.push(await (await fetch(`${url}/metrics`)).text());
    } finally {
      expect(await w.stop()).toBe(0);
      seen.push(w.log());
    }

    await h.emu.core.flush();
    const stateFiles = fs.readdirSync(stateDir).map((f) => fs.readFileSync(path.join(stateDir, f), 'utf8'));
    expect(stateFiles.join('')).toContain('secretmanager');
    const everything = [...seen, ...stateFiles].join('\n');
    for (const v of [fromFile, `${fromFile}-2`, fromEnv]) for (const form of forms(v)) expect(everything).not.toContain(form);
  });
});
