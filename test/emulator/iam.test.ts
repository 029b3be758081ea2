/**
 * IAM service accounts (REST, through `@googleapis/iam` v1, Google's only Node client for
 * them) and Resource Manager v3 project IAM policies (through `ProjectsClient`, over gRPC
 * and over REST through the transcoder). Spec: src/emulator/spec/iam.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients, type Transport } from '../../src/gcp/clients';
import { apiFailure as failure } from '../helpers/api-failure';
import { GrpcCode } from '../../src/util/grpc-codes';

const PROJECT = 'iam-proj';
const EMAIL = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;
const DEFAULT_SA = '123456789012-compute@developer.gserviceaccount.com';

let emu: RunningEmulator;
let clients: Clients;
const sa = () => clients.iamServiceAccounts();

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
});
afterAll(async () => {
  await clients.close();
  await emu.stop();
});

describe('IAM v1 service accounts (@googleapis/iam)', () => {
  it('creates an account with output-only fields filled, and refuses a second one', async () => {
    const { data } = await sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'tortune', serviceAccount: { displayName: 'Tortune', description: 'runs jokes', email: 'ignored@x.com' } } });
    expect(data).toMatchObject({
      name: `projects/${PROJECT}/serviceAccounts/${EMAIL('tortune')}`,
      projectId: PROJECT,
      email: EMAIL('tortune'),
      displayName: 'Tortune',
      description: 'runs jokes',
      etag: 'MDEwMjE5MjA=',
    });
    expect(data.uniqueId).toMatch(/^1\d{20}$/);
    expect(data.oauth2ClientId).toBe(data.uniqueId);
    const again = await failure(sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'tortune' } }));
    expect(again).toMatchObject({ code: GrpcCode.ALREADY_EXISTS, httpStatus: 409, message: `Service account tortune already exists within project projects/${PROJECT}.` });
  });

  it('refuses account IDs outside 6-30 characters of [a-z][-a-z0-9]*[a-z0-9]', async () => {
    for (const accountId of ['short', 'Upper-case1', 'ends-with-', 'a'.repeat(31), '1digitfirst']) {
      const f = await failure(sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId } }));
      expect(f.code, accountId).toBe(GrpcCode.INVALID_ARGUMENT);
    }
    const f = await failure(sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'under_score' } }));
    expect(f.message).toBe('under_score does not match [a-zA-Z][a-zA-Z\\d\\-]*[a-zA-Z\\d].');
  });

  it('gets by email or unique ID, with the project or the - wildcard', async () => {
    const { data: byEmail } = await sa().get({ name: `projects/${PROJECT}/serviceAccounts/${EMAIL('tortune')}` });
    const { data: byId } = await sa().get({ name: `projects/-/serviceAccounts/${byEmail.uniqueId}` });
    expect(byId).toEqual(byEmail);
  });

  it('answers 404 for a missing account, and 403 with the - wildcard (as IAM documents)', async () => {
    expect(await failure(sa().get({ name: `projects/${PROJECT}/serviceAccounts/${EMAIL('nobody')}` }))).toMatchObject({ code: GrpcCode.NOT_FOUND, message: 'Unknown service account' });
    expect(await failure(sa().get({ name: `projects/-/serviceAccounts/${EMAIL('nobody')}` }))).toMatchObject({
      code: GrpcCode.PERMISSION_DENIED,
      message: "Permission 'iam.serviceAccounts.get' denied on resource (or it may not exist).",
    });
  });

  it('lists the project\'s accounts (the Compute Engine default included), paged', async () => {
    await sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'reporter' } });
    const { data } = await sa().list({ name: `projects/${PROJECT}` });
    expect(data.accounts!.map((a) => a.email)).toEqual([DEFAULT_SA, EMAIL('reporter'), EMAIL('tortune')].sort());
    const p1 = await sa().list({ name: `projects/${PROJECT}`, pageSize: 2 });
    expect(p1.data.accounts).toHaveLength(2);
    const p2 = await sa().list({ name: `projects/${PROJECT}`, pageSize: 2, pageToken: p1.data.nextPageToken! });
    expect(p2.data.accounts).toHaveLength(1);
    expect(p2.data.nextPageToken).toBeUndefined();
    expect((await sa().list({ name: 'projects/other-proj' })).data.accounts!.map((a) => a.email)).toEqual([DEFAULT_SA]);
  });

  it('patches displayName and description named by the update mask only', async () => {
    const name = `projects/${PROJECT}/serviceAccounts/${EMAIL('reporter')}`;
    const { data } = await sa().patch({ name, requestBody: { serviceAccount: { displayName: 'Reporter', description: 'nightly' }, updateMask: 'displayName' } });
    expect(data.displayName).toBe('Reporter');
    expect(data.description).toBeUndefined();
    const both = await sa().patch({ name, requestBody: { serviceAccount: { description: 'nightly' }, updateMask: 'display_name,description' } });
    expect(both.data).toMatchObject({ description: 'nightly' });
    expect(both.data.displayName).toBeUndefined();
    expect((await failure(sa().patch({ name, requestBody: { serviceAccount: { email: 'x@y.z' }, updateMask: 'email' } }))).code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect((await failure(sa().patch({ name, requestBody: { serviceAccount: { displayName: 'x'.repeat(101) }, updateMask: 'displayName' } }))).code).toBe(GrpcCode.INVALID_ARGUMENT);
  });

  it('keeps an account\'s own IAM policy with etag checks', async () => {
    const resource = `projects/${PROJECT}/serviceAccounts/${EMAIL('reporter')}`;
    const { data: empty } = await sa().getIamPolicy({ resource });
    expect(empty).toEqual({ version: 1, etag: 'ACAB' });
    const { data: set } = await sa().setIamPolicy({ resource, requestBody: { policy: { etag: empty.etag, bindings: [{ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:${EMAIL('tortune')}`] }] } } });
    expect(set.bindings).toEqual([{ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:${EMAIL('tortune')}`] }]);
    expect((await failure(sa().setIamPolicy({ resource, requestBody: { policy: { etag: empty.etag, bindings: [] } } }))).code).toBe(GrpcCode.ABORTED);
  });

  it('deletes an account; bindings naming it then read deleted:serviceAccount:EMAIL?uid=ID', async () => {
    const { data: acct } = await sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'shortlived' } });
    const projects = clients.projects();
    const [p] = await projects.getIamPolicy({ resource: `projects/${PROJECT}` });
    const member = `serviceAccount:${acct.email}`;
    await projects.setIamPolicy({ resource: `projects/${PROJECT}`, policy: { ...p, bindings: [...(p.bindings ?? []), { role: 'roles/viewer', members: [member] }] } });
    await sa().delete({ name: acct.name! });
    expect(await failure(sa().get({ name: acct.name! }))).toMatchObject({ code: GrpcCode.NOT_FOUND });
    const [after] = await projects.getIamPolicy({ resource: `projects/${PROJECT}` });
    expect(after.bindings!.find((b) => b.role === 'roles/viewer')!.members).toEqual([`deleted:serviceAccount:${acct.email}?uid=${acct.uniqueId}`]);
    const { data: again } = await sa().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'shortlived' } });
    expect(again.uniqueId).not.toBe(acct.uniqueId);
  });
});

describe.each<Transport>(['grpc', 'rest'])('Resource Manager v3 project IAM policy over %s', (transport) => {
  let c: Clients;
  const project = `pol-${transport}-proj`;
  const resource = `projects/${project}`;
  beforeAll(() => {
    c = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http, transport });
  });
  afterAll(() => c.close());

  it('starts with the bindings every new project has', async () => {
    const [p] = await c.projects().getIamPolicy({ resource });
    expect(p.version).toBe(1);
    expect(p.bindings!.find((b) => b.role === 'roles/editor')!.members).toContain(`serviceAccount:${DEFAULT_SA}`);
    const [again] = await c.projects().getIamPolicy({ resource });
    expect(Buffer.from(again.etag as Uint8Array).toString('base64')).toBe(Buffer.from(p.etag as Uint8Array).toString('base64'));
  });

  it('sets with the etag read; a stale etag is ABORTED with IAM\'s message', async () => {
    await c.iamServiceAccounts().create({ name: resource, requestBody: { accountId: 'jokes-api' } });
    const member = `serviceAccount:jokes-api@${project}.iam.gserviceaccount.com`;
    const [p] = await c.projects().getIamPolicy({ resource });
    const [set] = await c.projects().setIamPolicy({ resource, policy: { etag: p.etag, bindings: [...p.bindings!, { role: 'roles/aiplatform.user', members: [member] }] } });
    expect(set.bindings!.find((b) => b.role === 'roles/aiplatform.user')!.members).toEqual([member]);
    const stale = await failure(c.projects().setIamPolicy({ resource, policy: { etag: p.etag, bindings: [] } }));
    expect(stale).toMatchObject({ code: GrpcCode.ABORTED, message: 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.' });
  });

  it('refuses a binding for a service account that does not exist, and a malformed member', async () => {
    const [p] = await c.projects().getIamPolicy({ resource });
    const missing = `ghost-acct@${project}.iam.gserviceaccount.com`;
    expect(await failure(c.projects().setIamPolicy({ resource, policy: { etag: p.etag, bindings: [{ role: 'roles/viewer', members: [`serviceAccount:${missing}`] }] } }))).toMatchObject({
      code: GrpcCode.INVALID_ARGUMENT,
      message: `Service account ${missing} does not exist.`,
    });
    expect((await failure(c.projects().setIamPolicy({ resource, policy: { etag: p.etag, bindings: [{ role: 'roles/viewer', members: ['alice@example.com'] }] } }))).code).toBe(GrpcCode.INVALID_ARGUMENT);
  });

  it('gets the project (number from the emulator) and tests permissions', async () => {
    const [proj] = await c.projects().getProject({ name: resource });
    expect(proj).toMatchObject({ name: 'projects/123456789012', projectId: project, state: 'ACTIVE' });
    const [t] = await c.projects().testIamPermissions({ resource, permissions: ['resourcemanager.projects.get'] });
    expect(t.permissions).toEqual(['resourcemanager.projects.get']);
  });
});
