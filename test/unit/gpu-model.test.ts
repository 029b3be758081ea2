/**
 * GpuModel, pure parts: the Cloud Run GPU rules (each violation names the rule and the
 * allowed values), the Service object written for a model, and the read-back form.
 */
import { describe, expect, it } from 'vitest';
import { gpuModelController as typed, resolveInvokers } from '../../controllers/gpu-model';
import { checkGpuRules } from '../../controllers/gpu-model/gpu-rules';
import { desiredForm, liveForm, writeGpuService } from '../../controllers/gpu-model/gpu-service';
import type { AnyController, PlanContext, ResourceStatus } from '../../src/engine/controller';

/** As the engine holds it: any manifest, checked at run time. */
const gpuModelController: AnyController = typed;
import type { GpuModelSpec } from '../../controllers/generated/manifests';
import type { Manifest } from '../../src/engine/types';

const base = (): GpuModelSpec => ({
  region: 'europe-west4',
  image: 'europe-west4-docker.pkg.dev/p/ollama/gemma:1',
  runtime: 'ollama',
  model: 'gemma3:4b',
  gpu: { type: 'nvidia-l4', count: 1, zonalRedundancy: false, quota: 1 },
  resources: { cpu: '8', memory: '32Gi' },
  concurrency: 4,
  maxInstances: 1,
  timeout: '600s',
  invokers: ['Service/jokes'],
});
const model = (spec: Record<string, any>): Manifest => ({ apiVersion: 'runctl.dev/v1alpha1', kind: 'GpuModel', metadata: { name: 'ollama-gemma' }, spec });
const ctx = (manifests: Record<string, Manifest> = {}, statuses: Record<string, ResourceStatus> = {}, region?: string): PlanContext => ({
  target: { mode: 'emulator', description: 'test', fallbackProject: 'p', fallbackRegion: 'us-central1', region },
  set: 'default',
  manifestOf: (k) => manifests[k],
  statusOf: (k) => statuses[k],
  grantsOn: () => [],
});

describe('GpuModel: Cloud Run GPU rules', () => {
  const cases: Array<{ reason: string; change: (s: any) => void; path?: string; rule?: string; allowed?: string }> = [
    { reason: 'the guide\'s Gemma on L4 settings are valid', change: () => {} },
    { reason: 'a region without GPUs is refused with the regions that have them', change: (s) => (s.region = 'europe-north1'), path: 'spec.region', rule: 'GPU regions', allowed: 'europe-west1, europe-west4' },
    { reason: 'an L4 needs at least 4 CPU', change: (s) => (s.resources = { cpu: '2', memory: '16Gi' }), path: 'spec.resources.cpu', rule: 'minimum CPU', allowed: 'allowed: 4, 6, 8' },
    { reason: 'an L4 needs at least 16Gi', change: (s) => (s.resources = { cpu: '4', memory: '8Gi' }), path: 'spec.resources.memory', rule: 'minimum memory', allowed: '16Gi to 32Gi' },
    { reason: 'an L4 instance has at most 8 CPU', change: (s) => (s.resources = { cpu: '10', memory: '32Gi' }), path: 'spec.resources.cpu', rule: 'maximum CPU', allowed: '4, 6, 8' },
    { reason: 'memory must fit the CPU count (4 GiB per vCPU)', change: (s) => (s.resources = { cpu: '4', memory: '32Gi' }), path: 'spec.resources.memory', rule: 'memory per CPU', allowed: '16Gi to 16Gi' },
    { reason: 'an RTX PRO 6000 needs at least 20 CPU', change: (s) => ((s.gpu.type = 'nvidia-rtx-pro-6000'), (s.resources = { cpu: '8', memory: '80Gi' })), path: 'spec.resources.cpu', rule: 'minimum CPU', allowed: '20 or more' },
    { reason: 'CPU throttling is refused', change: (s) => (s.cpuThrottling = true), path: 'spec.cpuThrottling', rule: 'CPU always allocated', allowed: 'cpuThrottling: false' },
    { reason: 'max instances above the declared quota is refused', change: (s) => (s.maxInstances = 3), path: 'spec.maxInstances', rule: 'max instances within the GPU quota', allowed: '1 to 1' },
    { reason: 'without quota or max instances the limit is unknown', change: (s) => (delete s.maxInstances, delete s.gpu.quota), path: 'spec.maxInstances', rule: 'max instances within the GPU quota', allowed: 'declare maxInstances or gpu.quota' },
    { reason: 'concurrency below the runtime parallelism is refused', change: (s) => ((s.concurrency = 2), (s.parallelism = 4)), path: 'spec.concurrency', rule: 'concurrency and runtime parallelism', allowed: 'allowed: 4 or more' },
    { reason: 'concurrency above parallelism queues in Ollama, which is allowed', change: (s) => ((s.concurrency = 7), (s.parallelism = 4)) },
    { reason: 'parallelism means nothing to a custom runtime', change: (s) => ((s.runtime = 'custom'), (s.parallelism = 2)), path: 'spec.parallelism', rule: 'concurrency and runtime parallelism' },
    { reason: 'resources default to the GPU minimum', change: (s) => delete s.resources },
  ];
  it.each(cases)('$reason', ({ change, path, rule, allowed }) => {
    const spec = base();
    change(spec);
    const diags = checkGpuRules(model(spec));
    if (!path) return expect(diags).toEqual([]);
    expect(diags.map((d) => d.path)).toEqual([path]);
    expect(diags[0].code).toBe('InvalidValue');
    expect(diags[0].message).toContain(`Cloud Run GPU rule "${rule}"`);
    if (allowed) expect(diags[0].message).toContain(allowed);
  });

  it('refuses a --region without GPUs before any call (identify)', () => {
    const spec = base();
    delete (spec as any).region;
    expect(() => gpuModelController.identify(model(spec), ctx({}, {}, 'europe-north1'))).toThrow(/GPU regions.*allowed regions: asia-south1/);
    expect(gpuModelController.identify(model(spec), ctx({}, {}, 'us-central1')).fullName).toBe('projects/p/locations/us-central1/services/ollama-gemma');
  });
});

