/**
 * Cloud Run's secret checks: a revision whose env reads a secret that does not exist, or
 * that its service account may not access, fails with Cloud Run's condition message;
 * granting roles/secretmanager.secretAccessor on the secret (or a project role that
 * includes secretmanager.versions.access) lets the next revision become ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

const P = 'sec-proj';
const REGION = 'europe-north1';
const NUMBER = '123456789012';
const ACCOUNT = `app-runner@${P}.iam.gserviceaccount.com`;
const ENV_PATH = 'spec.template.spec.containers[0].env[0].value_from.secret_key_ref.name';

describe('secret manager: revision admission', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  const run = () => clients.runServices();
  const sm = () => clients.secretManager();
  const svcName = (s: string) => `projects/${P}/locations/${REGION}/services/${s}`;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
    await clients.iamServiceAccounts().create({ name: `projects/${P}`, requestBody: { accountId: 'app-runner' } });
  });
  afterAll(async () => {
    await clients?.close();
    await emu?.stop();
  });

  /** Create a service reading `secret` through env; resolves with the failure message, or '' when ready. */
  async function deploy(service: string, secret: string, serviceAccount?: string): Promise<string> {
    const [op] = await run().createService({
      parent: `projects/${P}/locations/${REGION}`,
      serviceId: service,
      service: { template: { serviceAccount, containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello', env: [{ name: 'KEY', valueSource: { secretKeyRef: { secret, version: 'latest' } } }] }] } },
    });
    try {
      await op.promise();
      return '';
    } catch (err) {
      return String((err as Error).message);
    }
  }

  async function redeploy(service: string): Promise<string> {
    const [svc] = await run().getService({ name: svcName(service) });
    const template = { ...svc.template!, revision: '', annotations: { ...(svc.template!.annotations ?? {}), redeploy: String(Date.now()) } };
    const [op] = await run().updateService({ service: { name: svc.name, template } });
    try {
      await op.promise();
      return '';
    } catch (err) {
      return String((err as Error).message);
    }
  }

  it('fails a revision whose secret does not exist (permission first: the account has no project access)', async () => {
    const message = await deploy('no-secret', 'missing', ACCOUNT);
    expect(message).toContain(`${ENV_PATH}: Permission denied on secret: projects/${NUMBER}/secrets/missing/versions/latest for Revision service account ${ACCOUNT}.`);
    const [svc] = await run().getService({ name: svcName('no-secret') });
    expect(svc.terminalCondition?.reason).toBe('SECRETS_ACCESS_CHECK_FAILED');
    const [rev] = await clients.runRevisions().getRevision({ name: svc.latestCreatedRevision! });
    expect(rev.conditions?.find((c) => c.type === 'Ready')?.state).toBe('CONDITION_FAILED');
  });

  it('fails without the accessor role, with Cloud Run words, and heals once it is granted on the secret', async () => {
    const [secret] = await sm().createSecret({ parent: `projects/${P}`, secretId: 'api-key', secret: { replication: { automatic: {} } } });
    await sm().addSecretVersion({ parent: secret.name, payload: { data: Buffer.from('value') } });
    const message = await deploy('reader', 'api-key', ACCOUNT);
    expect(message).toContain(
      `${ENV_PATH}: Permission denied on secret: projects/${NUMBER}/secrets/api-key/versions/latest for Revision service account ${ACCOUNT}. The service account used must be granted the 'Secret Manager Secret Accessor' role (roles/secretmanager.secretAccessor) at the secret, project or higher level.`,
    );
    // A role without secretmanager.versions.access changes nothing.
    await sm().setIamPolicy({ resource: secret.name, policy: { bindings: [{ role: 'roles/secretmanager.viewer', members: [`serviceAccount:${ACCOUNT}`] }] } });
    expect(await redeploy('reader')).toContain('Permission denied on secret');
    await sm().setIamPolicy({ resource: secret.name, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${ACCOUNT}`] }] } });
    expect(await redeploy('reader')).toBe('');
    const [svc] = await run().getService({ name: svcName('reader') });
    expect(svc.latestReadyRevision).toBe(svc.latestCreatedRevision);
  });

  it('names the default compute account when the template sets none, and reports a disabled latest version', async () => {
    const [secret] = await sm().createSecret({ parent: `projects/${P}`, secretId: 'disabled', secret: { replication: { automatic: {} } } });
    const [v] = await sm().addSecretVersion({ parent: secret.name, payload: { data: Buffer.from('v') } });
    const compute = `${NUMBER}-compute@developer.gserviceaccount.com`;
    expect(await deploy('default-account', 'disabled')).toContain(`for Revision service account ${compute}.`);
    await sm().setIamPolicy({ resource: secret.name, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${compute}`] }] } });
    await sm().disableSecretVersion({ name: v.name });
    expect(await redeploy('default-account')).toContain(`${ENV_PATH}: Secret projects/${NUMBER}/secrets/disabled/versions/latest is in DISABLED state`);
    await sm().enableSecretVersion({ name: v.name });
    expect(await redeploy('default-account')).toBe('');
  });

  it('accepts a project role that includes secretmanager.versions.access (owner, not editor)', async () => {
    const grantOnProject = async (role: string) => {
      const [policy] = await clients.projects().getIamPolicy({ resource: `projects/${P}` });
      const bindings = (policy.bindings ?? []).filter((b) => !b.members?.includes(`serviceAccount:${ACCOUNT}`));
      await clients.projects().setIamPolicy({ resource: `projects/${P}`, policy: { etag: policy.etag, bindings: [...bindings, { role, members: [`serviceAccount:${ACCOUNT}`] }] } });
    };
    await grantOnProject('roles/editor');
    const [secret] = await sm().createSecret({ parent: `projects/${P}`, secretId: 'project-level', secret: { replication: { automatic: {} } } });
    await sm().addSecretVersion({ parent: secret.name, payload: { data: Buffer.from('v') } });
    expect(await deploy('project-role', 'project-level', ACCOUNT)).toContain('Permission denied on secret');
    await grantOnProject('roles/owner');
    expect(await redeploy('project-role')).toBe('');
    // With project access, a secret that does not exist is reported as not found.
    expect(await deploy('project-missing', 'nowhere', ACCOUNT)).toContain(`${ENV_PATH}: Secret projects/${NUMBER}/secrets/nowhere/versions/latest was not found`);
  });
});
