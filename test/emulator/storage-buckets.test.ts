/**
 * Conformance: Cloud Storage buckets through the official `@google-cloud/storage` client —
 * create with server defaults, global names (409), invalid names, get/exists, list with
 * prefix and paging, label patches with metageneration preconditions (412), delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

async function failure(p: Promise<unknown>): Promise<{ code: number; reason?: string; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { code: Number(err.code), reason: err.errors?.[0]?.reason, message: err.message };
  }
  throw new Error('expected the call to fail');
}

describe('storage: buckets', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  let other: Clients;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    const endpoint = { mode: 'emulator' as const, grpc: emu.grpc, http: emu.http };
    const target = (project: string) => ({ mode: 'emulator' as const, description: 'test', project, fallbackRegion: 'us-central1' });
    clients = new Clients(endpoint, target('proj-a'));
    other = new Clients(endpoint, target('proj-b'));
  });
  afterAll(async () => {
    await clients?.close();
    await other?.close();
    await emu?.stop();
  });

  it('creates a bucket with server defaults and reads it back', async () => {
    const storage = clients.storage();
    const [bucket] = await storage.createBucket('gradio-data', { location: 'eu', labels: { 'managed-by': 'runctl' } });
    // The client keeps the insert's response body as the bucket's metadata.
    const created = bucket.metadata;
    expect(created).toMatchObject({
      kind: 'storage#bucket',
      id: 'gradio-data',
      name: 'gradio-data',
      location: 'EU',
      locationType: 'multi-region',
      storageClass: 'STANDARD',
      metageneration: '1',
      etag: 'CAE=',
      projectNumber: '123456789012',
      selfLink: 'https://www.googleapis.com/storage/v1/b/gradio-data',
      labels: { 'managed-by': 'runctl' },
      iamConfiguration: { uniformBucketLevelAccess: { enabled: false }, publicAccessPrevention: 'inherited' },
    });
    expect(Date.parse(created.timeCreated ?? '')).not.toBeNaN();
    const [meta] = await bucket.getMetadata();
    expect(meta.name).toBe('gradio-data');
    expect((await storage.bucket('gradio-data').exists())[0]).toBe(true);
    expect((await storage.bucket('missing-bucket').exists())[0]).toBe(false);

    const [, defaults] = await storage.createBucket('plain-bucket-1');
    expect(defaults).toMatchObject({ location: 'US', storageClass: 'STANDARD' });
  });

  it('answers 409 for a name taken in any project and 400 for invalid names', async () => {
    const mine = await failure(clients.storage().createBucket('gradio-data'));
    expect(mine.code).toBe(409);
    expect(mine.reason).toBe('conflict');
    const theirs = await failure(other.storage().createBucket('gradio-data'));
    expect(theirs.code).toBe(409);
    expect(theirs.message).toContain('bucket namespace is shared');
    for (const bad of ['UPPER', 'ab', 'goog-bucket', '192.168.1.1', '-dash-start']) {
      const res = await failure(clients.storage().createBucket(bad));
      expect(res.code, bad).toBe(400);
    }
    const missing = await failure(clients.storage().bucket('no-such-bucket').getMetadata());
    expect(missing.code).toBe(404);
  });

  it('patches labels with merge semantics and honours ifMetagenerationMatch', async () => {
    const bucket = clients.storage().bucket('gradio-data');
    const [before] = await bucket.getMetadata();
    const [patched] = await bucket.setMetadata({ labels: { 'runctl-set': 'demo', 'managed-by': null } }, { ifMetagenerationMatch: before.metageneration });
    expect(patched.labels).toEqual({ 'runctl-set': 'demo' });
    expect(patched.metageneration).toBe('2');
    expect(patched.etag).not.toBe(before.etag);
    expect(patched.location).toBe('EU');

    const stale = await failure(bucket.setMetadata({ labels: { x: 'y' } }, { ifMetagenerationMatch: before.metageneration }));
    expect(stale.code).toBe(412);
    expect(stale.reason).toBe('conditionNotMet');
    const [after] = await bucket.getMetadata();
    expect(after.labels).toEqual({ 'runctl-set': 'demo' });

    const [ubla] = await bucket.setMetadata({ iamConfiguration: { uniformBucketLevelAccess: { enabled: true } } });
    expect(ubla.iamConfiguration?.uniformBucketLevelAccess?.enabled).toBe(true);
    expect(ubla.iamConfiguration?.uniformBucketLevelAccess?.lockedTime).toBeTruthy();
  });

  it('lists the project\'s buckets with a prefix, across pages', async () => {
    const storage = other.storage();
    for (let i = 0; i < 25; i++) await storage.createBucket(`list-b-${String(i).padStart(2, '0')}`);
    const [all] = await storage.getBuckets({ prefix: 'list-b-' });
    expect(all.map((b) => b.name)).toEqual(Array.from({ length: 25 }, (_, i) => `list-b-${String(i).padStart(2, '0')}`));
    const [page, next] = await storage.getBuckets({ prefix: 'list-b-', maxResults: 10, autoPaginate: false });
    expect(page).toHaveLength(10);
    expect(next).toMatchObject({ pageToken: expect.any(String) });
    // Other projects' buckets are not listed.
    const [mine] = await clients.storage().getBuckets();
    expect(mine.map((b) => b.name).sort()).toEqual(['gradio-data', 'plain-bucket-1']);
  });

  it('replaces user fields with update (PUT), keeping immutable ones', async () => {
    const url = `http://${emu.http}/storage/v1/b/gradio-data`;
    const [before] = await clients.storage().bucket('gradio-data').getMetadata();
    const res = await fetch(`${url}?ifMetagenerationMatch=${before.metageneration}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gradio-data', location: 'US', storageClass: 'NEARLINE', versioning: { enabled: true } }),
    });
    expect(res.status).toBe(200);
    const [after] = await clients.storage().bucket('gradio-data').getMetadata();
    expect(after).toMatchObject({ location: 'EU', storageClass: 'NEARLINE', versioning: { enabled: true } });
    expect(after.labels).toBeUndefined();
    expect(Number(after.metageneration)).toBe(Number(before.metageneration) + 1);
  });

  it('deletes a bucket (and 404s after)', async () => {
    const bucket = clients.storage().bucket('plain-bucket-1');
    await bucket.delete();
    expect((await bucket.exists())[0]).toBe(false);
    const again = await failure(bucket.delete());
    expect(again.code).toBe(404);
  });

  it('deletes only when ifMetagenerationMatch holds (412 and the bucket kept otherwise)', async () => {
    await clients.storage().createBucket('guarded-delete');
    const bucket = clients.storage().bucket('guarded-delete');
    const [before] = await bucket.getMetadata();
    await bucket.setMetadata({ labels: { 'managed-by': 'terraform' } });
    const stale = await failure(bucket.delete({ ifMetagenerationMatch: before.metageneration }));
    expect(stale.code).toBe(412);
    expect((await bucket.exists())[0]).toBe(true);
    const [now] = await bucket.getMetadata();
    await bucket.delete({ ifMetagenerationMatch: now.metageneration });
    expect((await bucket.exists())[0]).toBe(false);
  });
});
