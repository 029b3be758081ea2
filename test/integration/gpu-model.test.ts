/**
 * The GpuModel kind end to end: validation before any API call, the Cloud Run service
 * read back through @google-cloud/run, invoker IAM for another Service's account, the
 * model URL carried into that Service's env, and drift.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const gpuYaml = (name: string, spec: Record<string, unknown> = {}) =>
  YAML.stringify({
    apiVersion: 'runctl.dev/v1alpha1',
    kind: 'GpuModel',
    metadata: { name },
    spec: {
      region: 'europe-west4',
      image: 'europe-west4-docker.pkg.dev/local-project/ollama-backend/ollama-gemma:1',
      runtime: 'ollama',
      model: 'gemma3:4b',
      gpu: { type: 'nvidia-l4', count: 1, zonalRedundancy: false, quota: 1 },
      resources: { cpu: '8', memory: '32Gi' },
      concurrency: 4,
      maxInstances: 1,
      timeout: '600s',
      ...spec,
    },
  });
const nameOf = (region: string, s: string) => `projects/local-project/locations/${region}/services/${s}`;

describe.each(TRANSPORTS)('GpuModel end to end (%s)', (transport) => {
  let h: Harness;
  const get = async (name: string, region = 'europe-west4') => (await h.clients.runServices().getService({ name: nameOf(region, name) }))[0] as any;
  const invokers = async (name: string) => {
    const [policy] = await h.clients.runServices().getIamPolicy({ resource: nameOf('europe-west4', name) });
    return ((policy.bindings ?? []).find((b: any) => b.role === 'roles/run.invoker')?.members ?? []).sort();
  };

  beforeAll(async () => {
    h = await startHarness({ transport });
    // The project's GPU quota in europe-west4, as Cloud Run would enforce it.
    await fetch(`http://${h.emu.http}/__emulator/run/gpu-quota`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ region: 'europe-west4', quota: 1 }) });
  });
  afterAll(async () => h?.close());

  const invalid: Array<{ reason: string; spec: Record<string, unknown>; message: string }> = [
    { reason: 'a region without GPUs', spec: { region: 'europe-north1' }, message: 'spec.region: Cloud Run GPU rule "GPU regions": nvidia-l4 GPUs are not offered in europe-north1; allowed regions: asia-south1, asia-southeast1, europe-west1, europe-west4, us-central1, us-east4' },
    { reason: '2 CPUs', spec: { resources: { cpu: '2', memory: '16Gi' } }, message: 'spec.resources.cpu: Cloud Run GPU rule "minimum CPU": nvidia-l4 needs at least 4 CPU per instance (got 2); allowed: 4, 6, 8' },
    { reason: 'CPU throttling on', spec: { cpuThrottling: true }, message: 'spec.cpuThrottling: Cloud Run GPU rule "CPU always allocated"' },
    { reason: 'max instances above quota', spec: { maxInstances: 3 }, message: 'spec.maxInstances: Cloud Run GPU rule "max instances within the GPU quota": maxInstances 3 is above gpu.quota 1' },
  ];
  it.each(invalid)('refuses $reason with a precise message and no API call', async ({ spec, message }) => {
    const file = h.write(`invalid/${Object.keys(spec)[0]}.yaml`, gpuYaml('bad-model', spec));
    await h.resetStats();
    for (const verb of ['apply', 'plan']) {
      const res = await h.cli([verb, '-f', file]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`GpuModel/bad-model: ${message}`);
      expect(res.stderr).toContain('[InvalidValue]');
    }
    const stats = await h.stats();
    expect(stats.reads + stats.writes).toBe(0);
  });

  it('creates the GPU service as the Ollama guide deploys it, private, invoked by the jokes account', async () => {
    h.write('model/gemma.yaml', gpuYaml('gemma', { invokers: ['Service/jokes'] }));
    h.write('model/account.yaml', 'apiVersion: runctl.dev/v1alpha1\nkind: ServiceAccount\nmetadata: {name: tortune}\nspec: {}\n');
    h.write('model/jokes.yaml', serviceYaml('jokes', { serviceAccount: 'ServiceAccount/tortune', env: { OLLAMA_URI: '${GpuModel/gemma.status.url}/api/generate' } }));
    const dir = path.join(h.dir, 'model');
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('"OLLAMA_URI":"(known after apply)/api/generate"');
    expect(plan.stdout).toContain("invoker Service/jokes: serviceAccount:tortune@local-project.iam.gserviceaccount.com (from Service/jokes's manifest)");
    // The Service that uses the model's URL comes after the model.
    expect(plan.stdout.indexOf('+ GpuModel/gemma')).toBeLessThan(plan.stdout.indexOf('+ Service/jokes'));

    const res = await h.cli(['apply', '-f', dir]);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
    const svc = await get('gemma');
    const t = svc.template;
    const c = t.containers[0];
    expect(t.nodeSelector.accelerator).toBe('nvidia-l4');
    expect(t.gpuZonalRedundancyDisabled).toBe(true);
    expect(c.resources.limits).toEqual({ cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' });
    expect(c.resources.cpuIdle).toBe(false);
    expect(t.maxInstanceRequestConcurrency).toBe(4);
    expect(t.scaling.maxInstanceCount).toBe(1);
    expect(t.timeout.seconds).toBe('600');
    expect(t.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(c.ports[0].containerPort).toBe(8080);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env).toEqual({ MODEL: 'gemma3:4b', OLLAMA_HOST: '0.0.0.0:8080', OLLAMA_KEEP_ALIVE: '-1', OLLAMA_NUM_PARALLEL: '4' });
    expect(svc.labels).toMatchObject({ 'managed-by': 'runctl', 'runctl-set': 'default' });
    expect(await invokers('gemma')).toEqual(['serviceAccount:tortune@local-project.iam.gserviceaccount.com']);

    // The reference carried the real URL into the Service's environment.
    const jokes = await get('jokes', 'europe-north1');
    const uri = jokes.template.containers[0].env.find((e: any) => e.name === 'OLLAMA_URI').value;
    expect(uri).toBe(`${svc.uri}/api/generate`);

    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    const got = await h.cli(['get', 'gpumodel', 'gemma', '-o', 'json', '--region', 'europe-west4']);
    expect(got.stdout).toContain(svc.uri);
  });

  it('shows a removed invoker binding as drift and restores it', async () => {
    const dir = path.join(h.dir, 'model');
    const [policy] = await h.clients.runServices().getIamPolicy({ resource: nameOf('europe-west4', 'gemma') });
    await h.clients.runServices().setIamPolicy({ resource: nameOf('europe-west4', 'gemma'), policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } });
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.public: true → false');
    expect(diff.stdout).toContain('+ spec.invokers.0: "serviceAccount:tortune@local-project.iam.gserviceaccount.com"');
    expect(diff.stdout).toContain('no new revision');
    const before = (await get('gemma')).latestCreatedRevision;
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect(await invokers('gemma')).toEqual(['serviceAccount:tortune@local-project.iam.gserviceaccount.com']);
    expect((await get('gemma')).latestCreatedRevision).toBe(before);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('shows drift in the GPU settings and puts them back in a new revision', async () => {
    const dir = path.join(h.dir, 'model');
    const svc = await get('gemma');
    svc.template.containers[0].env = svc.template.containers[0].env.map((e: any) => (e.name === 'OLLAMA_NUM_PARALLEL' ? { ...e, value: '1' } : e));
    svc.template.gpuZonalRedundancyDisabled = false;
    delete svc.template.revision;
    await (await h.clients.runServices().updateService({ service: svc }))[0].promise();
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.env.OLLAMA_NUM_PARALLEL: "1" → "4"');
    expect(diff.stdout).toContain('~ spec.gpu.zonalRedundancy: true → false');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const fixed = await get('gemma');
    expect(fixed.template.gpuZonalRedundancyDisabled).toBe(true);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('grants the default compute account when the invoker Service declares none', async () => {
    h.write('default-sa/model.yaml', gpuYaml('gemma-b', { invokers: ['Service/plain'], maxInstances: 1 }));
    h.write('default-sa/plain.yaml', serviceYaml('plain'));
    const dir = path.join(h.dir, 'default-sa');
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toContain("invoker Service/plain: its service account (from the project's default compute service account, known after apply)");
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const sa = (await get('gemma-b')).template.serviceAccount;
    expect(sa).toMatch(/-compute@developer\.gserviceaccount\.com$/);
    expect(await invokers('gemma-b')).toEqual([`serviceAccount:${sa}`]);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('prunes a removed model once, and never prunes a live model as a stray Service', async () => {
    h.write('prune/model.yaml', gpuYaml('gemma-c', { maxInstances: 1 }));
    h.write('prune/web.yaml', serviceYaml('web', { region: 'europe-west4' }));
    const dir = path.join(h.dir, 'prune');
    const set = ['--set', 'gpu-prune'];
    expect((await h.cli(['apply', '-f', dir, ...set])).code).toBe(0);
    const kept = await h.cli(['plan', '-f', dir, '--prune', ...set]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).not.toContain('pruned');

    fs.rmSync(path.join(dir, 'model.yaml'));
    const plan = await h.cli(['plan', '-f', dir, '--prune', ...set]);
    expect(plan.stdout.match(/\(delete, pruned\)/g)).toHaveLength(1);
    expect(plan.stdout).toContain('gemma-c');
    expect((await h.cli(['apply', '-f', dir, '--prune', '--yes', ...set])).code).toBe(0);
    await expect(get('gemma-c')).rejects.toMatchObject({ code: 5 });
    expect((await get('web')).name).toBe(nameOf('europe-west4', 'web'));
  });
});
