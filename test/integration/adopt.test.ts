/**
 * Bringing what already runs under runctl: services of several shapes created through
 * the official Cloud Run client the way gcloud and the console create them (their client
 * fields and annotations, IAM bindings added afterwards, a traffic split with tags), then
 * `runctl export` -> the plan with --adopt holds label changes only -> `apply --adopt`
 * writes only the ownership labels (one UpdateService per service, no new revision, no IAM write)
 * -> `diff` exits 0. What a Service cannot express is listed at the top of its file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { protos } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptCounted, expectConverged, startHarness, type Harness } from '../helpers/harness';

type RunService = protos.google.cloud.run.v2.IService;
const REGION = 'europe-north1';
const PARENT = `projects/local-project/locations/${REGION}`;
/** What gcloud 5xx sends with every deploy (`gcloud run deploy`). */
const GCLOUD = { client: 'gcloud', clientVersion: '502.0.0' };
const userImage = (image: string) => ({ 'client.knative.dev/user-image': image });

/** The shapes: name -> the service body as the tool sent it. */
const SHAPES: Record<string, RunService> = {
  // `gcloud run deploy plain --image IMG --region R`
  plain: { ...GCLOUD, annotations: userImage('gcr.io/acme/plain:1'), template: { annotations: userImage('gcr.io/acme/plain:1'), containers: [{ image: 'gcr.io/acme/plain:1' }] } },
  // every flag runctl's Service expresses
  full: {
    ...GCLOUD,
    labels: { team: 'api' },
    annotations: userImage('gcr.io/acme/full:2'),
    ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
    template: {
      annotations: userImage('gcr.io/acme/full:2'),
      serviceAccount: 'api-runner@local-project.iam.gserviceaccount.com',
      timeout: { seconds: 900 },
      maxInstanceRequestConcurrency: 40,
      scaling: { minInstanceCount: 1, maxInstanceCount: 7 },
      executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
      vpcAccess: { connector: `${PARENT}/connectors/onprem`, egress: 'ALL_TRAFFIC' },
      containers: [
        {
          image: 'gcr.io/acme/full:2',
          command: ['/srv'],
          args: ['--verbose'],
          ports: [{ name: 'http1', containerPort: 9000 }],
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'TOKEN', valueSource: { secretKeyRef: { secret: 'api-token', version: '3' } } },
            { name: 'KEY', valueSource: { secretKeyRef: { secret: 'api-key', version: 'latest' } } },
          ],
          resources: { limits: { cpu: '2', memory: '1Gi' }, cpuIdle: false, startupCpuBoost: true },
        },
      ],
    },
  },
  // the console: Cloud Storage and in-memory volumes
  mounts: {
    client: 'cloud-console',
    template: {
      executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
      volumes: [
        { name: 'data', gcs: { bucket: 'acme-data', readOnly: true } },
        { name: 'scratch', emptyDir: { medium: 'MEMORY', sizeLimit: '256Mi' } },
      ],
      containers: [{ image: 'gcr.io/acme/mounts:1', volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'scratch', mountPath: '/tmp/scratch' }] }],
    },
  },
  // what no Service field expresses: a sidecar, Cloud SQL, a revision label, session affinity
  extras: {
    ...GCLOUD,
    description: 'legacy app',
    template: {
      labels: { release: 'r7' },
      sessionAffinity: true,
      volumes: [{ name: 'cloudsql', cloudSqlInstance: { instances: ['local-project:europe-north1:db'] } }],
      containers: [
        { name: 'app', image: 'gcr.io/acme/extras:1', ports: [{ containerPort: 8080 }], volumeMounts: [{ name: 'cloudsql', mountPath: '/cloudsql' }] },
        { name: 'proxy', image: 'gcr.io/acme/proxy:1' },
      ],
    },
  },
};

