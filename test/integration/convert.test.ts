/**
 * `runctl convert` -> `apply`: the live service equals what `gcloud run services replace`
 * of the original Knative YAML produces (Cloud Run's documented mapping of each
 * annotation and field to the v2 API), checked field by field through the official client.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const KNATIVE = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: shapes
  labels: {cloud.googleapis.com/location: europe-north1, team: fun}
  annotations:
    run.googleapis.com/ingress: internal
    run.googleapis.com/client-name: gcloud
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/minScale: '1'
        autoscaling.knative.dev/maxScale: '4'
        run.googleapis.com/cpu-throttling: 'false'
        run.googleapis.com/startup-cpu-boost: 'true'
        run.googleapis.com/execution-environment: gen2
    spec:
      containerConcurrency: 20
      timeoutSeconds: 120
      containers:
      - image: gcr.io/acme/shapes:1
        args: [--fast]
        ports: [{name: http1, containerPort: 9090}]
        env: [{name: MODE, value: prod}]
        resources: {limits: {cpu: '2', memory: 1Gi}}
        volumeMounts: [{name: cache, mountPath: /cache}]
      volumes:
      - name: cache
        emptyDir: {medium: Memory, sizeLimit: 128Mi}
  traffic:
  - latestRevision: true
    percent: 100
    tag: current
`;

describe('convert then apply', () => {
  let h: Harness;
  let out: string;
  beforeAll(async () => {
    h = await startHarness();
    const file = h.write('knative/shapes.yaml', KNATIVE);
    out = path.join(h.dir, 'converted');
    const r = await h.cli(['convert', '-f', file, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const applied = await h.cli(['apply', '-f', out]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => h?.close());

  it('the live service holds what gcloud services replace of the original would', async () => {
    const [svc] = await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-north1/services/shapes' });
    const t = svc.template!;
    const c = t.containers![0];
    expect(svc.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
    expect(svc.labels).toMatchObject({ team: 'fun' });
    expect(t.scaling).toMatchObject({ minInstanceCount: 1, maxInstanceCount: 4 });
    expect(t.maxInstanceRequestConcurrency).toBe(20);
    expect(Number(t.timeout!.seconds)).toBe(120);
    expect(t.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(c.image).toBe('gcr.io/acme/shapes:1');
    expect(c.args).toEqual(['--fast']);
    expect(c.ports).toEqual([expect.objectContaining({ name: 'http1', containerPort: 9090 })]);
    expect(c.env).toEqual([expect.objectContaining({ name: 'MODE', value: 'prod' })]);
    expect(c.resources).toMatchObject({ limits: { cpu: '2', memory: '1Gi' }, cpuIdle: false, startupCpuBoost: true });
    expect(t.volumes).toEqual([expect.objectContaining({ name: 'cache', emptyDir: expect.objectContaining({ medium: 'MEMORY', sizeLimit: '128Mi' }) })]);
    expect(c.volumeMounts).toEqual([expect.objectContaining({ name: 'cache', mountPath: '/cache' })]);
    expect(svc.traffic).toEqual([expect.objectContaining({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100, tag: 'current' })]);
  });

  it('the converted manifests then diff clean', async () => {
    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });
});
