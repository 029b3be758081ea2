/**
 * The Secret kind end to end against a standalone emulator, read back through the official
 * `@google-cloud/secret-manager` client: create with a value from a file, a no-op with zero
 * writes, a changed value = a new version (the plan shows only `value: (changed)`), drift
 * put back (a version, labels or an accessor binding changed by someone else), prune (only
 * the set's own secrets), adopt (only with --adopt), paused, and deletion-policy abandon.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const PROJECT = 'local-project';
const ROLE = 'roles/secretmanager.secretAccessor';
const READER = `serviceAccount:reader@${PROJECT}.iam.gserviceaccount.com`;
const secretYaml = (name: string, spec: string, meta = '') => `apiVersion: runctl.dev/v1alpha1\nkind: Secret\nmetadata: {name: ${name}${meta}}\nspec: ${spec}\n`;

describe.each(TRANSPORTS)('Secret end to end (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(async () => h?.close());

  const sm = () => h.clients.secretManager();
  const full = (name: string) => `projects/${PROJECT}/secrets/${name}`;
  const live = async (name: string) => (await sm().getSecret({ name: full(name) }))[0];
  const exists = async (name: string) => sm().getSecret({ name: full(name) }).then(() => true, () => false);
  const latest = async (name: string) => {
    const [v] = await sm().accessSecretVersion({ name: `${full(name)}/versions/latest` });
    // Secret Manager names versions by project number, as Google does: compare the version id.
    return { version: v.name!.split('/').pop(), data: Buffer.from(v.payload!.data as Uint8Array).toString() };
  };
  const accessors = async (name: string) => {
    const [p] = await sm().getIamPolicy({ resource: full(name) });
    return (p.bindings ?? []).filter((b) => b.role === ROLE).flatMap((b) => b.members ?? []).sort();
  };
  const dir = () => path.join(h.dir, 'set');
  // The accessor is an account of the set (IAM refuses a member that does not exist).
  const declare = () => {
    h.write('set/account.yaml', 'apiVersion: runctl.dev/v1alpha1\nkind: ServiceAccount\nmetadata: {name: reader}\nspec: {}\n');
    h.write('set/secret.yaml', secretYaml('api-key', '{value: {fromFile: api-key.txt}, accessors: [ServiceAccount/reader]}', ', labels: {team: jokes}'));
  };

  it('creates the secret with a version from the file and the accessor; a second apply writes nothing', async () => {
    h.write('set/api-key.txt', 'first-value');
    declare();
    const plan = await h.cli(['plan', '-f', dir()]);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('+ Secret/api-key');
    expect(plan.stdout).toContain(READER);
    expect(plan.stdout.indexOf('+ ServiceAccount/reader')).toBeLessThan(plan.stdout.indexOf('+ Secret/api-key'));
    expect(plan.stdout).not.toContain('first-value');
    const res = await h.cli(['apply', '-f', dir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect((await live('api-key')).labels).toMatchObject({ team: 'jokes', 'managed-by': 'runctl', 'runctl-set': 'default' });
    expect(await latest('api-key')).toEqual({ version: '1', data: 'first-value' });
    expect(await accessors('api-key')).toEqual([READER]);

    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir()]);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir()])).code).toBe(0);
  });

  it('a changed file adds a version; the plan shows only value: (changed)', async () => {
    h.write('set/api-key.txt', 'second-value');
    const plan = await h.cli(['plan', '-f', dir()]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ spec.value: (changed)');
    expect(plan.stdout).not.toContain('second-value');
    expect(plan.stdout).not.toContain('first-value');
    // Nothing else of the secret changes.
    expect(plan.stdout).not.toMatch(/spec\.(accessors|replication)|metadata\.labels/);
    const res = await h.cli(['apply', '-f', dir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await latest('api-key')).toEqual({ version: '2', data: 'second-value' });
    expect((await h.cli(['diff', '-f', dir()])).code).toBe(0);
  });

  it('puts drift back: a version someone added, changed labels, a removed accessor binding', async () => {
    await sm().addSecretVersion({ parent: full('api-key'), payload: { data: Buffer.from('someone-else') } });
    const s = await live('api-key');
    await sm().updateSecret({ secret: { name: s.name, labels: { ...s.labels, team: 'other' } }, updateMask: { paths: ['labels'] } });
    const [p] = await sm().getIamPolicy({ resource: full('api-key') });
    await sm().setIamPolicy({ resource: full('api-key'), policy: { etag: p.etag, bindings: (p.bindings ?? []).filter((b) => b.role !== ROLE) } });
    expect(await accessors('api-key')).toEqual([]);

    const diff = await h.cli(['diff', '-f', dir()]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.value: (changed)');
    expect(diff.stdout).toContain('metadata.labels');
    expect(diff.stdout).toContain('spec.accessors');
    expect(diff.stdout).not.toContain('someone-else');
    const res = await h.cli(['apply', '-f', dir()]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await latest('api-key')).toEqual({ version: '4', data: 'second-value' });
    expect((await live('api-key')).labels).toMatchObject({ team: 'jokes' });
    expect(await accessors('api-key')).toEqual([READER]);
    expect((await h.cli(['diff', '-f', dir()])).code).toBe(0);
  });

  it('prunes a secret the manifests no longer name; never one it does not own', async () => {
    await sm().createSecret({ parent: `projects/${PROJECT}`, secretId: 'foreign', secret: { replication: { automatic: {} } } });
    h.write('set/extra.yaml', secretYaml('scratch', '{}'));
    expect((await h.cli(['apply', '-f', dir()])).code).toBe(0);
    expect(await exists('scratch')).toBe(true);
    h.write('set/extra.yaml', '');
    const res = await h.cli(['apply', '-f', dir(), '--prune', '--yes']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await exists('scratch')).toBe(false);
    expect(await exists('foreign')).toBe(true);
    expect(await exists('api-key')).toBe(true);
  });

  it('adopts an existing secret only with --adopt, keeping its versions', async () => {
    const adopt = path.join(h.dir, 'adopt');
    await sm().addSecretVersion({ parent: full('foreign'), payload: { data: Buffer.from('legacy') } });
    h.write('adopt/secret.yaml', secretYaml('foreign', '{}', ', labels: {owner: us}'));
    const blocked = await h.cli(['apply', '-f', adopt, '--set', 'adopt']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout + blocked.stderr).toContain('--adopt');
    expect((await live('foreign')).labels ?? {}).not.toHaveProperty('managed-by');
    const res = await h.cli(['apply', '-f', adopt, '--set', 'adopt', '--adopt']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect((await live('foreign')).labels).toMatchObject({ owner: 'us', 'managed-by': 'runctl', 'runctl-set': 'adopt' });
    expect((await latest('foreign')).data).toBe('legacy');
    expect((await h.cli(['diff', '-f', adopt, '--set', 'adopt'])).code).toBe(0);
  });

  it('paused: observed, never written; deletion-policy abandon keeps the secret', async () => {
    const paused = path.join(h.dir, 'paused');
    h.write('paused/secret.yaml', secretYaml('kept', '{}', ', annotations: {runctl.dev/paused: "true"}'));
    await h.resetStats();
    expect((await h.cli(['apply', '-f', paused, '--set', 'paused'])).code).toBe(0);
    expect(await exists('kept')).toBe(false);
    expect((await h.stats()).writes).toBe(0);
    h.write('paused/secret.yaml', secretYaml('kept', '{}', ', annotations: {runctl.dev/deletion-policy: abandon}'));
    expect((await h.cli(['apply', '-f', paused, '--set', 'paused'])).code).toBe(0);
    expect(await exists('kept')).toBe(true);
    await h.resetStats();
    expect((await h.cli(['delete', '-f', paused, '--set', 'paused', '--yes'])).code).toBe(0);
    expect(await exists('kept')).toBe(true);
    expect((await h.stats()).calls['SecretManagerService.DeleteSecret'] ?? 0).toBe(0);
  });
});
