/**
 * The pure parts of `get -o yaml|json`: live labels as a manifest declares them, and the
 * live Service and GpuModel forms without what Cloud Run (or runctl) fills in itself.
 */
import { describe, expect, it } from 'vitest';
import { manifestForm } from '../../controllers/gpu-model/gpu-service';
import { secretInProject, withoutServerDefaults } from '../../controllers/shared/cloud-run/run-service';
import { manifestLabels } from '../../src/engine/ownership';

describe('manifestLabels', () => {
  it("moves runctl's markers out of the user's labels; an abandon marker becomes its annotation", () => {
    const out = manifestLabels({ app: 'web', 'managed-by': 'runctl', 'runctl-set': 'blue', 'runctl-volume': 'data', 'runctl-deletion-policy': 'abandon' });
    expect(out).toEqual({ labels: { app: 'web' }, annotations: { 'runctl.dev/deletion-policy': 'abandon' }, owner: { managedBy: 'runctl', set: 'blue' } });
  });

  it("keeps every label of a resource runctl does not manage (they are someone else's)", () => {
    expect(manifestLabels({ 'managed-by': 'terraform', 'runctl-set': 'x' })).toEqual({
      labels: { 'managed-by': 'terraform', 'runctl-set': 'x' },
      annotations: {},
      owner: { managedBy: 'terraform' },
    });
    expect(manifestLabels(undefined)).toEqual({ labels: {}, annotations: {}, owner: undefined });
  });
});

describe('withoutServerDefaults (Service)', () => {
  it("leaves out Cloud Run's defaults and keeps what differs from them", () => {
    const live = {
      image: 'img:1',
      port: 8080,
      env: {},
      resources: { cpu: '1', memory: '512Mi' },
      scaling: { minInstances: 0, maxInstances: 3, concurrency: 80 },
      timeout: '300s',
      cpuThrottling: true,
      startupCpuBoost: false,
      volumes: [],
      serviceAccount: '123456789012-compute@developer.gserviceaccount.com',
      ingress: 'all',
      traffic: [{ latest: true, percent: 100 }],
      public: false,
      invokers: [],
    };
    expect(withoutServerDefaults(live)).toEqual({ image: 'img:1', scaling: { maxInstances: 3 } });
    const custom = {
      port: 9000,
      scaling: { minInstances: 1, concurrency: 10 },
      ingress: 'internal',
      volumes: [{ volume: 'data', mountPath: '/data', readOnly: false, source: 'gcs:b' }],
      traffic: [{ tag: 'good', revision: 'web-00001-abc', percent: 100 }],
      public: true,
    };
    expect(withoutServerDefaults(custom)).toEqual({ ...custom, volumes: [{ volume: 'data', mountPath: '/data' }] });
  });
});

describe('manifestForm (GpuModel)', () => {
  it('leaves out what runctl derives from the manifest and the GPU defaults', () => {
    const live = {
      image: 'img', gpu: { type: 'nvidia-l4', count: 1, zonalRedundancy: false }, resources: { cpu: '4', memory: '16Gi' },
      concurrency: 4, maxInstances: 1, port: 8080, env: { OLLAMA_HOST: '0.0.0.0:8080', OLLAMA_NUM_PARALLEL: '4', MODEL: 'gemma3:4b' },
      cpuThrottling: false, executionEnvironment: 'gen2', runtime: 'ollama', model: 'gemma3:4b', region: 'europe-west4',
    };
    expect(manifestForm(live)).toEqual({ region: 'europe-west4', image: 'img', runtime: 'ollama', model: 'gemma3:4b', gpu: { type: 'nvidia-l4', zonalRedundancy: false }, maxInstances: 1 });
    const vllm = { ...live, runtime: 'vllm', env: { MODEL: 'm' }, args: ['--model', 'm', '--port', '8080', '--max-num-seqs', '2'], concurrency: 8, resources: { cpu: '8', memory: '32Gi' } };
    expect(manifestForm(vllm)).toMatchObject({ runtime: 'vllm', concurrency: 8, parallelism: 2, resources: { cpu: '8', memory: '32Gi' } });
  });
});

describe('secretInProject (env secrets)', () => {
  it.each([
    { reason: "the service's own project: the short name", secret: 'projects/p1/secrets/key', project: 'p1', want: 'key' },
    { reason: 'another project: the full path', secret: 'projects/p2/secrets/key', project: 'p1', want: 'projects/p2/secrets/key' },
    { reason: 'a project number (not known to equal the ID): the full path', secret: 'projects/123/secrets/key', project: 'p1', want: 'projects/123/secrets/key' },
    { reason: 'a short name: as it is', secret: 'key', project: 'p1', want: 'key' },
    { reason: 'no project known: as it is', secret: 'projects/p1/secrets/key', project: undefined, want: 'projects/p1/secrets/key' },
  ])('$reason', ({ secret, project, want }) => {
    expect(secretInProject(secret, project)).toBe(want);
  });
});
