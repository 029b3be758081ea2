/**
 * Artifact Registry emulator: repositories (create/delete as operations, get, list,
 * update with a mask), their IAM policies, pushed Docker images, and the "image not
 * found" admission of Cloud Run revisions - through the official clients, over gRPC and
 * over REST (`fallback: true`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { Clients } from '../../src/gcp/clients';
import { apiError } from '../../src/gcp/errors';

const PROJECT = 'ar-project';
const PARENT = `projects/${PROJECT}/locations/europe-north1`;

async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  const err: any = await p.then(() => undefined, (e) => e);
  expect(err, 'expected the call to fail').toBeInstanceOf(Error);
  // apiError gives the gRPC code over either transport.
  return { code: apiError(err).code, details: String(err.details ?? err.message) };
}

async function push(emu: RunningEmulator, image: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${emu.http}/__emulator/artifact-registry/push`, { method: 'POST', body: JSON.stringify({ image }), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

describe.each(['grpc', 'rest'] as const)('Artifact Registry over %s', (transport) => {
  let emu: RunningEmulator;
  let clients: Clients;
  const ar = () => clients.artifactRegistry();
  const repoName = (id: string) => `${PARENT}/repositories/${id}`;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http, transport });
  });
  afterAll(async () => {
    await clients.close();
    await emu.stop();
  });

  it('creates a repository through an unfinished operation whose response is the repository', async () => {
    const [op] = await ar().createRepository({
      parent: PARENT,
      repositoryId: 'jokes',
      repository: {
        format: 'DOCKER',
        description: 'Docker registry',
        labels: { team: 'fun' },
        cleanupPolicies: {
          'keep-recent': { action: 'KEEP', mostRecentVersions: { keepCount: 10 } },
          'delete-untagged': { action: 'DELETE', condition: { tagState: 'UNTAGGED', olderThan: { seconds: 604800 } } },
        },
      },
    });
    expect(op.done).toBe(false);
    const [repo] = await op.promise();
    expect(repo.name).toBe(repoName('jokes'));
    // An operation's response is decoded by protobufjs: enums are numbers there (DOCKER = 1, STANDARD_REPOSITORY = 1).
    expect(repo.format).toBe(1);
    expect(repo.mode).toBe(1);
    expect(repo.registryUri).toBe(`europe-north1-docker.pkg.dev/${PROJECT}/jokes`);
    expect(repo.createTime?.seconds).toBeTruthy();
    expect(repo.cleanupPolicies?.['keep-recent']).toMatchObject({ id: 'keep-recent', mostRecentVersions: { keepCount: 10 } });
    expect(String(repo.cleanupPolicies?.['delete-untagged']?.condition?.olderThan?.seconds)).toBe('604800');
    const [got] = await ar().getRepository({ name: repoName('jokes') });
    expect(got.labels).toEqual({ team: 'fun' });
    expect(got.format).toBe('DOCKER');
    expect(got.mode).toBe('STANDARD_REPOSITORY');
    expect(String(got.sizeBytes ?? '0')).toBe('0');
  });

  it('refuses a second repository of the same name (ALREADY_EXISTS) and a bad id (INVALID_ARGUMENT)', async () => {
    expect((await failure(ar().createRepository({ parent: PARENT, repositoryId: 'jokes', repository: { format: 'DOCKER' } }))).code).toBe(6);
    expect((await failure(ar().createRepository({ parent: PARENT, repositoryId: 'Bad_Name', repository: { format: 'DOCKER' } }))).code).toBe(3);
    expect((await failure(ar().createRepository({ parent: PARENT, repositoryId: 'noformat', repository: {} }))).code).toBe(3);
  });

  it('lists the repositories of a location and answers NOT_FOUND for a missing one', async () => {
    const [list] = await ar().listRepositories({ parent: PARENT });
    expect(list.map((r) => r.name)).toEqual([repoName('jokes')]);
    expect((await failure(ar().getRepository({ name: repoName('missing') }))).code).toBe(5);
  });

  it('updates only the fields of the mask and refuses an immutable one', async () => {
    const [before] = await ar().getRepository({ name: repoName('jokes') });
    const [updated] = await ar().updateRepository({ repository: { name: repoName('jokes'), description: 'changed', labels: { team: 'other' } }, updateMask: { paths: ['description'] } });
    expect(updated.description).toBe('changed');
    expect(updated.labels).toEqual({ team: 'fun' });
    expect(Number(updated.updateTime?.seconds)).toBeGreaterThanOrEqual(Number(before.updateTime?.seconds));
    expect((await failure(ar().updateRepository({ repository: { name: repoName('jokes'), format: 'NPM' }, updateMask: { paths: ['format'] } }))).code).toBe(3);
  });

  it('keeps an IAM policy per repository with etag checks', async () => {
    const [empty] = await ar().getIamPolicy({ resource: repoName('jokes') });
    expect(empty.bindings ?? []).toEqual([]);
    const [set] = await ar().setIamPolicy({ resource: repoName('jokes'), policy: { bindings: [{ role: 'roles/artifactregistry.reader', members: ['serviceAccount:a@p.iam.gserviceaccount.com'] }], etag: empty.etag } });
    expect(set.bindings).toMatchObject([{ role: 'roles/artifactregistry.reader', members: ['serviceAccount:a@p.iam.gserviceaccount.com'] }]);
    const stale = await failure(ar().setIamPolicy({ resource: repoName('jokes'), policy: { bindings: [], etag: empty.etag } }));
    expect(stale.code).toBe(10);
  });

  it('records pushed images, lists them and moves a tag', async () => {
    expect((await push(emu, `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:1.0.0`)).status).toBe(200);
    expect((await push(emu, `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:1.0.0`)).status).toBe(200);
    expect((await push(emu, `europe-north1-docker.pkg.dev/${PROJECT}/nope/jokes:1`)).status).toBe(404);
    const [images] = await ar().listDockerImages({ parent: repoName('jokes') });
    expect(images).toHaveLength(2);
    expect(images.flatMap((i) => i.tags ?? [])).toEqual(['1.0.0']);
    const [one] = await ar().getDockerImage({ name: images[0].name! });
    expect(one.uri).toMatch(new RegExp(`^europe-north1-docker\\.pkg\\.dev/${PROJECT}/jokes/jokes@sha256:[0-9a-f]{64}$`));
  });

  it('deletes through an operation whose response is Empty', async () => {
    await (await ar().createRepository({ parent: PARENT, repositoryId: 'scratch', repository: { format: 'NPM' } }))[0].promise();
    const [op] = await ar().deleteRepository({ name: repoName('scratch') });
    await op.promise();
    expect((await failure(ar().getRepository({ name: repoName('scratch') }))).code).toBe(5);
    expect((await failure(ar().deleteRepository({ name: repoName('scratch') }))).code).toBe(5);
  });
});

describe('a revision whose image the emulator knows to be missing', () => {
  let emu: RunningEmulator;
  let clients: Clients;
  const RUN_PARENT = `projects/${PROJECT}/locations/europe-north1`;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http });
  });
  afterAll(async () => {
    await clients.close();
    await emu.stop();
  });

  async function deploy(id: string, image: string): Promise<{ ok: boolean; code?: number; message?: string }> {
    const [op] = await clients.runServices().createService({ parent: RUN_PARENT, serviceId: id, service: { template: { containers: [{ image }] } } });
    try {
      await op.promise();
      return { ok: true };
    } catch (err: any) {
      return { ok: false, code: err.code, message: String(err.message) };
    }
  }

  it('is admitted while the project has no repository here (the emulator cannot judge it)', async () => {
    expect(await deploy('before', `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:1`)).toEqual({ ok: true });
  });

  it("fails with Cloud Run's condition once the project uses Artifact Registry and the repository is missing", async () => {
    await (await clients.artifactRegistry().createRepository({ parent: `projects/${PROJECT}/locations/europe-north1`, repositoryId: 'jokes', repository: { format: 'DOCKER' } }))[0].promise();
    const image = `europe-north1-docker.pkg.dev/${PROJECT}/missing/jokes:1`;
    const res = await deploy('missing-repo', image);
    expect(res.ok).toBe(false);
    expect(res.message).toContain(`Image '${image}' not found.`);
    const [svc] = await clients.runServices().getService({ name: `${RUN_PARENT}/services/missing-repo` });
    expect(svc.terminalCondition?.reason).toBe('CONTAINER_MISSING');
    // A repository in another location is another repository.
    expect((await deploy('other-location', `europe-west1-docker.pkg.dev/${PROJECT}/jokes/jokes:1`)).ok).toBe(false);
  });

  it('admits any tag of an existing repository until a push is recorded, then only pushed tags', async () => {
    expect((await deploy('any-tag', `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:anything`)).ok).toBe(true);
    await push(emu, `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:1.0.0`);
    expect((await deploy('pushed', `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:1.0.0`)).ok).toBe(true);
    const unpushed = await deploy('unpushed', `europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:2.0.0`);
    expect(unpushed.message).toContain(`Image 'europe-north1-docker.pkg.dev/${PROJECT}/jokes/jokes:2.0.0' not found.`);
    // Images outside Artifact Registry, or of other projects, are never judged.
    expect((await deploy('elsewhere', 'gcr.io/cloudrun/hello')).ok).toBe(true);
    expect((await deploy('other-project', 'europe-north1-docker.pkg.dev/someone-else/repo/app:1')).ok).toBe(true);
  });
});
