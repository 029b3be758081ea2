/**
 * Cloud Run emulator: request validation (INVALID_ARGUMENT with the v2 API's
 * "Violation in ..." wording) and the GPU rules, through the real client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

const PARENT = 'projects/p/locations/europe-west4';
const IMAGE = 'europe-west4-docker.pkg.dev/p/repo/app:1';
const GPU_IMAGE = 'europe-west4-docker.pkg.dev/p/ollama/gemma:1';

let emu: RunningEmulator;
let clients: Clients;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
});

afterAll(async () => {
  await clients.close();
  await emu.stop();
});

async function tryCreate(serviceId: string, service: Record<string, any>): Promise<{ code: number; details: string } | undefined> {
  try {
    const [op] = await clients.runServices().createService({ parent: PARENT, serviceId, service });
    await op.promise();
    return undefined;
  } catch (err: any) {
    return { code: err.code, details: String(err.details ?? err.message) };
  }
}

const gpuTemplate = (over: Record<string, any> = {}, resources: Record<string, any> = {}) => ({
  nodeSelector: { accelerator: 'nvidia-l4' },
  gpuZonalRedundancyDisabled: true,
  scaling: { maxInstanceCount: 1 },
  containers: [{ image: GPU_IMAGE, resources: { limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' }, cpuIdle: false, ...resources } }],
  ...over,
});

const invalid: Array<{ name: string; reason: string; service: Record<string, any>; message: RegExp }> = [
  {
    name: 'missing template',
    reason: 'template is REQUIRED',
    service: { labels: { a: 'b' } },
    message: /Violation in CreateServiceRequest\.service\.template: required field not present/,
  },
  {
    name: 'missing image',
    reason: 'every container needs an image',
    service: { template: { containers: [{ name: 'app' }] } },
    message: /CreateServiceRequest\.service\.template\.containers\[0\]\.image: required field not present/,
  },
  {
    name: 'traffic not summing to 100',
    reason: 'percentages must total 100',
    service: { template: { containers: [{ image: IMAGE }] }, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 90 }] },
    message: /service\.traffic: traffic percentages must add up to 100, got 90/,
  },
  {
    name: 'reserved annotation',
    reason: 'v1 system annotations are rejected in v2',
    service: { template: { annotations: { 'autoscaling.knative.dev/maxScale': '3' }, containers: [{ image: IMAGE }] } },
    message: /template\.annotations\[autoscaling\.knative\.dev\/maxScale\]: system annotations are not supported in Cloud Run API v2/,
  },
  {
    name: 'reserved label',
    reason: 'reserved prefixes apply to labels too',
    service: { labels: { 'run.googleapis.com/x': 'y' }, template: { containers: [{ image: IMAGE }] } },
    message: /service\.labels\[run\.googleapis\.com\/x\]/,
  },
  {
    name: 'two ports',
    reason: 'a container exposes at most one port',
    service: { template: { containers: [{ image: IMAGE, ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }] } },
    message: /containers\[0\]\.ports: ports should contain 0 or 1 port/,
  },
  {
    name: 'duplicate tags',
    reason: 'a tag names one traffic target',
    service: {
      template: { containers: [{ image: IMAGE }] },
      traffic: [
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100, tag: 'blue' },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 0, tag: 'blue' },
      ],
    },
    message: /traffic\[1\]\.tag: tag 'blue' is used by more than one traffic target/,
  },
  {
    name: 'memory above the CPU limit',
    reason: '1 vCPU allows at most 4Gi',
    service: { template: { containers: [{ image: IMAGE, resources: { limits: { cpu: '1', memory: '8Gi' } } }] } },
    message: /Invalid value specified for memory/,
  },
  {
    name: 'GPU with request-based billing',
    reason: 'GPUs need cpu_idle false (resources omitted means cpu_idle true)',
    service: { template: gpuTemplate({ containers: [{ image: GPU_IMAGE }] }) },
    message: /GPU requires instance-based billing/,
  },
  {
    name: 'GPU on a small instance',
    reason: 'L4 needs at least 4 CPU and 16Gi',
    service: { template: gpuTemplate({}, { limits: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '1' } }) },
    message: /nvidia-l4 requires at least 4 CPU and 16Gi memory/,
  },
  {
    name: 'unknown accelerator',
    reason: 'only known GPU types',
    service: { template: gpuTemplate({ nodeSelector: { accelerator: 'nvidia-tesla-k80' } }) },
    message: /unsupported accelerator 'nvidia-tesla-k80'/,
  },
];

describe('invalid services are rejected with INVALID_ARGUMENT', () => {
  it.each(invalid)('$name ($reason)', async ({ name, service, message }) => {
    const id = name.toLowerCase().replace(/[^a-z]+/g, '-').replace(/^-+|-+$/g, '');
    const err = await tryCreate(id, service);
    expect(err?.code).toBe(3);
    expect(err?.details).toMatch(message);
    const [list] = await clients.runServices().listServices({ parent: PARENT });
    expect(list.map((s) => s.name)).not.toContain(`${PARENT}/services/${id}`);
  });
});

describe('GPU services', () => {
  it('accept an L4 with 8 CPU, 32Gi, instance-based billing', async () => {
    expect(await tryCreate('gemma', { template: gpuTemplate() })).toBeUndefined();
    const [s] = await clients.runServices().getService({ name: `${PARENT}/services/gemma` });
    expect(s.template?.nodeSelector?.accelerator).toBe('nvidia-l4');
    expect(s.template?.gpuZonalRedundancyDisabled).toBe(true);
    const [r] = await clients.runRevisions().getRevision({ name: s.latestReadyRevision! });
    expect(r.nodeSelector?.accelerator).toBe('nvidia-l4');
    expect(r.gpuZonalRedundancyDisabled).toBe(true);
  });

  it('refuse max instances above the configured GPU quota of the region', async () => {
    const res = await fetch(`http://${emu.http}/__emulator/run/gpu-quota`, { method: 'POST', body: JSON.stringify({ region: 'europe-west4', quota: 3 }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const err = await tryCreate('gemma-big', { template: gpuTemplate({ scaling: { maxInstanceCount: 5 } }) });
    expect(err?.code).toBe(3);
    expect(err?.details).toMatch(/Max instances must be set to 3 or fewer/);
    expect(await tryCreate('gemma-three', { template: gpuTemplate({ scaling: { maxInstanceCount: 3 } }) })).toBeUndefined();
  });
});
