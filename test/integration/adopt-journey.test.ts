/**
 * Adoption rows for the journey kinds: a ServiceAccount, a Secret, a Repository, a
 * Schedule calling a Service, a VpcConnector, a DomainMapping, a Cloud Storage Volume
 * mounted by a Service, the Binary Authorization Policy and a GpuModel, each created
 * through the official clients the way gcloud and the console make them (no runctl
 * markers, the fields gcloud sends). Then `runctl export --all` -> `diff` exits 0 (each
 * one marked not managed by runctl) -> `apply` without --adopt writes nothing ->
 * `apply --adopt` makes only ownership writes, counted per API method -> `diff` exits 0
 * and each resource carries runctl's ownership where its API can hold it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { protos } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptCounted, startHarness, type Harness } from '../helpers/harness';

type RunService = protos.google.cloud.run.v2.IService;
const PROJECT = 'local-project';
const REGION = 'europe-north1';
const GPU_REGION = 'europe-west4';
const PARENT = `projects/${PROJECT}/locations/${REGION}`;
const BOT = `ci-bot@${PROJECT}.iam.gserviceaccount.com`;
const GCLOUD = { client: 'gcloud', clientVersion: '502.0.0' };
const OWNED = { 'managed-by': 'runctl', 'runctl-set': 'default' };
const ATTESTOR = `projects/${PROJECT}/attestors/built-by-cloud-build`;

/** Every resource the rows make, as export names it. */
const KEYS = [
  'DomainMapping/reporter.example.com',
  'GpuModel/gemma',
  'Policy/default',
  'Repository/images',
  'Schedule/nightly',
  'Secret/api-key',
  'Service/legacy',
  'Service/reporter',
  'ServiceAccount/ci-bot',
  'Volume/reports',
  'VpcConnector/onprem',
];

