/**
 * Conformance: Cloud Storage objects through the official `@google-cloud/storage` client —
 * simple uploads (multipart from `file.save({resumable: false})`, and `uploadType=media`),
 * metadata and media reads with checksums, generation numbering, `ifGenerationMatch` (0:
 * create only) and metageneration preconditions with Google's 412 body, 404s, patch, list,
 * delete, and a bucket that is not empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { emulatorStats } from '../helpers/emulator-admin';

async function failure(p: Promise<unknown>): Promise<{ code: number; reason?: string; message: string; body?: any }> {
  try {
    await p;
  } catch (err: any) {
    return { code: Number(err.code), reason: err.errors?.[0]?.reason, message: err.message, body: err.response?.body };
  }
  throw new Error('expected the call to fail');
}

describe('storage: objects', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  const BUCKET = 'lease-bucket';
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http }, { mode: 'emulator', description: 'test', project: 'proj-a', fallbackRegion: 'us-central1' });
    await clients.storage().createBucket(BUCKET);
  });
  afterAll(async () => {
    await clients?.close();
    await emu?.stop();
  });
  const file = (name: string, opts: { generation?: number | string } = {}) => clients.storage().bucket(BUCKET).file(name, opts);

  it('creates an object with ifGenerationMatch 0, reads its metadata and bytes back', async () => {
    const f = file('locks/a.json');
    const body = JSON.stringify({ holder: 'h', pid: 1 });
    await f.save(body, { resumable: false, contentType: 'application/json', preconditionOpts: { ifGenerationMatch: 0 } });
    const [meta] = await f.getMetadata();
    expect(meta).toMatchObject({
      kind: 'storage#object',
      name: 'locks/a.json',
      bucket: BUCKET,
      metageneration: '1',
      contentType: 'application/json',
      size: String(Buffer.byteLength(body)),
      storageClass: 'STANDARD',
      selfLink: `https://www.googleapis.com/storage/v1/b/${BUCKET}/o/locks%2Fa.json`,
    });
    expect(meta.id).toBe(`${BUCKET}/locks/a.json/${meta.generation}`);
    expect(String(meta.generation)).toMatch(/^\d{16}$/); // microseconds, like Google's
    expect(meta.md5Hash).toBe(require('node:crypto').createHash('md5').update(body).digest('base64'));
    // The client checks the CRC32C and MD5 of what it downloads against x-goog-hash.
    const [bytes] = await f.download();
    expect(bytes.toString()).toBe(body);
    const [exact] = await file('locks/a.json', { generation: meta.generation! }).download();
    expect(exact.toString()).toBe(body);
  });

  it('refuses a second create with 412 conditionNotMet, in the body Google sends', async () => {
    const f = file('locks/b.json');
    await f.save('one', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const err = await failure(f.save('two', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }));
    expect(err.code).toBe(412);
    expect(err.reason).toBe('conditionNotMet');
    const res = await fetch(`http://${emu.http}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=locks%2Fb.json&ifGenerationMatch=0`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(412);
    expect(await res.json()).toEqual({
      error: {
        code: 412,
        message: 'At least one of the pre-conditions you specified did not hold.',
        errors: [{ domain: 'global', reason: 'conditionNotMet', message: 'At least one of the pre-conditions you specified did not hold.', locationType: 'header', location: 'If-Match' }],
      },
    });
    expect((await f.download())[0].toString()).toBe('one');
  });

  it('replaces an object only at the generation stated; every write gets a new, larger generation', async () => {
    const f = file('locks/c.json');
    await f.save('v1', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [m1] = await f.getMetadata();
    await f.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(m1.generation) } });
    const [m2] = await f.getMetadata();
    expect(BigInt(m2.generation!)).toBeGreaterThan(BigInt(m1.generation!));
    expect(m2.metageneration).toBe('1');
    // A contender still holding the first generation loses.
    const stale = await failure(f.save('v3', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(m1.generation) } }));
    expect(stale.code).toBe(412);
    expect((await f.download())[0].toString()).toBe('v2');
    // The old generation is gone (no versioning): reading it is 404.
    expect((await failure(file('locks/c.json', { generation: m1.generation! }).download())).code).toBe(404);
  });

  it('deletes only at the generation stated; a missing object is 404 "No such object"', async () => {
    const f = file('locks/d.json');
    await f.save('x', { resumable: false });
    const [meta] = await f.getMetadata();
    expect((await failure(f.delete({ ifGenerationMatch: Number(meta.generation) + 1 }))).code).toBe(412);
    await f.delete({ ifGenerationMatch: Number(meta.generation) });
    expect((await f.exists())[0]).toBe(false);
    const missing = await failure(f.getMetadata());
    expect(missing.code).toBe(404);
    expect(missing.reason).toBe('notFound');
    expect(missing.message).toBe(`No such object: ${BUCKET}/locks/d.json`);
    expect((await failure(f.delete())).code).toBe(404);
    expect((await failure(f.download())).code).toBe(404);
    // ifGenerationMatch with a non-zero generation on a missing object fails as a precondition.
    expect((await failure(f.save('y', { resumable: false, preconditionOpts: { ifGenerationMatch: 123 } }))).code).toBe(412);
  });

  it('patches metadata with metageneration preconditions; NotMatch on a read is 304', async () => {
    const f = file('meta.txt');
    await f.save('hello', { resumable: false, metadata: { metadata: { owner: 'a' } } });
    const [m1] = await f.getMetadata();
    expect(m1.metadata).toEqual({ owner: 'a' });
    const [m2] = await f.setMetadata({ metadata: { owner: 'b' } }, { ifMetagenerationMatch: 1 });
    expect(m2).toMatchObject({ metageneration: '2', generation: m1.generation, metadata: { owner: 'b' } });
    expect(m2.etag).not.toBe(m1.etag);
    expect((await failure(f.setMetadata({ metadata: { owner: 'c' } }, { ifMetagenerationMatch: 1 }))).code).toBe(412);
    const url = `http://${emu.http}/storage/v1/b/${BUCKET}/o/meta.txt`;
    expect((await fetch(`${url}?ifGenerationNotMatch=${m1.generation}`)).status).toBe(304);
    expect((await fetch(`${url}?ifMetagenerationNotMatch=1`)).status).toBe(200);
    expect((await fetch(`${url}?ifGenerationNotMatch=0`)).status).toBe(200);
  });

  it('uploads with uploadType=media; lists by prefix with paging', async () => {
    const res = await fetch(`http://${emu.http}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=list%2Fz.txt`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'media upload',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'list/z.txt', contentType: 'text/plain', size: '12' });
    for (const n of ['list/a.txt', 'list/b.txt']) await file(n).save(n, { resumable: false });
    const bucket = clients.storage().bucket(BUCKET);
    const [all] = await bucket.getFiles({ prefix: 'list/' });
    expect(all.map((x) => x.name)).toEqual(['list/a.txt', 'list/b.txt', 'list/z.txt']);
    const [page, next] = await bucket.getFiles({ prefix: 'list/', maxResults: 2, autoPaginate: false });
    expect(page.map((x) => x.name)).toEqual(['list/a.txt', 'list/b.txt']);
    const [rest] = await bucket.getFiles({ ...(next as object), autoPaginate: false });
    expect(rest.map((x) => x.name)).toEqual(['list/z.txt']);
  });

  it('counts object calls as Objects.*; a bucket with objects cannot be deleted (409)', async () => {
    const stats = await emulatorStats(emu.http);
    expect(stats.calls['Objects.Insert']).toBeGreaterThan(0);
    expect(stats.calls['Objects.Get']).toBeGreaterThan(0);
    const err = await failure(clients.storage().bucket(BUCKET).delete());
    expect(err.code).toBe(409);
    expect(err.message).toBe('The bucket you tried to delete is not empty.');
    const missing = await failure(clients.storage().bucket('no-such-bucket').file('x').save('x', { resumable: false }));
    expect(missing.code).toBe(404);
  });
});
