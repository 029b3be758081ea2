/**
 * Secret Manager conformance through the official client (@google-cloud/secret-manager),
 * over gRPC and over REST/JSON (the client's fallback transport): secrets CRUD with
 * etags, versions and their states, `latest`, data_crc32c, IAM on secrets, and payloads
 * sealed at rest with a key outside the state directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../src/emulator/modules/secret-manager';
import { startEmulator } from '../../src/emulator/server';
import { Clients, type Transport } from '../../src/gcp/clients';
import { apiError } from '../../src/gcp/errors';
import { GrpcCode } from '../../src/util/grpc-codes';

const PROJECT = 'sm-proj';
const NUMBER = '123456789012';

async function code(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    // The canonical code whichever transport answered (REST reports the HTTP status).
    return apiError(err).code;
  }
}

describe.each<Transport>(['grpc', 'rest'])('secret manager over %s', (transport) => {
  let emu: Awaited<ReturnType<typeof startEmulator>>;
  let clients: Clients;
  const sm = () => clients.secretManager();

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http, transport });
  });
  afterAll(async () => {
    await clients.close();
    await emu.stop();
  });

  it('creates, reads, lists, updates with etags and deletes a secret', async () => {
    const [created] = await sm().createSecret({
      parent: `projects/${PROJECT}`,
      secretId: 'api-key',
      secret: { replication: { userManaged: { replicas: [{ location: 'europe-north1' }] } }, labels: { team: 'jokes' }, annotations: { owner: 'me' } },
    });
    // Names carry the project number, as the real API answers.
    expect(created.name).toBe(`projects/${NUMBER}/secrets/api-key`);
    expect(created.replication?.userManaged?.replicas?.[0]?.location).toBe('europe-north1');
    expect(created.etag).toMatch(/^".+"$/);
    expect(await code(sm().createSecret({ parent: `projects/${PROJECT}`, secretId: 'api-key', secret: { replication: { automatic: {} } } }))).toBe(GrpcCode.ALREADY_EXISTS);
    expect(await code(sm().createSecret({ parent: `projects/${PROJECT}`, secretId: 'no-replication', secret: {} }))).toBe(GrpcCode.INVALID_ARGUMENT);

    const [byId] = await sm().getSecret({ name: `projects/${PROJECT}/secrets/api-key` });
    const [byNumber] = await sm().getSecret({ name: created.name! });
    expect(byNumber.etag).toBe(byId.etag);

    const [listed] = await sm().listSecrets({ parent: `projects/${PROJECT}`, filter: 'labels.team=jokes' });
    expect(listed.map((s) => s.name)).toEqual([created.name]);
    const [none] = await sm().listSecrets({ parent: `projects/${PROJECT}`, filter: 'labels.team=other' });
    expect(none).toEqual([]);

    // A stale etag is refused; the current one is accepted; replication is immutable.
    expect(await code(sm().updateSecret({ secret: { name: created.name, labels: { team: 'x' }, etag: '"stale"' }, updateMask: { paths: ['labels'] } }))).toBe(GrpcCode.ABORTED);
    const [updated] = await sm().updateSecret({ secret: { name: created.name, labels: { team: 'x' }, etag: created.etag }, updateMask: { paths: ['labels'] } });
    expect(updated.labels).toEqual({ team: 'x' });
    expect(updated.annotations).toEqual({ owner: 'me' });
    expect(updated.etag).not.toBe(created.etag);
    expect(await code(sm().updateSecret({ secret: { name: created.name, replication: { automatic: {} } }, updateMask: { paths: ['replication'] } }))).toBe(GrpcCode.INVALID_ARGUMENT);

    expect(await code(sm().deleteSecret({ name: created.name, etag: created.etag }))).toBe(GrpcCode.ABORTED);
    await sm().deleteSecret({ name: created.name, etag: updated.etag });
    expect(await code(sm().getSecret({ name: created.name! }))).toBe(GrpcCode.NOT_FOUND);
  });

  it('adds, accesses, lists, disables, enables and destroys versions', async () => {
    const [secret] = await sm().createSecret({ parent: `projects/${PROJECT}`, secretId: 'versions', secret: { replication: { automatic: {} } } });
    expect(await code(sm().accessSecretVersion({ name: `${secret.name}/versions/latest` }))).toBe(GrpcCode.NOT_FOUND);
    const one = Buffer.from('first value');
    const [v1] = await sm().addSecretVersion({ parent: secret.name, payload: { data: one, dataCrc32c: crc32c(one) } });
    expect(v1.name).toBe(`${secret.name}/versions/1`);
    expect(v1.state).toBe('ENABLED');
    expect(v1.clientSpecifiedPayloadChecksum).toBe(true);
    // A checksum that does not match the data is refused (data corrupted in transit).
    expect(await code(sm().addSecretVersion({ parent: secret.name, payload: { data: Buffer.from('x'), dataCrc32c: 12345 } }))).toBe(GrpcCode.INVALID_ARGUMENT);
    const [v2] = await sm().addSecretVersion({ parent: secret.name, payload: { data: Buffer.from('second value') } });
    expect(v2.name).toBe(`${secret.name}/versions/2`);

    const [latest] = await sm().accessSecretVersion({ name: `projects/${PROJECT}/secrets/versions/versions/latest` });
    expect(latest.name).toBe(v2.name);
    expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe('second value');
    expect(String(latest.payload!.dataCrc32c)).toBe(String(crc32c(Buffer.from('second value'))));
    const [first] = await sm().accessSecretVersion({ name: v1.name });
    expect(Buffer.from(first.payload!.data as Uint8Array).toString()).toBe('first value');

    const [versions] = await sm().listSecretVersions({ parent: secret.name });
    expect(versions.map((v) => v.name)).toEqual([v2.name, v1.name]);

    expect(await code(sm().disableSecretVersion({ name: v2.name, etag: '"stale"' }))).toBe(GrpcCode.ABORTED);
    const [disabled] = await sm().disableSecretVersion({ name: v2.name, etag: v2.etag });
    expect(disabled.state).toBe('DISABLED');
    expect(await code(sm().accessSecretVersion({ name: `${secret.name}/versions/latest` }))).toBe(GrpcCode.FAILED_PRECONDITION);
    const [enabledOnly] = await sm().listSecretVersions({ parent: secret.name, filter: 'state:ENABLED' });
    expect(enabledOnly.map((v) => v.name)).toEqual([v1.name]);
    await sm().enableSecretVersion({ name: v2.name });
    const [destroyed] = await sm().destroySecretVersion({ name: v1.name });
    expect(destroyed.state).toBe('DESTROYED');
    expect(destroyed.destroyTime).toBeTruthy();
    expect(await code(sm().accessSecretVersion({ name: v1.name }))).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(await code(sm().enableSecretVersion({ name: v1.name }))).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(await code(sm().getSecretVersion({ name: `${secret.name}/versions/9` }))).toBe(GrpcCode.NOT_FOUND);
  });

  it('keeps an IAM policy per secret with etag checks', async () => {
    const [secret] = await sm().createSecret({ parent: `projects/${PROJECT}`, secretId: 'iam', secret: { replication: { automatic: {} } } });
    const [empty] = await sm().getIamPolicy({ resource: secret.name });
    expect(empty.bindings ?? []).toEqual([]);
    await clients.iamServiceAccounts().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'app-runner' } });
    const member = `serviceAccount:app-runner@${PROJECT}.iam.gserviceaccount.com`;
    // IAM refuses a binding for an account that does not exist.
    expect(await code(sm().setIamPolicy({ resource: secret.name, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:nobody@${PROJECT}.iam.gserviceaccount.com`] }] } }))).toBe(GrpcCode.INVALID_ARGUMENT);
    const [set] = await sm().setIamPolicy({ resource: secret.name, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [member] }], etag: empty.etag } });
    expect(set.bindings).toEqual([expect.objectContaining({ role: 'roles/secretmanager.secretAccessor', members: [member] })]);
    expect(await code(sm().setIamPolicy({ resource: secret.name, policy: { bindings: [], etag: empty.etag } }))).toBe(GrpcCode.ABORTED);
    expect(await code(sm().getIamPolicy({ resource: `projects/${PROJECT}/secrets/missing` }))).toBe(GrpcCode.NOT_FOUND);
  });
});

describe('secret manager: payloads at rest', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-sm-state-'));
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runctl-sm-key-'));
  const keyFile = path.join(keyDir, 'sub', 'emulator-secrets.key');
  afterAll(() => {
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  async function session<T>(fn: (c: Clients) => Promise<T>, file = keyFile): Promise<T> {
    const emu = await startEmulator({ port: 0, stateDir, secretKeyFile: file });
    const clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
    try {
      return await fn(clients);
    } finally {
      await clients.close();
      await emu.stop();
    }
  }

  it('never writes a payload in clear, keeps the key 0600 outside the state, and reads it back after a restart', async () => {
    const value = `v-${randomBytes(16).toString('hex')}`;
    await session(async (c) => {
      const [s] = await c.secretManager().createSecret({ parent: 'projects/p-rest', secretId: 'k', secret: { replication: { automatic: {} } } });
      await c.secretManager().addSecretVersion({ parent: s.name, payload: { data: Buffer.from(value) } });
    });
    const state = fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8');
    expect(state).not.toContain(value);
    expect(state).not.toContain(Buffer.from(value).toString('base64'));
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
    const back = await session(async (c) => (await c.secretManager().accessSecretVersion({ name: 'projects/p-rest/secrets/k/versions/latest' }))[0]);
    expect(Buffer.from(back.payload!.data as Uint8Array).toString()).toBe(value);
    // Another key cannot open it, and says which key is needed instead of answering garbage.
    const other = path.join(keyDir, 'other.key');
    expect(await code(session((c) => c.secretManager().accessSecretVersion({ name: 'projects/p-rest/secrets/k/versions/latest' }), other))).toBe(GrpcCode.FAILED_PRECONDITION);
  });
});
