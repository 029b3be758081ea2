/**
 * The Service kind end to end: the CLI in-process against the emulator, state read
 * back through the real @google-cloud/run client.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';
import { readableSecret } from '../helpers/secrets';

const REGION = 'europe-north1';
const parent = `projects/local-project/locations/${REGION}`;
const nameOf = (s: string) => `${parent}/services/${s}`;

describe.each(TRANSPORTS)('Service end to end (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
    // Cloud Run fails a revision whose connector (in the service's project) does not exist.
    const [op] = await h.clients.vpcAccess().createConnector({ parent, connectorId: 'c1', connector: { network: 'default', ipCidrRange: '10.8.0.0/28', maxInstances: 3 } });
    await op.promise();
    await readableSecret(h, 'api-key', 3);
  });
  afterAll(async () => h?.close());

  const get = async (name: string) => (await h.clients.runServices().getService({ name: nameOf(name) }))[0] as any;
  const invokers = async (name: string) => {
    const [policy] = await h.clients.runServices().getIamPolicy({ resource: nameOf(name) });
    return (policy.bindings ?? []).find((b: any) => b.role === 'roles/run.invoker')?.members ?? [];
  };

  it('creates a service with every field group, then a second apply writes nothing', async () => {
    const file = h.write(
      'svc/web.yaml',
      serviceYaml(
        'web',
        {
          image: 'europe-north1-docker.pkg.dev/p/r/web:1',
          command: ['/app/server'],
          args: ['--verbose'],
          port: 9000,
          env: { LOG_LEVEL: 'info', API_KEY: { secret: 'api-key', version: '3' } },
          resources: { cpu: '2', memory: '1Gi' },
          scaling: { minInstances: 1, maxInstances: 5, concurrency: 40 },
          timeout: '120s',
          cpuThrottling: false,
          startupCpuBoost: true,
          executionEnvironment: 'gen2',
          // A ServiceAccount of the set: created first (Cloud Run refuses an account that does not exist).
          serviceAccount: 'ServiceAccount/web-runtime',
          ingress: 'internal-and-cloud-load-balancing',
          public: true,
          invokers: ['serviceAccount:cron@local-project.iam.gserviceaccount.com'],
          vpc: { connector: `${parent}/connectors/c1`, egress: 'all-traffic' },
        },
        { labels: { app: 'web' } },
      ),
    );
    h.write(path.join(path.dirname(path.relative(h.dir, file)), 'account.yaml'), 'apiVersion: runctl.dev/v1alpha1\nkind: ServiceAccount\nmetadata: {name: web-runtime}\nspec: {displayName: Web}\n');
    const first = await h.cli(['apply', '-f', path.dirname(file)]);
    expect(first.stderr).not.toMatch(/error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Target: emulator at 127\.0\.0\.1:\d+ · project local-project/);
    expect(first.stdout).toContain('+ Service/web');

    const svc = await get('web');
    expect(svc.labels).toMatchObject({ app: 'web', 'managed-by': 'runctl', 'runctl-set': 'default' });
    const c = svc.template.containers[0];
    expect(c.image).toBe('europe-north1-docker.pkg.dev/p/r/web:1');
    expect(c.command).toEqual(['/app/server']);
    expect(c.ports[0].containerPort).toBe(9000);
    expect(c.env).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'LOG_LEVEL', value: 'info' }),
        expect.objectContaining({ name: 'API_KEY', valueSource: expect.objectContaining({ secretKeyRef: expect.objectContaining({ secret: 'api-key', version: '3' }) }) }),
      ]),
    );
    expect(c.resources.limits).toMatchObject({ cpu: '2', memory: '1Gi' });
    expect(c.resources.cpuIdle).toBe(false);
    expect(c.resources.startupCpuBoost).toBe(true);
    expect(svc.template.scaling).toMatchObject({ minInstanceCount: 1, maxInstanceCount: 5 });
    expect(svc.template.maxInstanceRequestConcurrency).toBe(40);
    expect(svc.template.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(svc.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER');
    expect(svc.template.vpcAccess).toMatchObject({ egress: 'ALL_TRAFFIC' });
    expect(svc.template.serviceAccount).toBe('web-runtime@local-project.iam.gserviceaccount.com');
    expect((await invokers('web')).sort()).toEqual(['allUsers', 'serviceAccount:cron@local-project.iam.gserviceaccount.com']);

    await h.resetStats();
    const second = await h.cli(['apply', '-f', path.dirname(file)]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    const diff = await h.cli(['diff', '-f', path.dirname(file)]);
    expect(diff.code).toBe(0);
  });

  it('shows exactly the changed field, and says whether a new revision is made', async () => {
    const file = h.write('one/api.yaml', serviceYaml('api', { scaling: { minInstances: 0, maxInstances: 3 } }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const before = await get('api');

    h.write('one/api.yaml', serviceYaml('api', { scaling: { minInstances: 0, maxInstances: 4 } }));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.scaling.maxInstances: 3 → 4');
    expect(diff.stdout).toContain('creates a new revision');
    expect(diff.stdout.match(/^\s+~ spec\./gm)).toHaveLength(1);
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const after = await get('api');
    expect(after.latestCreatedRevision).not.toBe(before.latestCreatedRevision);

    // IAM only: no new revision.
    h.write('one/api.yaml', serviceYaml('api', { scaling: { minInstances: 0, maxInstances: 4 }, public: true }));
    const iamDiff = await h.cli(['diff', '-f', file]);
    expect(iamDiff.code).toBe(2);
    expect(iamDiff.stdout).toContain('no new revision');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect(await invokers('api')).toEqual(['allUsers']);
    expect((await get('api')).latestCreatedRevision).toBe(after.latestCreatedRevision);
  });

  it('detects drift made through the real client, names who made it, and puts it back', async () => {
    const file = h.write('drift/d.yaml', serviceYaml('drifty', { env: { MODE: 'a' }, scaling: { minInstances: 1 } }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const svc = await get('drifty');
    svc.template.scaling.minInstanceCount = 3;
    svc.template.containers[0].env.push({ name: 'EXTRA', value: 'x' });
    svc.client = 'cloud-console';
    delete svc.template.revision;
    const [op] = await h.clients.runServices().updateService({ service: svc });
    await op.promise();

    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.scaling.minInstances: 3 → 1');
    expect(diff.stdout).toContain('- spec.env.EXTRA: "x"');
    expect(diff.stdout).toMatch(/last changed by .*cloud-console/);
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    expect((await get('drifty')).template.scaling.minInstanceCount).toBe(1);
  });

  it('prunes only services of the set, and never an unlabelled one', async () => {
    const dir = path.join(h.dir, 'prune');
    h.write('prune/a.yaml', serviceYaml('keep-a', {}, { labels: { app: 'a' } }));
    h.write('prune/b.yaml', serviceYaml('gone-b'));
    expect((await h.cli(['apply', '-f', dir, '--set', 'prune-set'])).code).toBe(0);
    // A service runctl did not create.
    const [op] = await h.clients.runServices().createService({
      parent,
      serviceId: 'hand-made',
      service: { template: { containers: [{ image: 'gcr.io/x/y' }] } },
    });
    await op.promise();

    fs.rmSync(path.join(dir, 'b.yaml'));
    const refused = await h.cli(['apply', '-f', dir, '--set', 'prune-set', '--prune']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    await get('gone-b');

    const plan = await h.cli(['plan', '-f', dir, '--set', 'prune-set', '--prune']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('- Service/gone-b');
    expect(plan.stdout).not.toContain('hand-made');

    const res = await h.cli(['apply', '-f', dir, '--set', 'prune-set', '--prune', '--yes']);
    expect(res.code).toBe(0);
    await expect(get('gone-b')).rejects.toMatchObject({ code: 5 });
    expect((await get('hand-made')).name).toBe(nameOf('hand-made'));
    expect((await get('keep-a')).name).toBe(nameOf('keep-a'));
  });

  it('never takes over a service it does not own, unless --adopt', async () => {
    const [op] = await h.clients.runServices().createService({ parent, serviceId: 'legacy', service: { template: { containers: [{ image: 'gcr.io/x/legacy:1' }] } } });
    await op.promise();
    const file = h.write('adopt/l.yaml', serviceYaml('legacy', { image: 'gcr.io/x/legacy:2' }));
    await h.resetStats();
    const refused = await h.cli(['apply', '-f', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('--adopt');
    expect((await h.stats()).writes).toBe(0);

    const adopted = await h.cli(['apply', '-f', file, '--adopt']);
    expect(adopted.code).toBe(0);
    const svc = await get('legacy');
    expect(svc.labels['managed-by']).toBe('runctl');
    expect(svc.template.containers[0].image).toBe('gcr.io/x/legacy:2');
  });

  it('honours ignore-changes, paused and deletion-policy annotations', async () => {
    const ann = (a: Record<string, string>) => ({ annotations: a });
    const file = h.write('ann/ci.yaml', serviceYaml('ci-owned', { image: 'gcr.io/x/ci:1', scaling: { minInstances: 0 } }, ann({ 'runctl.dev/ignore-changes': 'spec.image' })));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    const svc = await get('ci-owned');
    svc.template.containers[0].image = 'gcr.io/x/ci:2';
    delete svc.template.revision;
    await (await h.clients.runServices().updateService({ service: svc }))[0].promise();
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(0);

    // Paused: drift is reported, nothing is written.
    h.write('ann/ci.yaml', serviceYaml('ci-owned', { image: 'gcr.io/x/ci:1', scaling: { minInstances: 2 } }, ann({ 'runctl.dev/ignore-changes': 'spec.image', 'runctl.dev/paused': 'true' })));
    await h.resetStats();
    const paused = await h.cli(['apply', '-f', file]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('paused');
    expect((await h.stats()).writes).toBe(0);
    // A deletion is a write too: `delete` leaves a paused Service in place.
    const keep = await h.cli(['delete', '-f', file, '--yes']);
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('paused: would delete; nothing is written');
    expect((await h.stats()).writes).toBe(0);
    expect((await get('ci-owned')).name).toBe(nameOf('ci-owned'));

    // Abandon: delete stops managing instead of deleting.
    const ab = h.write('ann/ab.yaml', serviceYaml('abandoned', {}, ann({ 'runctl.dev/deletion-policy': 'abandon' })));
    expect((await h.cli(['apply', '-f', ab])).code).toBe(0);
    const del = await h.cli(['delete', '-f', ab, '--yes']);
    expect(del.code).toBe(0);
    expect((await get('abandoned')).name).toBe(nameOf('abandoned'));
  });

  it('refuses a saved plan when the live etag changed since', async () => {
    const file = h.write('saved/s.yaml', serviceYaml('saved', { scaling: { minInstances: 0 } }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    h.write('saved/s.yaml', serviceYaml('saved', { scaling: { minInstances: 1 } }));
    const planFile = path.join(h.dir, 'saved.plan.json');
    expect((await h.cli(['plan', '-f', file, '--out', planFile])).code).toBe(2);
    const saved = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    expect(saved.entries[0].etag).toBeTruthy();

    // Someone else changes the service in between.
    const svc = await get('saved');
    svc.labels = { ...svc.labels, touched: 'yes' };
    await (await h.clients.runServices().updateService({ service: svc }))[0].promise();
    await h.resetStats();
    const stale = await h.cli(['apply', planFile]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('Service/saved');
    expect(stale.stderr).toContain('StalePlan');
    expect((await h.stats()).writes).toBe(0);

    // A fresh plan applies.
    expect((await h.cli(['plan', '-f', file, '--out', planFile])).code).toBe(2);
    expect((await h.cli(['apply', planFile])).code).toBe(0);
    expect((await get('saved')).template.scaling.minInstanceCount).toBe(1);
  });

  it('resolves references between services, known only after apply', async () => {
    const dir = path.join(h.dir, 'refs');
    h.write('refs/backend.yaml', serviceYaml('backend'));
    h.write('refs/frontend.yaml', serviceYaml('frontend', { env: { BACKEND_URL: '${Service/backend.status.url}/v1' } }));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('(known after apply)');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const backend = await get('backend');
    const env = (await get('frontend')).template.containers[0].env;
    expect(env.find((e: any) => e.name === 'BACKEND_URL').value).toBe(`${backend.uri}/v1`);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('writes nothing when the manifests are invalid', async () => {
    const dir = path.join(h.dir, 'invalid');
    h.write('invalid/ok.yaml', serviceYaml('fine'));
    h.write('invalid/bad.yaml', serviceYaml('broken', { scaling: { maxInstances: 'many' } }));
    await h.resetStats();
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/bad\.yaml:\d+:\d+: .*spec\.scaling\.maxInstances/);
    expect((await h.stats()).writes).toBe(0);
  });

  it('gets live services in manifest form with status', async () => {
    const res = await h.cli(['get', 'services', 'web', '-o', 'json', '--region', REGION]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc.kind).toBe('Service');
    expect(doc.spec.image).toBe('europe-north1-docker.pkg.dev/p/r/web:1');
    expect(doc.status.url).toMatch(/^https:\/\/web-/);
    expect(doc.status.conditions[0]).toMatchObject({ type: 'Ready', reason: 'Available' });
  });
});
