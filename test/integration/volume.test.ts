/**
 * The Volume kind end to end: buckets runctl creates and owns, buckets it only refers
 * to, and the Cloud Run volumes and mounts of the Services that use them — read back
 * through the real `@google-cloud/storage` and `@google-cloud/run` clients.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const REGION = 'europe-north1';
const serviceName = (s: string) => `projects/local-project/locations/${REGION}/services/${s}`;
const volumeYaml = (name: string, spec: string, labels = '{app: files}') =>
  `apiVersion: runctl.dev/v1alpha1\nkind: Volume\nmetadata: {name: ${name}, labels: ${labels}}\nspec: ${spec}\n`;

describe.each(TRANSPORTS)('Volume end to end (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(async () => h?.close());

  const meta = async (bucket: string) => (await h.clients.storage().bucket(bucket).getMetadata())[0];
  const template = async (s: string) => ((await h.clients.runServices().getService({ name: serviceName(s) }))[0] as any).template;

  it('creates a bucket with the set\'s labels and location, and a second apply writes nothing', async () => {
    const file = h.write('own/v.yaml', volumeYaml('files', '{gcs: {bucket: files-bucket-1, create: true, location: eu}}'));
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code).toBe(0);
    const b = await meta('files-bucket-1');
    expect(b.location).toBe('EU');
    expect(b.labels).toEqual({ app: 'files', 'managed-by': 'runctl', 'runctl-set': 'default', 'runctl-volume': 'files' });
    await h.resetStats();
    expect((await h.cli(['apply', '-f', file])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('updates labels in place, and refuses to move a bucket', async () => {
    const file = h.write('own/v.yaml', volumeYaml('files', '{gcs: {bucket: files-bucket-1, create: true, location: eu}}', '{app: files, tier: gold}'));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.stdout).toContain('+ metadata.labels.tier: "gold"');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect((await meta('files-bucket-1')).labels).toMatchObject({ tier: 'gold', 'runctl-volume': 'files' });
    // The label PATCH answered Google's full projection (owner, acl, defaultObjectAcl) and
    // every bucket has a generation: server fields, never declared, so nothing to converge.
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    // Someone empties the bucket's lifecycle out of band: Google drops it; still no change.
    const [emptied] = await h.clients.storage().bucket('files-bucket-1').setMetadata({ lifecycle: { rule: [] } });
    expect(emptied.lifecycle).toBeUndefined();
    await h.resetStats();
    expect((await h.cli(['apply', '-f', file])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);

    h.write('own/v.yaml', volumeYaml('files', '{gcs: {bucket: files-bucket-1, create: true, location: us}}', '{app: files, tier: gold}'));
    const moved = await h.cli(['plan', '-f', file]);
    expect(moved.stdout).toContain('~ spec.gcs.location: "EU" → "US"');
    expect(moved.stdout).toContain('refuses to replace it');
    await h.resetStats();
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ Volume\/files: .*cannot move/);
    expect((await h.stats()).writes).toBe(0);
    expect((await meta('files-bucket-1')).location).toBe('EU');
  });

  it('fails clearly, before any write, when a bucket it must not create is missing', async () => {
    const dir = path.join(h.dir, 'missing');
    h.write('missing/v.yaml', volumeYaml('shared', '{gcs: {bucket: not-there-1}}'));
    h.write('missing/s.yaml', serviceYaml('reader', { volumes: [{ volume: 'shared', mountPath: '/shared', readOnly: true }] }));
    await h.resetStats();
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Volume\/shared: bucket "not-there-1" does not exist and spec\.gcs\.create is false/);
    expect((await h.stats()).writes).toBe(0);
  });

  it('mounts an existing bucket it does not own, never labels it, and never deletes it', async () => {
    await h.clients.storage().createBucket('team-shared-1', { labels: { owner: 'data-team' } });
    const dir = path.join(h.dir, 'shared');
    h.write('shared/v.yaml', volumeYaml('team', '{gcs: {bucket: team-shared-1, mountOptions: [implicit-dirs]}}'));
    h.write('shared/s.yaml', serviceYaml('reader', { volumes: [{ volume: 'team', mountPath: '/team', readOnly: true }] }));
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const t = await template('reader');
    expect(t.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(t.volumes).toEqual([expect.objectContaining({ name: 'team', gcs: expect.objectContaining({ bucket: 'team-shared-1', readOnly: true, mountOptions: ['implicit-dirs'] }) })]);
    expect(t.containers[0].volumeMounts).toEqual([expect.objectContaining({ name: 'team', mountPath: '/team' })]);
    expect((await meta('team-shared-1')).labels).toEqual({ owner: 'data-team' });

    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['delete', '-f', dir, '--yes'])).code).toBe(0);
    expect((await h.clients.storage().bucket('team-shared-1').exists())[0]).toBe(true);
  });

  it('passes NFS and in-memory volumes through to the services that mount them', async () => {
    const dir = path.join(h.dir, 'pass');
    h.write('pass/nfs.yaml', volumeYaml('share', '{nfs: {server: 10.0.0.2, path: /exports/data}}'));
    h.write('pass/mem.yaml', volumeYaml('scratch', '{memory: {sizeLimit: 512Mi}}'));
    h.write('pass/a.yaml', serviceYaml('nfs-user', { volumes: [{ volume: 'share', mountPath: '/mnt/share' }] }));
    h.write('pass/b.yaml', serviceYaml('mem-user', { volumes: [{ volume: 'scratch', mountPath: '/tmp/scratch' }] }));
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(/^[+~] Volume\//m);
    const nfs = await template('nfs-user');
    expect(nfs.volumes).toEqual([expect.objectContaining({ name: 'share', nfs: expect.objectContaining({ server: '10.0.0.2', path: '/exports/data' }) })]);
    expect(nfs.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    const mem = await template('mem-user');
    expect(mem.volumes).toEqual([expect.objectContaining({ name: 'scratch', emptyDir: expect.objectContaining({ medium: 'MEMORY', sizeLimit: '512Mi' }) })]);
    expect(mem.containers[0].volumeMounts).toEqual([expect.objectContaining({ name: 'scratch', mountPath: '/tmp/scratch' })]);
    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await h.stats()).writes).toBe(0);

    // A Volume that changes makes a new revision of the services that mount it.
    h.write('pass/nfs.yaml', volumeYaml('share', '{nfs: {server: 10.0.0.3, path: /exports/data}}'));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toContain('~ spec.volumes.0.source: "nfs:10.0.0.2:/exports/data" → "nfs:10.0.0.3:/exports/data"');
    expect(plan.stdout).toContain('creates a new revision');
    expect(plan.stdout).not.toContain('Service/mem-user');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await template('nfs-user')).volumes[0].nfs.server).toBe('10.0.0.3');
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('lists the buckets it owns, and prunes only those', async () => {
    const got = JSON.parse((await h.cli(['get', 'volumes', '-o', 'json'])).stdout);
    expect(got.map((v: any) => v.metadata.name)).toEqual(['files']);
    expect(got[0].spec.gcs).toMatchObject({ bucket: 'files-bucket-1', location: 'EU' });
    const dir = path.join(h.dir, 'empty');
    h.write('empty/s.yaml', serviceYaml('bystander'));
    const res = await h.cli(['apply', '-f', dir, '--prune', '--yes']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('- Volume/files');
    expect((await h.clients.storage().bucket('files-bucket-1').exists())[0]).toBe(false);
    expect((await h.clients.storage().bucket('team-shared-1').exists())[0]).toBe(true);
  });
});