describe('adopting services made by gcloud and the console', () => {
  let h: Harness;
  let out: string;
  const run = () => h.clients.runServices();
  const create = async (id: string, service: RunService) => {
    const [op] = await run().createService({ parent: PARENT, serviceId: id, service });
    await op.promise();
  };
  const revisions = async (id: string) => (await h.clients.runRevisions().listRevisions({ parent: `${PARENT}/services/${id}` }))[0].length;

  beforeAll(async () => {
    h = await startHarness();
    await h.clients.storage().createBucket('acme-data');
    // The connector `full` uses must exist and be ready (Cloud Run fails the revision otherwise).
    const [vpcOp] = await h.clients.vpcAccess().createConnector({ parent: PARENT, connectorId: 'onprem', connector: { network: 'default', ipCidrRange: '10.8.0.0/28', minInstances: 2, maxInstances: 3 } });
    await vpcOp.promise();
    // The account the services run as (Cloud Run refuses one that does not exist).
    await h.clients.iamServiceAccounts().create({ name: 'projects/local-project', requestBody: { accountId: 'api-runner' } });
    // The secrets `full` reads, readable by that account (`gcloud secrets create`,
    // `versions add` three times for api-token, `add-iam-policy-binding`).
    const sm = h.clients.secretManager();
    for (const [secretId, versions] of [['api-token', 3], ['api-key', 1]] as const) {
      const [secret] = await sm.createSecret({ parent: 'projects/local-project', secretId, secret: { replication: { automatic: {} } } });
      for (let v = 1; v <= versions; v++) await sm.addSecretVersion({ parent: secret.name!, payload: { data: Buffer.from(`${secretId}-${v}`) } });
      await sm.setIamPolicy({ resource: secret.name!, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: ['serviceAccount:api-runner@local-project.iam.gserviceaccount.com'] }] } });
    }
    for (const [id, body] of Object.entries(SHAPES)) await create(id, body);
    // `gcloud run services add-iam-policy-binding plain --member allUsers --role roles/run.invoker`
    const name = `${PARENT}/services/plain`;
    const [policy] = await run().getIamPolicy({ resource: name });
    await run().setIamPolicy({ resource: name, policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['allUsers', 'serviceAccount:cron@local-project.iam.gserviceaccount.com'] }] } });
    // `gcloud run deploy full --image :3 --no-traffic --tag next`, then `update-traffic --to-tags next=10`
    const [svc] = await run().getService({ name: `${PARENT}/services/full` });
    const first = svc.latestReadyRevision!.split('/').pop()!;
    const next: RunService = { ...svc, ...GCLOUD, template: { ...svc.template, revision: '', containers: [{ ...svc.template!.containers![0], image: 'gcr.io/acme/full:3' }] } };
    next.traffic = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 100 }, { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', tag: 'next', percent: 0 }];
    await (await run().updateService({ service: next }))[0].promise();
    const [after] = await run().getService({ name: `${PARENT}/services/full` });
    after.traffic = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 90, tag: 'stable' }, { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', tag: 'next', percent: 10 }];
    await (await run().updateService({ service: { ...after, ...GCLOUD } }))[0].promise();

    out = path.join(h.dir, 'exported');
    const r = await h.cli(['export', 'services', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('apply --adopt labels them');
  }, 120_000);
  afterAll(async () => h?.close());

  const file = (name: string) => fs.readFileSync(path.join(out, name), 'utf8');

  it('exports minimal manifests: no client fields or annotations, no server defaults', () => {
    const plain = YAML.parse(file('service-plain.yaml'));
    expect(plain).toEqual({
      apiVersion: 'runctl.dev/v1alpha1',
      kind: 'Service',
      metadata: { name: 'plain' },
      spec: { region: REGION, image: 'gcr.io/acme/plain:1', public: true, invokers: ['serviceAccount:cron@local-project.iam.gserviceaccount.com'] },
    });
    const full = YAML.parse(file('service-full.yaml'));
    expect(full.metadata).toEqual({ name: 'full', labels: { team: 'api' } });
    expect(full.spec).toMatchObject({
      image: 'gcr.io/acme/full:3',
      command: ['/srv'],
      args: ['--verbose'],
      port: 9000,
      env: { MODE: 'prod', TOKEN: { secret: 'api-token', version: '3' }, KEY: { secret: 'api-key' } },
      resources: { cpu: '2', memory: '1Gi' },
      scaling: { minInstances: 1, maxInstances: 7, concurrency: 40 },
      timeout: '900s',
      cpuThrottling: false,
      startupCpuBoost: true,
      executionEnvironment: 'gen2',
      serviceAccount: 'api-runner@local-project.iam.gserviceaccount.com',
      ingress: 'internal-and-cloud-load-balancing',
      vpc: { connector: `${PARENT}/connectors/onprem`, egress: 'all-traffic' },
    });
    expect(full.spec.traffic).toEqual([
      { tag: 'next', latest: true, percent: 10 },
      { tag: 'stable', revision: expect.stringMatching(/^full-/), percent: 90 },
    ]);
    for (const f of fs.readdirSync(out)) expect(file(f)).not.toMatch(/client|knative|gcloud|console/);
  });

  it("a service's mounts become Volumes, and what a Service cannot express is listed at the top", () => {
    const mounts = YAML.parse(file('service-mounts.yaml'));
    expect(mounts.spec.volumes).toEqual([
      { volume: 'data', mountPath: '/data', readOnly: true },
      { volume: 'scratch', mountPath: '/tmp/scratch' },
    ]);
    expect(mounts.spec.executionEnvironment).toBeUndefined();
    expect(YAML.parse(file('volume-data.yaml')).spec).toEqual({ gcs: { bucket: 'acme-data' } });
    expect(YAML.parse(file('volume-scratch.yaml')).spec).toEqual({ memory: { sizeLimit: '256Mi' } });
    const extras = file('service-extras.yaml');
    const header = extras.split('\n').filter((l) => l.startsWith('#')).join('\n');
    for (const what of ['description', 'template.labels["release"]', 'template.sessionAffinity', 'Cloud SQL connections: local-project:europe-north1:db', 'template.containers[1] (sidecar "proxy"']) {
      expect(header).toContain(what);
    }
    expect(header).toContain("apply --adopt writes only runctl's ownership marks managed-by=runctl, runctl-set=default");
  });

  it('without --adopt: diff exits 0 and marks each service not managed; apply writes nothing to them and says so', async () => {
    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    expect(diff.stdout).toContain('= Service/plain');
    expect(diff.stdout).toContain('(not managed by runctl; apply --adopt takes it over, labels only)');
    const json = await h.cli(['diff', '-f', out, '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const entries = JSON.parse(json.stdout).entries as Array<{ key: string; action: string; unowned?: { owner: string; adoptable: boolean } }>;
    for (const e of entries.filter((x) => x.key.startsWith('Service/'))) expect(e, e.key).toMatchObject({ action: 'noop', unowned: { adoptable: true } });
    await h.resetStats();
    const applied = await h.cli(['apply', '-f', out]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Service/plain (unchanged: not managed by runctl, not written');
    expect((await h.stats()).writes).toBe(0);
    const [svc] = await run().getService({ name: `${PARENT}/services/plain` });
    expect(svc.labels ?? {}).toEqual({});
  });

  it('the plan with --adopt changes labels only; apply --adopt writes only them; then diff exits 0', async () => {
    const plan = await h.cli(['diff', '-f', out, '--adopt', '-o', 'json']);
    expect(plan.code, plan.stderr).toBe(2);
    const entries = JSON.parse(plan.stdout).entries as Array<{ key: string; action: string; changes: Array<{ path: string }> }>;
    for (const e of entries) {
      expect(e.changes.map((c) => c.path).filter((p) => !p.startsWith('metadata.labels')), e.key).toEqual([]);
    }
    const before = Object.fromEntries(await Promise.all(Object.keys(SHAPES).map(async (id) => [id, await revisions(id)] as const)));

    const { writes, stats } = await adoptCounted(h, out);
    expect(writes).toEqual({ 'Services.UpdateService': Object.keys(SHAPES).length });
    expect(stats.writes).toBe(Object.keys(SHAPES).length);
    for (const [id, body] of Object.entries(SHAPES)) {
      const [svc] = await run().getService({ name: `${PARENT}/services/${id}` });
      expect(svc.labels, id).toEqual({ ...(body.labels ?? {}), 'managed-by': 'runctl', 'runctl-set': 'default' });
      expect(await revisions(id), id).toBe(before[id]);
      // What no field expresses is left as it was.
      expect(svc.template?.containers?.length, id).toBe(body.template?.containers?.length);
    }
    const [bucket] = await h.clients.storage().bucket('acme-data').getMetadata();
    expect(bucket.labels ?? {}).toEqual({});

    await expectConverged(h, out);
  });
});