describe('adopting the journey kinds made by gcloud and the console', () => {
  let h: Harness;
  let out: string;
  const run = () => h.clients.runServices();
  const deploy = async (parent: string, serviceId: string, service: RunService) => (await (await run().createService({ parent, serviceId, service }))[0].promise())[0];
  const policyUrl = () => `http://${h.emu.http}/v1/projects/${PROJECT}/policy`;
  const getPolicy = async () => (await fetch(policyUrl())).json() as Promise<{ description?: string; defaultAdmissionRule?: unknown }>;

  beforeAll(async () => {
    h = await startHarness();
    // gcloud iam service-accounts create ci-bot --display-name "CI bot" --description "builds and reports"
    await h.clients.iamServiceAccounts().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'ci-bot', serviceAccount: { displayName: 'CI bot', description: 'builds and reports' } } });
    // gcloud secrets create api-key --replication-policy automatic --labels team=api --data-file -
    // gcloud secrets add-iam-policy-binding api-key --member serviceAccount:ci-bot@... --role roles/secretmanager.secretAccessor
    const sm = h.clients.secretManager();
    const [secret] = await sm.createSecret({ parent: `projects/${PROJECT}`, secretId: 'api-key', secret: { replication: { automatic: {} }, labels: { team: 'api' } } });
    await sm.addSecretVersion({ parent: secret.name!, payload: { data: Buffer.from('s3cret') } });
    await sm.setIamPolicy({ resource: secret.name!, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${BOT}`] }] } });
    // gcloud artifacts repositories create images --repository-format docker --location europe-north1 --description "Docker images"
    const [repoOp] = await h.clients.artifactRegistry().createRepository({ parent: PARENT, repositoryId: 'images', repository: { format: 'DOCKER', description: 'Docker images' } });
    await repoOp.promise();
    // gcloud compute networks vpc-access connectors create onprem --region R --network default --range 10.8.0.0/28
    const [vpcOp] = await h.clients.vpcAccess().createConnector({ parent: PARENT, connectorId: 'onprem', connector: { network: 'default', ipCidrRange: '10.8.0.0/28', minInstances: 2, maxInstances: 3, machineType: 'e2-micro' } });
    await vpcOp.promise();
    // gcloud storage buckets create gs://acme-reports --location EU
    await h.clients.storage().createBucket('acme-reports', { location: 'EU' });
    // gcloud run deploy reporter --image ... --service-account ci-bot@... --add-volume name=reports,type=cloud-storage,bucket=acme-reports --add-volume-mount ...
    const image = 'gcr.io/acme/reporter:1';
    const reporter = await deploy(PARENT, 'reporter', {
      ...GCLOUD,
      annotations: { 'client.knative.dev/user-image': image },
      template: {
        annotations: { 'client.knative.dev/user-image': image },
        serviceAccount: BOT,
        executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
        volumes: [{ name: 'reports', gcs: { bucket: 'acme-reports' } }],
        containers: [{ image, env: [{ name: 'API_KEY', valueSource: { secretKeyRef: { secret: 'api-key', version: 'latest' } } }], volumeMounts: [{ name: 'reports', mountPath: '/reports' }] }],
      },
    });
    // gcloud run deploy legacy --set-secrets KEY=projects/local-project/secrets/api-key:1 (the full path)
    await deploy(PARENT, 'legacy', {
      ...GCLOUD,
      template: { serviceAccount: BOT, containers: [{ image: 'gcr.io/acme/legacy:1', env: [{ name: 'KEY', valueSource: { secretKeyRef: { secret: `projects/${PROJECT}/secrets/api-key`, version: '1' } } }] }] },
    });
    // gcloud run services add-iam-policy-binding reporter --member serviceAccount:ci-bot@... --role roles/run.invoker
    await run().setIamPolicy({ resource: reporter.name!, policy: { bindings: [{ role: 'roles/run.invoker', members: [`serviceAccount:${BOT}`] }] } });
    // gcloud scheduler jobs create http nightly --schedule "0 3 * * *" --time-zone Europe/Helsinki --uri URL/run --http-method POST --oidc-service-account-email ci-bot@...
    await h.clients.scheduler().createJob({
      parent: PARENT,
      job: {
        name: `${PARENT}/jobs/nightly`,
        schedule: '0 3 * * *',
        timeZone: 'Europe/Helsinki',
        httpTarget: { uri: `${reporter.uri}/run`, httpMethod: 'POST', oidcToken: { serviceAccountEmail: BOT, audience: `${reporter.uri}/run` } },
      },
    });
    // gcloud beta run domain-mappings create --service reporter --domain reporter.example.com --region R
    await h.clients.runDomainMappings(REGION).create({
      parent: `namespaces/${PROJECT}`,
      requestBody: { apiVersion: 'domains.cloudrun.com/v1', kind: 'DomainMapping', metadata: { name: 'reporter.example.com', namespace: PROJECT }, spec: { routeName: 'reporter', certificateMode: 'AUTOMATIC' } },
    });
    // gcloud container binauthz policy import policy.yaml
    const live = await getPolicy();
    const put = await fetch(policyUrl(), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...live, defaultAdmissionRule: { evaluationMode: 'REQUIRE_ATTESTATION', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', requireAttestationsBy: [ATTESTOR] }, admissionWhitelistPatterns: [{ namePattern: `${REGION}-docker.pkg.dev/${PROJECT}/images/**` }] }),
    });
    expect(put.status).toBe(200);
    // gcloud run deploy gemma --gpu 1 --gpu-type nvidia-l4 --no-gpu-zonal-redundancy --cpu 8 --memory 32Gi --no-cpu-throttling --max-instances 1
    const gpuImage = 'gcr.io/acme/gemma:1';
    await deploy(`projects/${PROJECT}/locations/${GPU_REGION}`, 'gemma', {
      ...GCLOUD,
      annotations: { 'client.knative.dev/user-image': gpuImage },
      template: {
        annotations: { 'client.knative.dev/user-image': gpuImage },
        nodeSelector: { accelerator: 'nvidia-l4' },
        gpuZonalRedundancyDisabled: true,
        scaling: { maxInstanceCount: 1 },
        containers: [{ image: gpuImage, resources: { limits: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' }, cpuIdle: false } }],
      },
    });

    out = path.join(h.dir, 'exported');
    const r = await h.cli(['export', '--all', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => h?.close());

  const exported = () => fs.readdirSync(out).map((f) => YAML.parse(fs.readFileSync(path.join(out, f), 'utf8')) as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
  const byKey = () => new Map(exported().map((d) => [`${d.kind}/${d.metadata.name}`, d]));

  it('exports each resource once, with references rebuilt between them', () => {
    const docs = byKey();
    expect([...docs.keys()].sort()).toEqual(KEYS);
    expect(docs.get('Service/reporter')!.spec).toMatchObject({ serviceAccount: 'ServiceAccount/ci-bot', volumes: [{ volume: 'reports', mountPath: '/reports' }], env: { API_KEY: { secret: 'api-key' } } });
    expect(docs.get('Schedule/nightly')!.spec).toMatchObject({ target: { service: 'reporter', path: '/run' }, serviceAccount: 'ServiceAccount/ci-bot' });
    expect(docs.get('DomainMapping/reporter.example.com')!.spec).toMatchObject({ service: 'reporter' });
    const mapping = fs.readFileSync(path.join(out, 'domainmapping-reporter.example.com.yaml'), 'utf8');
    expect(mapping).toContain('# not managed by runctl; its labels cannot change in place, so apply --adopt leaves it as it is');
    expect(mapping).not.toContain('writes only');
    // The account reads the secret as the Service's identity: the Service grants that, not the Secret.
    expect(docs.get('Secret/api-key')!.spec).toEqual({ replication: 'automatic' });
    expect(docs.get('Secret/api-key')!.metadata).toEqual({ name: 'api-key', labels: { team: 'api' } });
  });

  it('an env secret given as projects/P/secrets/S is the Secret by name when the Secret is exported too, else the full path', async () => {
    expect(byKey().get('Service/legacy')!.spec.env).toEqual({ KEY: { secret: 'api-key', version: '1' } });
    const alone = await h.cli(['export', 'service', 'legacy', '-o', 'json']);
    expect(alone.code, alone.stderr).toBe(0);
    expect(JSON.parse(alone.stdout)[0].spec.env).toEqual({ KEY: { secret: `projects/${PROJECT}/secrets/api-key`, version: '1' } });
    // The full path plans no change against the live service; the name does too, with the
    // Secret in the set (the whole export's diff below).
    expect((await h.cli(['diff', '-f', '-'], { stdin: alone.stdout })).code).toBe(0);
  });

  // A Volume it only mounts is exported with its Service (the bucket is not runctl's to list);
  // a DomainMapping brings the Service it routes to along.
  it.each(KEYS.filter((k) => k !== 'Volume/reports').map((k) => k.split('/') as [string, string]))('export %s %s alone round-trips: diff exits 0', async (kind, name) => {
    const one = await h.cli(['export', kind, name]);
    expect(one.code, one.stderr).toBe(0);
    const diff = await h.cli(['diff', '-f', '-'], { stdin: one.stdout });
    expect(diff.code, one.stdout + diff.stdout + diff.stderr).toBe(0);
  });

  it('without --adopt: diff exits 0 with every resource marked not managed, and apply writes nothing', async () => {
    const diff = await h.cli(['diff', '-f', out, '-o', 'json']);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    const entries = JSON.parse(diff.stdout).entries as Array<{ key: string; action: string; unowned?: unknown }>;
    for (const e of entries) expect(e, e.key).toMatchObject({ action: 'noop' });
    await h.resetStats();
    const applied = await h.cli(['apply', '-f', out]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('a saved plan made without --adopt writes nothing when applied, even with --adopt given to apply', async () => {
    const planFile = path.join(h.dir, 'unowned.plan');
    expect((await h.cli(['plan', '-f', out, '--out', planFile])).code).toBe(0);
    await h.resetStats();
    for (const args of [['apply', planFile], ['apply', planFile, '--adopt']]) {
      const r = await h.cli(args);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect((await h.stats()).writes).toBe(0);
    const [svc] = await run().getService({ name: `${PARENT}/services/reporter` });
    expect(svc.labels ?? {}).toEqual({});
  });

  it('apply --adopt makes only ownership writes, one per resource whose API can hold them; diff exits 0 afterwards', async () => {
    const { writes, stats } = await adoptCounted(h, out);
    expect(writes, JSON.stringify(stats.calls)).toEqual({
      'Services.UpdateService': 3,
      'SecretManagerService.UpdateSecret': 1,
      'ArtifactRegistry.UpdateRepository': 1,
      'CloudScheduler.UpdateJob': 1,
      'IAM.PatchServiceAccount': 1,
      'BinauthzManagementServiceV1.UpdatePolicy': 1,
    });
    expect(stats.writes).toBe(8);

    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    await h.resetStats();
    expect((await h.cli(['apply', '-f', out])).code).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('each resource now carries ownership where its API can hold it', async () => {
    const [reporter] = await run().getService({ name: `${PARENT}/services/reporter` });
    expect(reporter.labels).toEqual(OWNED);
    const [gemma] = await run().getService({ name: `projects/${PROJECT}/locations/${GPU_REGION}/services/gemma` });
    expect(gemma.labels).toMatchObject(OWNED);
    const [secret] = await h.clients.secretManager().getSecret({ name: `projects/${PROJECT}/secrets/api-key` });
    expect(secret.labels).toEqual({ team: 'api', ...OWNED });
    const [repo] = await h.clients.artifactRegistry().getRepository({ name: `${PARENT}/repositories/images` });
    expect(repo.labels).toEqual(OWNED);
    // Accounts, jobs and the policy have no labels: runctl records ownership in the description.
    const [job] = await h.clients.scheduler().getJob({ name: `${PARENT}/jobs/nightly` });
    expect(job.description).toContain('managed-by=runctl runctl-set=default');
    const { data: account } = await h.clients.iamServiceAccounts().get({ name: `projects/${PROJECT}/serviceAccounts/${BOT}` });
    expect(account.description).toContain('managed-by=runctl runctl-set=default');
    expect(account.description).toContain('builds and reports');
    expect((await getPolicy()).description).toContain('managed-by=runctl runctl-set=default');
    // A bucket a Volume only mounts is not runctl's to label; a mapping cannot be relabelled in place.
    const [bucket] = await h.clients.storage().bucket('acme-reports').getMetadata();
    expect(bucket.labels ?? {}).toEqual({});
    const { data: mapping } = await h.clients.runDomainMappings(REGION).get({ name: `namespaces/${PROJECT}/domainmappings/reporter.example.com` });
    expect(mapping.metadata?.labels ?? {}).not.toHaveProperty('managed-by');
  });
});
