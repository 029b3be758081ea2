/** The pure Knative YAML -> runctl manifests mapping (src/lib/knative.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, convertKnative } from '../../src/lib/knative';

const FIXTURE = path.resolve(__dirname, '../fixtures/knative/full.yaml');

describe('convert: Knative YAML to runctl manifests', () => {
  const text = fs.readFileSync(FIXTURE, 'utf8');
  const { manifests, findings } = convertKnative(text, 'full.yaml');
  const line = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('carries every field runctl expresses into the Service', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['Service/jokes', 'Volume/data', 'Volume/scratch', 'Volume/share']);
    expect(manifests[0].metadata).toEqual({ name: 'jokes', labels: { team: 'fun' } });
    expect(manifests[0].spec).toEqual({
      region: 'europe-north1',
      image: 'europe-north1-docker.pkg.dev/my-proj/r/jokes:1',
      command: ['/app/server'],
      args: ['--verbose'],
      port: 9000,
      env: { MODE: 'prod', TOKEN: { secret: 'token', version: '3' }, KEY: { secret: 'projects/other-proj/secrets/shared-key' } },
      resources: { cpu: '2', memory: '1Gi' },
      scaling: { minInstances: 1, maxInstances: 5, concurrency: 40 },
      timeout: '600s',
      cpuThrottling: false,
      startupCpuBoost: true,
      executionEnvironment: 'gen2',
      serviceAccount: 'jokes-api@my-proj.iam.gserviceaccount.com',
      ingress: 'internal-and-cloud-load-balancing',
      vpc: { connector: 'projects/my-proj/locations/europe-north1/connectors/onprem', egress: 'all-traffic' },
      binaryAuthorization: 'default',
      volumes: [
        { volume: 'data', mountPath: '/data', readOnly: true },
        { volume: 'scratch', mountPath: '/scratch' },
        { volume: 'share', mountPath: '/share' },
      ],
      traffic: [
        { tag: 'stable', revision: 'jokes-00001-abc', percent: 90 },
        { tag: 'next', latest: true, percent: 10 },
      ],
    });
    expect(manifests.slice(1).map((m) => m.spec)).toEqual([
      { gcs: { bucket: 'my-proj-data', mountOptions: ['implicit-dirs'] } },
      { memory: { sizeLimit: '256Mi' } },
      { nfs: { server: '10.0.0.2', path: '/exports' } },
    ]);
  });

  it('reports every field it does not carry with its file:line, and the bookkeeping it ignores', () => {
    const notCarried = findings.filter((f) => f.severity === 'not-carried').map((f) => [f.path, f.pos.line]);
    expect(notCarried).toEqual([
      ['metadata.annotations.run.googleapis.com/description', line('run.googleapis.com/description')],
      ['spec.template.metadata.annotations.run.googleapis.com/cloudsql-instances', line('cloudsql-instances')],
      ['spec.template.metadata.annotations.run.googleapis.com/sessionAffinity', line('sessionAffinity')],
      ['spec.template.spec.containers[1]', line('- name: proxy')],
      ['spec.template.spec.containers[0].livenessProbe', line('livenessProbe')],
    ]);
    for (const f of findings) expect(f.pos.file).toBe('full.yaml');
    const ignored = findings.filter((f) => f.severity === 'ignored').map((f) => f.path);
    expect(ignored).toEqual(expect.arrayContaining(['metadata.namespace', 'metadata.annotations.run.googleapis.com/client-name', 'spec.template.metadata.annotations.client.knative.dev/user-image']));
  });

  it('a GPU service becomes a GpuModel (runtime custom), naming what it cannot take', () => {
    const gpu = convertKnative(fs.readFileSync(path.resolve(__dirname, '../fixtures/knative/gpu.yaml'), 'utf8'), 'gpu.yaml');
    expect(gpu.manifests).toEqual([
      {
        apiVersion: 'runctl.dev/v1alpha1',
        kind: 'GpuModel',
        metadata: { name: 'llm' },
        spec: { region: 'europe-west4', image: 'europe-west4-docker.pkg.dev/p/r/llm:1', runtime: 'custom', gpu: { type: 'nvidia-l4', zonalRedundancy: false }, resources: { cpu: '8', memory: '32Gi' }, concurrency: 4, maxInstances: 1 },
      },
    ]);
    expect(gpu.findings.filter((f) => f.severity === 'not-carried').map((f) => f.message)).toEqual([expect.stringContaining('no env')]);
  });

  it('every carried annotation names the runctl field it sets (the README table)', () => {
    for (const [k, a] of Object.entries(ANNOTATIONS)) expect(a.field, k).toMatch(/spec|GpuModel|none/);
  });
});
