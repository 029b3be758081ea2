/**
 * `runctl convert` -> `apply`: the live service equals what `gcloud run services replace`
 * of the original Knative YAML produces (Cloud Run's documented mapping of each
 * annotation and field to the v2 API), checked field by field through the official client.
 */
import * as fs from 'node:fs';
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

/** Convert Knative YAML (written as knative/NAME.yaml) into DIR = NAME and apply that; both must succeed. */
async function convertAndApply(h: Harness, name: string, text: string): Promise<string> {
  const file = h.write(`knative/${name}.yaml`, text);
  const dir = path.join(h.dir, name);
  const r = await h.cli(['convert', '-f', file, '--out', dir]);
  expect(r.code, r.stderr).toBe(0);
  const applied = await h.cli(['apply', '-f', dir]);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  return dir;
}

describe('convert then apply', () => {
  let h: Harness;
  let out: string;
  beforeAll(async () => {
    h = await startHarness();
    out = await convertAndApply(h, 'shapes', KNATIVE);
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

/**
 * The richer fixture the unit test maps (test/fixtures/knative/full.yaml: every annotation
 * runctl carries, secrets by alias from another project, Cloud Storage, in-memory and NFS
 * volumes, a pinned revision with a tagged split) through convert -> apply, in the world
 * gcloud would need for it: the account, secrets, connector and bucket it names exist,
 * and the revision its traffic pins was deployed first (as by an earlier replace).
 */
describe('convert then apply: the richer fixture', () => {
  const FIXTURE = fs.readFileSync(path.resolve(__dirname, '../fixtures/knative/full.yaml'), 'utf8');
  const SA = 'jokes-api@my-proj.iam.gserviceaccount.com';
  const NAME = 'projects/local-project/locations/europe-north1/services/jokes';
  let h: Harness;
  let out: string;

  beforeAll(async () => {
    h = await startHarness();
    await h.clients.iamServiceAccounts().create({ name: 'projects/my-proj', requestBody: { accountId: 'jokes-api' } });
    const sm = h.clients.secretManager();
    for (const [parent, id, versions] of [['projects/local-project', 'token', 3], ['projects/other-proj', 'shared-key', 1]] as const) {
      const [secret] = await sm.createSecret({ parent, secretId: id, secret: { replication: { automatic: {} } } });
      for (let v = 1; v <= versions; v++) await sm.addSecretVersion({ parent: secret.name!, payload: { data: Buffer.from(`${id}-${v}`) } });
      await sm.setIamPolicy({ resource: secret.name!, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${SA}`] }] } });
    }
    const [op] = await h.clients.vpcAccess().createConnector({ parent: 'projects/my-proj/locations/europe-north1', connectorId: 'onprem', connector: { network: 'default', ipCidrRange: '10.8.0.0/28', minInstances: 2, maxInstances: 3 } });
    await op.promise();
    await h.clients.storage().createBucket('my-proj-data');
    // The revision the fixture's traffic pins: deployed first by a replace naming it.
    const first = FIXTURE.replace('  template:\n    metadata:\n', '  template:\n    metadata:\n      name: jokes-00001-abc\n').replace(/\n  traffic:[\s\S]*$/, '\n');
    await convertAndApply(h, 'first', first);
    out = await convertAndApply(h, 'full', FIXTURE);
  }, 180_000);
  afterAll(async () => h?.close());

  it('the live service holds, field by field, what the Knative YAML asks for', async () => {
    const [svc] = await h.clients.runServices().getService({ name: NAME });
    const t = svc.template!;
    const c = t.containers![0];
    expect(svc.labels).toMatchObject({ team: 'fun' });
    expect(svc.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(svc.binaryAuthorization).toMatchObject({ useDefault: true });
    expect(t.scaling).toMatchObject({ minInstanceCount: 1, maxInstanceCount: 5 });
    expect(t.maxInstanceRequestConcurrency).toBe(40);
    expect(Number(t.timeout!.seconds)).toBe(600);
    expect(t.serviceAccount).toBe(SA);
    expect(t.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(t.vpcAccess).toMatchObject({ connector: 'projects/my-proj/locations/europe-north1/connectors/onprem', egress: 'ALL_TRAFFIC' });
    expect(c.image).toBe('europe-north1-docker.pkg.dev/my-proj/r/jokes:1');
    expect(c.command).toEqual(['/app/server']);
    expect(c.args).toEqual(['--verbose']);
    expect(c.ports).toEqual([expect.objectContaining({ name: 'http1', containerPort: 9000 })]);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value || e.valueSource?.secretKeyRef]));
    expect(env).toEqual({
      MODE: 'prod',
      TOKEN: expect.objectContaining({ secret: 'token', version: '3' }),
      // The alias in run.googleapis.com/secrets names the other project's secret.
      KEY: expect.objectContaining({ secret: 'projects/other-proj/secrets/shared-key', version: 'latest' }),
    });
    expect(c.resources).toMatchObject({ limits: { cpu: '2', memory: '1Gi' }, cpuIdle: false, startupCpuBoost: true });
    const volumes = Object.fromEntries((t.volumes ?? []).map((v) => [v.name, v]));
    expect(volumes.data.gcs).toMatchObject({ bucket: 'my-proj-data', readOnly: true, mountOptions: ['implicit-dirs'] });
    expect(volumes.scratch.emptyDir).toMatchObject({ medium: 'MEMORY', sizeLimit: '256Mi' });
    expect(volumes.share.nfs).toMatchObject({ server: '10.0.0.2', path: '/exports' });
    expect(Object.fromEntries((c.volumeMounts ?? []).map((m) => [m.name, m.mountPath]))).toEqual({ data: '/data', scratch: '/scratch', share: '/share' });
    expect(svc.traffic).toEqual([
      expect.objectContaining({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'jokes-00001-abc', percent: 90, tag: 'stable' }),
      expect.objectContaining({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10, tag: 'next' }),
    ]);
  });

  it('the converted manifests then diff clean', async () => {
    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });
});

/**
 * A GPU service (`nodeSelector` accelerator, `nvidia.com/gpu` limit) converts to a
 * GpuModel (`runtime: custom`); applied, the live service carries the GPU settings the
 * Knative YAML asked for, field by field.
 */
describe('convert then apply: a GPU service', () => {
  const GPU = fs.readFileSync(path.resolve(__dirname, '../fixtures/knative/gpu.yaml'), 'utf8');
  let h: Harness;
  let out: string;
  beforeAll(async () => {
    h = await startHarness();
    out = await convertAndApply(h, 'llm', GPU);
    expect(fs.readdirSync(out)).toEqual(['gpumodel-llm.yaml']);
  }, 120_000);
  afterAll(async () => h?.close());

  it('the live service holds the accelerator, its limits, zonal redundancy, scaling and concurrency', async () => {
    const [svc] = await h.clients.runServices().getService({ name: 'projects/local-project/locations/europe-west4/services/llm' });
    const t = svc.template!;
    expect(t.nodeSelector).toMatchObject({ accelerator: 'nvidia-l4' });
    expect(t.gpuZonalRedundancyDisabled).toBe(true);
    expect(t.scaling).toMatchObject({ maxInstanceCount: 1 });
    expect(t.maxInstanceRequestConcurrency).toBe(4);
    expect(t.containers![0].image).toBe('europe-west4-docker.pkg.dev/p/r/llm:1');
    expect(t.containers![0].resources).toMatchObject({ limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' }, cpuIdle: false });
  });

  it('the converted manifest then diffs clean', async () => {
    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });
});
