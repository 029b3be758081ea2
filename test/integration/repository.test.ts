/**
 * The Repository kind end to end against a standalone emulator, read back through the
 * official `@google-cloud/artifact-registry` client: create (with readers, writers and
 * cleanup policies), a no-op with zero writes, an update, drift put back, prune, adopt,
 * paused and deletion policy, the refused location change, and a Service whose image is
 * `${Repository/NAME.status.url}/...` (planned concretely before the repository exists),
 * and one whose image names a missing repository, failing with Cloud Run's message.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const LOC = 'europe-north1';
const PARENT = `projects/local-project/locations/${LOC}`;
const repoYaml = (name: string, spec: string, meta = '') => `apiVersion: runctl.dev/v1alpha1\nkind: Repository\nmetadata: {name: ${name}${meta}}\nspec: ${spec}\n`;
const serviceYaml = (name: string, image: string) =>
  `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: ${name}}\nspec: {region: ${LOC}, image: "${image}"}\n`;
const READER = 'serviceAccount:puller@local-project.iam.gserviceaccount.com';
const WRITER = 'serviceAccount:ci@local-project.iam.gserviceaccount.com';

describe.each(TRANSPORTS)('Repository end to end (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(async () => h?.close());

  const ar = () => h.clients.artifactRegistry();
  const live = async (name: string) => (await ar().getRepository({ name: `${PARENT}/repositories/${name}` }))[0];
  const exists = async (name: string) => ar().getRepository({ name: `${PARENT}/repositories/${name}` }).then(() => true, () => false);
  const members = async (name: string, role: string) => {
    const [p] = await ar().getIamPolicy({ resource: `${PARENT}/repositories/${name}` });
    return (p.bindings ?? []).filter((b) => b.role === role).flatMap((b) => b.members ?? []).sort();
  };

  it('creates the repository, then the Service whose image lives in it; the plan shows the URL; a second apply writes nothing', async () => {
    const dir = path.join(h.dir, 'set');
    h.write('set/repo.yaml', repoYaml('jokes', `{location: ${LOC}, format: docker, description: Docker registry, readers: ["${READER}"], writers: ["${WRITER}"], cleanup: {keepRecent: 10, deleteUntaggedAfter: 7d}}`, ', labels: {team: fun}'));
    h.write('set/svc.yaml', serviceYaml('jokes', '${Repository/jokes.status.url}/jokes:1.0.0'));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code, plan.stderr).toBe(2);
    // The URL is known before the repository exists.
    expect(plan.stdout).toContain(`${LOC}-docker.pkg.dev/local-project/jokes/jokes:1.0.0`);
    expect(plan.stdout).not.toContain('known after apply');
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const repo = await live('jokes');
    expect(repo).toMatchObject({ format: 'DOCKER', description: 'Docker registry', labels: { team: 'fun', 'managed-by': 'runctl', 'runctl-set': 'default' } });
    expect(repo.cleanupPolicies?.['keep-recent']?.mostRecentVersions?.keepCount).toBe(10);
    expect(String(repo.cleanupPolicies?.['delete-untagged']?.condition?.olderThan?.seconds)).toBe('604800');
    expect(await members('jokes', 'roles/artifactregistry.reader')).toEqual([READER]);
    expect(await members('jokes', 'roles/artifactregistry.writer')).toEqual([WRITER]);
    const [svc] = await h.clients.runServices().getService({ name: `${PARENT}/services/jokes` });
    expect(svc.template?.containers?.[0]?.image).toBe(`${LOC}-docker.pkg.dev/local-project/jokes/jokes:1.0.0`);

    await h.resetStats();
    const again = await h.cli(['apply', '-f', dir]);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);

    const got = await h.cli(['get', 'Repository']);
    expect(got.stdout).toContain(`${LOC}-docker.pkg.dev/local-project/jokes`);
    // What get prints applies back unchanged.
    const yaml = await h.cli(['get', 'Repository', 'jokes', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect((await h.cli(['diff', '-f', '-'], { stdin: yaml.stdout })).code).toBe(0);
  });

  it('updates description, labels, cleanup and readers in place, keeping roles it does not manage', async () => {
    const dir = path.join(h.dir, 'set');
    const name = `${PARENT}/repositories/jokes`;
    const [p] = await ar().getIamPolicy({ resource: name });
    await ar().setIamPolicy({ resource: name, policy: { bindings: [...(p.bindings ?? []), { role: 'roles/artifactregistry.admin', members: ['user:owner@example.com'] }], etag: p.etag } });
    h.write('set/repo.yaml', repoYaml('jokes', `{location: ${LOC}, description: Images of the jokes API, readers: ["${READER}", "${WRITER}"], cleanup: {keepRecent: 5}}`, ', labels: {team: jokes}'));
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toContain('spec.description');
    expect(plan.stdout).toContain('spec.cleanup');
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const repo = await live('jokes');
    expect(repo.description).toBe('Images of the jokes API');
    expect(repo.labels?.team).toBe('jokes');
    expect(Object.keys(repo.cleanupPolicies ?? {})).toEqual(['keep-recent']);
    expect(await members('jokes', 'roles/artifactregistry.reader')).toEqual([WRITER, READER].sort());
    // writers is no longer declared: left as it is; the admin binding was never runctl's.
    expect(await members('jokes', 'roles/artifactregistry.writer')).toEqual([WRITER]);
    expect(await members('jokes', 'roles/artifactregistry.admin')).toEqual(['user:owner@example.com']);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('puts back drift (a description and a reader changed out of band) and a deleted repository', async () => {
    const dir = path.join(h.dir, 'set');
    const name = `${PARENT}/repositories/jokes`;
    await ar().updateRepository({ repository: { name, description: 'edited in the console' }, updateMask: { paths: ['description'] } });
    const [p] = await ar().getIamPolicy({ resource: name });
    await ar().setIamPolicy({ resource: name, policy: { bindings: [{ role: 'roles/artifactregistry.reader', members: ['user:intruder@example.com'] }], etag: p.etag } });
    expect((await h.cli(['diff', '-f', dir])).code).toBe(2);
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await live('jokes')).description).toBe('Images of the jokes API');
    expect(await members('jokes', 'roles/artifactregistry.reader')).toEqual([WRITER, READER].sort());

    await (await ar().deleteRepository({ name }))[0].promise();
    expect((await h.cli(['diff', '-f', dir])).code).toBe(2);
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await exists('jokes')).toBe(true);
  });

  it('refuses a format change (a replacement would delete the images)', async () => {
    const dir = path.join(h.dir, 'set');
    h.write('set/repo.yaml', repoYaml('jokes', `{location: ${LOC}, format: npm, description: Images of the jokes API}`));
    const res = await h.cli(['plan', '-f', dir]);
    expect(res.stdout + res.stderr).toContain('runctl refuses to replace it');
    h.write('set/repo.yaml', repoYaml('jokes', `{location: ${LOC}, description: Images of the jokes API, readers: ["${READER}", "${WRITER}"], cleanup: {keepRecent: 5}}`, ', labels: {team: jokes}'));
  });

  it("a Service whose image names a missing repository fails with Cloud Run's message", async () => {
    const dir = path.join(h.dir, 'missing');
    h.write('missing/svc.yaml', serviceYaml('lost', `${LOC}-docker.pkg.dev/local-project/nope/lost:1`));
    const res = await h.cli(['apply', '-f', dir, '--set', 'missing']);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain(`Image '${LOC}-docker.pkg.dev/local-project/nope/lost:1' not found.`);
  });

  it('prunes a repository the manifests no longer name; never one it does not own', async () => {
    const dir = path.join(h.dir, 'set');
    await (await ar().createRepository({ parent: PARENT, repositoryId: 'foreign', repository: { format: 'DOCKER' } }))[0].promise();
    h.write('set/extra.yaml', repoYaml('scratch', `{location: ${LOC}}`));
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect(await exists('scratch')).toBe(true);
    h.write('set/extra.yaml', '');
    const res = await h.cli(['apply', '-f', dir, '--prune', '--yes']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await exists('scratch')).toBe(false);
    expect(await exists('foreign')).toBe(true);
    expect(await exists('jokes')).toBe(true);
  });

  it('adopts an existing repository only with --adopt', async () => {
    const dir = path.join(h.dir, 'adopt');
    h.write('adopt/repo.yaml', repoYaml('foreign', `{location: ${LOC}, description: now ours}`));
    const blocked = await h.cli(['apply', '-f', dir, '--set', 'adopt']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout + blocked.stderr).toContain('--adopt');
    const res = await h.cli(['apply', '-f', dir, '--set', 'adopt', '--adopt']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await live('foreign')).toMatchObject({ description: 'now ours', labels: { 'managed-by': 'runctl', 'runctl-set': 'adopt' } });
    expect((await h.cli(['diff', '-f', dir, '--set', 'adopt'])).code).toBe(0);
  });

  it('paused: observed, never written; deletion-policy abandon keeps the repository', async () => {
    const dir = path.join(h.dir, 'paused');
    h.write('paused/repo.yaml', repoYaml('kept', `{location: ${LOC}}`, ', annotations: {runctl.dev/paused: "true"}'));
    expect((await h.cli(['apply', '-f', dir, '--set', 'paused'])).code).toBe(0);
    expect(await exists('kept')).toBe(false);
    h.write('paused/repo.yaml', repoYaml('kept', `{location: ${LOC}}`, ', annotations: {runctl.dev/deletion-policy: abandon}'));
    expect((await h.cli(['apply', '-f', dir, '--set', 'paused'])).code).toBe(0);
    expect(await exists('kept')).toBe(true);
    await h.resetStats();
    expect((await h.cli(['delete', '-f', dir, '--set', 'paused', '--yes'])).code).toBe(0);
    expect(await exists('kept')).toBe(true);
    expect((await h.stats()).calls['ArtifactRegistry.DeleteRepository'] ?? 0).toBe(0);
  });
});
