/**
 * `runctl get KIND NAME -o yaml|json` prints a manifest: piped back into `runctl diff -f -`
 * it plans no change, for every kind. `status` is accepted and ignored on input; the
 * Service's IAM fields appear; runctl's ownership labels and server defaults do not.
 * Through the CLI against a standalone emulator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, type Harness } from '../helpers/harness';

const REPO = path.resolve(__dirname, '../..');

describe('get -o yaml|json is a manifest', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const dir = path.join(h.dir, 'manifests');
    fs.cpSync(path.join(REPO, 'manifests'), dir, { recursive: true });
    h.write(
      'extra/api.yaml',
      serviceYaml(
        'api',
        { public: true, invokers: ['serviceAccount:cron@local-project.iam.gserviceaccount.com'], scaling: { maxInstances: 3 } },
        { labels: { app: 'api' }, annotations: { 'runctl.dev/deletion-policy': 'abandon' } },
      ),
    );
    const applied = await h.cli(['apply', '-f', dir, '-f', path.join(h.dir, 'extra')]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => h?.close());

  const get = async (kind: string, name: string, output: 'yaml' | 'json' = 'yaml') => {
    const r = await h.cli(['get', kind, name, '-o', output]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const diffStdin = (text: string) => h.cli(['diff', '-f', '-'], { stdin: text });

  it('a Service prints public and invokers, no runctl labels, no server defaults, and diffs clean in yaml and json', async () => {
    const text = await get('service', 'api');
    const doc = YAML.parse(text);
    expect(doc.metadata).toEqual({ name: 'api', labels: { app: 'api' }, annotations: { 'runctl.dev/deletion-policy': 'abandon' } });
    expect(doc.spec).toEqual({
      region: 'europe-north1',
      image: 'europe-north1-docker.pkg.dev/p/r/api:1',
      scaling: { maxInstances: 3 },
      public: true,
      invokers: ['serviceAccount:cron@local-project.iam.gserviceaccount.com'],
    });
    expect(doc.status).toMatchObject({ managedBy: 'runctl', set: 'default', conditions: [{ type: 'Ready', status: 'True' }] });

    const yaml = await diffStdin(text);
    expect(yaml.code, yaml.stdout + yaml.stderr).toBe(0);
    expect(yaml.stdout).toContain('No changes. The live state matches the manifests.');
    const json = await diffStdin(await get('service', 'api', 'json'));
    expect(json.code, json.stdout + json.stderr).toBe(0);
  });

  it('every kind round-trips (with the resources it names, as the set would hold them)', async () => {
    const sets: Array<Array<[string, string]>> = [
      [['service', 'jokes-api']],
      [['service', 'nightly-report']],
      [['policy', 'default']],
      [['volume', 'gradio-data']],
      [['loadbalancer', 'gradio-lb'], ['service', 'gradio'], ['volume', 'gradio-data']],
      [['slo', 'jokes-availability'], ['service', 'jokes'], ['gpumodel', 'ollama-gemma']],
    ];
    for (const set of sets) {
      const docs = await Promise.all(set.map(([kind, name]) => get(kind, name)));
      const r = await diffStdin(docs.join('---\n'));
      expect(r.code, `${set.map((s) => s.join('/')).join(', ')}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('a GpuModel maps its invoker accounts back to the Services that run as them', async () => {
    const doc = YAML.parse(await get('gpumodel', 'ollama-gemma'));
    expect(doc.spec).toEqual({
      region: 'europe-west4',
      image: 'europe-west4-docker.pkg.dev/local-project/ollama-backend/ollama-gemma:gemma3-4b',
      runtime: 'ollama',
      model: 'gemma3:4b',
      gpu: { type: 'nvidia-l4', zonalRedundancy: false },
      resources: { cpu: '8', memory: '32Gi' },
      maxInstances: 1,
      timeout: '600s',
      invokers: ['Service/jokes'],
    });
    expect(doc.status.invokers).toEqual(['serviceAccount:tortune@local-project.iam.gserviceaccount.com']);
  });

  it('a list (get KIND -o json) loads as one manifest per item', async () => {
    const r = await h.cli(['get', 'policies', '-o', 'json']);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    const diff = await diffStdin(r.stdout);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    expect(diff.stdout).toContain('1 unchanged');
  });

  it('status is accepted and ignored on input for every kind: validate, diff and apply skip it, references in it included', async () => {
    const status = 'status:\n  url: ${Service/nowhere.status.url}\n  anything: [1, {deep: true}]\n  conditions: [{type: Ready, status: "False"}]\n';
    const docs = fs
      .readdirSync(path.join(REPO, 'manifests'))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => fs.readFileSync(path.join(REPO, 'manifests', f), 'utf8').replace(/\s*$/, '\n') + status);
    const kinds = new Set(docs.map((d) => /^kind: (\w+)/m.exec(d)![1]));
    expect([...kinds].sort()).toEqual(['DomainMapping', 'GpuModel', 'LoadBalancer', 'Policy', 'Repository', 'Schedule', 'Secret', 'Service', 'ServiceAccount', 'Slo', 'Volume']);
    // The quick start's Secret reads its value from a file next to the manifests.
    fs.cpSync(path.join(REPO, 'manifests', 'secrets'), path.join(h.dir, 'secrets'), { recursive: true });
    const file = h.write('with-status.yaml', docs.join('---\n'));
    const validated = await h.cli(['validate', '-f', file]);
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    await h.resetStats();
    const applied = await h.cli(['apply', '-f', file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('the schemas say status is ignored on input', () => {
    for (const f of fs.readdirSync(path.join(REPO, 'schemas')).filter((n) => n !== 'common.schema.json')) {
      const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas', f), 'utf8'));
      expect(schema.properties.status?.description, f).toMatch(/[Ii]gnored on input/);
    }
  });
});
