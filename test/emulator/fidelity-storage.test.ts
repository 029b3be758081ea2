/**
 * Cloud Storage buckets: the emulator answers like Google where recorded real-API
 * exchanges showed it did not (issue 13, difference 11). One table; every case runs
 * through the real `@google-cloud/storage` client. Facts and sources:
 * src/emulator/spec/storage.md ("Projections and output-only fields").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bucket, BucketMetadata } from '@google-cloud/storage';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';

const PROJECT = 'proj-fid';
const NUMBER = '123456789012';

interface Env {
  clients: Clients;
}

interface Case {
  difference: number;
  name: string;
  run(env: Env, bucket: string): Promise<void>;
}

const ACL_FIELDS = ['owner', 'acl', 'defaultObjectAcl'];

/** The keys of ACL_FIELDS a response carries. */
function aclKeys(meta: object): string[] {
  return ACL_FIELDS.filter((k) => k in meta);
}

async function create(env: Env, name: string, metadata: Record<string, unknown> = {}): Promise<Bucket> {
  const [bucket] = await env.clients.storage().createBucket(name, { labels: { a: '1' }, ...metadata });
  return bucket;
}

const CASES: Case[] = [
  {
    difference: 11,
    name: 'PATCH answers the full projection by default (owner, projectPrivate acl and defaultObjectAcl); insert, get and list answer noAcl',
    async run(env, name) {
      const bucket = await create(env, name);
      expect(aclKeys(bucket.metadata)).toEqual([]);
      expect(aclKeys((await bucket.getMetadata())[0])).toEqual([]);
      const [listed] = await env.clients.storage().getBuckets({ project: PROJECT, prefix: name });
      expect(aclKeys(listed[0].metadata)).toEqual([]);

      const [patched] = await bucket.setMetadata({ labels: { a: '2' } });
      expect(patched.metageneration).toBe('2');
      expect(patched.owner).toEqual({ entity: `project-owners-${NUMBER}` });
      expect(patched.acl?.map((a) => [a.entity, a.role])).toEqual([
        [`project-owners-${NUMBER}`, 'OWNER'],
        [`project-editors-${NUMBER}`, 'OWNER'],
        [`project-viewers-${NUMBER}`, 'READER'],
      ]);
      expect(patched.acl?.[0]).toEqual({
        kind: 'storage#bucketAccessControl',
        id: `${name}/project-owners-${NUMBER}`,
        selfLink: `https://www.googleapis.com/storage/v1/b/${name}/acl/project-owners-${NUMBER}`,
        bucket: name,
        entity: `project-owners-${NUMBER}`,
        role: 'OWNER',
        etag: 'CAI=',
        projectTeam: { projectNumber: NUMBER, team: 'owners' },
      });
      expect(patched.defaultObjectAcl?.map((a) => [a.entity, a.role])).toEqual([
        [`project-owners-${NUMBER}`, 'OWNER'],
        [`project-editors-${NUMBER}`, 'OWNER'],
        [`project-viewers-${NUMBER}`, 'READER'],
      ]);
      expect(patched.defaultObjectAcl?.[2]).toEqual({
        kind: 'storage#objectAccessControl',
        entity: `project-viewers-${NUMBER}`,
        role: 'READER',
        etag: 'CAI=',
        projectTeam: { projectNumber: NUMBER, team: 'viewers' },
      });
      // An explicit projection wins over either default.
      expect(aclKeys((await bucket.setMetadata({ labels: { a: '3' } }, { projection: 'noAcl' }))[0])).toEqual([]);
      expect(aclKeys((await bucket.getMetadata({ projection: 'full' }))[0])).toEqual(ACL_FIELDS);
    },
  },
  {
    difference: 11,
    name: 'update (PUT) also answers the full projection by default; an unknown projection is 400 invalid',
    async run(env, name) {
      const bucket = await create(env, name);
      // The client has no bucket update method: its generic request, with its auth and retries.
      const [body] = await bucket.request({ method: 'PUT', uri: '', json: { name, labels: { b: '1' } } });
      const updated = body as BucketMetadata;
      expect(updated.labels).toEqual({ b: '1' });
      expect(aclKeys(updated)).toEqual(ACL_FIELDS);
      const err = await bucket.getMetadata({ projection: 'all' }).then(
        () => undefined,
        (e: { code?: number; errors?: { reason?: string }[] }) => e,
      );
      expect({ code: err?.code, reason: err?.errors?.[0]?.reason }).toEqual({ code: 400, reason: 'invalid' });
    },
  },
  {
    difference: 11,
    name: 'with uniform bucket-level access the full projection carries owner but no acl or defaultObjectAcl',
    async run(env, name) {
      const bucket = await create(env, name, { iamConfiguration: { uniformBucketLevelAccess: { enabled: true } } });
      const [patched] = await bucket.setMetadata({ labels: { a: '2' } });
      expect(aclKeys(patched)).toEqual(['owner']);
    },
  },
  {
    difference: 11,
    name: 'every bucket has a generation (int64 as a string), kept for life, and softDeletePolicy.effectiveTime',
    async run(env, name) {
      const bucket = await create(env, name);
      const created = bucket.metadata;
      expect(created.generation).toMatch(/^[1-9]\d*$/);
      expect(created.softDeletePolicy).toEqual({ retentionDurationSeconds: '604800', effectiveTime: created.timeCreated });
      const [patched] = await bucket.setMetadata({ labels: { a: '2' } });
      expect(patched.generation).toBe(created.generation);
      expect(patched.softDeletePolicy).toEqual(created.softDeletePolicy);
      // A second bucket is a new incarnation: a different generation.
      const other = await create(env, `${name}-2`);
      expect(other.metadata.generation).not.toBe(created.generation);
      // A retention sent without effectiveTime gets one; a retention change moves it.
      const zero = await create(env, `${name}-3`, { softDeletePolicy: { retentionDurationSeconds: 0 } });
      expect(zero.metadata.softDeletePolicy).toEqual({ retentionDurationSeconds: '0', effectiveTime: zero.metadata.timeCreated });
      const [changed] = await zero.setMetadata({ softDeletePolicy: { retentionDurationSeconds: '864000' } });
      expect(changed.softDeletePolicy).toEqual({ retentionDurationSeconds: '864000', effectiveTime: changed.updated });
    },
  },
  {
    difference: 11,
    name: 'an empty lifecycle is dropped, not echoed as {rule: []}, on insert and on patch',
    async run(env, name) {
      const bucket = await create(env, name, { lifecycle: { rule: [] } });
      expect(bucket.metadata.lifecycle).toBeUndefined();
      const rule = { action: { type: 'Delete' as const }, condition: { age: 30 } };
      const [withRule] = await bucket.setMetadata({ lifecycle: { rule: [rule] } });
      expect(withRule.lifecycle).toEqual({ rule: [rule] });
      const [emptied] = await bucket.setMetadata({ lifecycle: { rule: [] } });
      expect(emptied.lifecycle).toBeUndefined();
      expect((await bucket.getMetadata())[0].lifecycle).toBeUndefined();
    },
  },
];

describe('Cloud Storage answers like Google (one table, real client)', () => {
  let emu: RunningEmulator;
  let env: Env;
  let n = 0;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    const endpoint = { mode: 'emulator' as const, grpc: emu.grpc, http: emu.http };
    env = { clients: new Clients(endpoint, { mode: 'emulator', description: 'test', project: PROJECT, fallbackRegion: 'us-central1' }) };
  });
  afterAll(async () => {
    await env?.clients.close();
    await emu?.stop();
  });

  it.each(CASES.map((c) => [`difference ${c.difference}: ${c.name}`, c] as const))('%s', async (_label, c) => {
    await c.run(env, `fid-bucket-${++n}`);
  });
});