describe('GpuModel: the Cloud Run service', () => {
  const wctx = { serviceName: 'ollama-gemma', volume: () => undefined };

  it('writes the GPU service as the Ollama guide deploys it', () => {
    const svc: Record<string, any> = { template: { containers: [{}] } };
    writeGpuService(svc, base(), wctx);
    const t = svc.template;
    const c = t.containers[0];
    expect(t.nodeSelector).toEqual({ accelerator: 'nvidia-l4' });
    expect(t.gpuZonalRedundancyDisabled).toBe(true);
    expect(c.resources).toMatchObject({ cpuIdle: false, limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' } });
    expect(t.maxInstanceRequestConcurrency).toBe(4);
    expect(t.scaling.maxInstanceCount).toBe(1);
    expect(t.timeout).toEqual({ seconds: 600, nanos: 0 });
    expect(t.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(c.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
    expect(Object.fromEntries(c.env.map((e: any) => [e.name, e.value]))).toEqual({ MODEL: 'gemma3:4b', OLLAMA_HOST: '0.0.0.0:8080', OLLAMA_KEEP_ALIVE: '-1', OLLAMA_NUM_PARALLEL: '4' });
  });

  it('reads back what it wrote as the desired form (so an unchanged model plans nothing)', () => {
    const specs: GpuModelSpec[] = [base(), { ...base(), resources: undefined, maxInstances: undefined, gpu: { type: 'nvidia-l4', quota: 3 } }, { ...base(), runtime: 'vllm', model: 'google/gemma-3-4b-it', parallelism: 8, concurrency: 10 }];
    for (const spec of specs) {
      const svc: Record<string, any> = { name: 'projects/p/locations/europe-west4/services/ollama-gemma', template: { containers: [{}] } };
      writeGpuService(svc, spec, wctx);
      const want = desiredForm(spec, ['serviceAccount:a@p.iam.gserviceaccount.com'], wctx);
      const got = liveForm(svc, { public: false, invokers: ['serviceAccount:a@p.iam.gserviceaccount.com'] });
      for (const [k, v] of Object.entries(want)) expect(got[k], k).toEqual(v);
      expect(got.runtime).toBe(spec.runtime);
      expect(got.model).toBe(spec.model);
    }
  });

  it('finds each invoker\'s service account and says where it came from', () => {
    const jokes: Manifest = { apiVersion: 'runctl.dev/v1alpha1', kind: 'Service', metadata: { name: 'jokes' }, spec: { serviceAccount: 'tortune@p.iam.gserviceaccount.com' } };
    const plain: Manifest = { apiVersion: 'runctl.dev/v1alpha1', kind: 'Service', metadata: { name: 'web' }, spec: {} };
    const m = model({ ...base(), invokers: ['Service/jokes', 'Service/web', 'Service/api'] });
    const c = ctx({ 'Service/jokes': jokes, 'Service/web': plain }, { 'Service/web': { fields: { serviceAccount: 'web@p.iam.gserviceaccount.com' } } });
    const before = resolveInvokers(m, c);
    expect(before.map((i) => [i.member, i.source])).toEqual([
      ['serviceAccount:tortune@p.iam.gserviceaccount.com', "Service/jokes's manifest"],
      ['serviceAccount:web@p.iam.gserviceaccount.com', 'the live Service/web'],
      [undefined, "the project's default compute service account"],
    ]);
    const after = resolveInvokers(m, c, '123-compute@developer.gserviceaccount.com');
    expect(after[2].member).toBe('serviceAccount:123-compute@developer.gserviceaccount.com');
  });
});
