/**
 * The secret journey (issue 14, acceptance 2) as the manifest set in examples/journey-secret/:
 * a ServiceAccount with a project role, a Secret fed from the file next to it, and a private
 * Service running as that account whose env reads the Secret. Applied on a standalone
 * emulator and read back through the official clients (@googleapis/iam, Resource Manager,
 * Secret Manager, Cloud Run). Then the accessor grant is removed by hand: the next revision
 * fails with Cloud Run's message, and applying the same manifests restores it and heals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root';
import { startHarness, type Harness } from '../helpers/harness';

const SRC = path.join(packageRoot(), 'examples', 'journey-secret');
const PROJECT = 'local-project';
const EMAIL = `jokes-runner@${PROJECT}.iam.gserviceaccount.com`;
const MEMBER = `serviceAccount:${EMAIL}`;
const ACCESSOR = 'roles/secretmanager.secretAccessor';
const SECRET = `projects/${PROJECT}/secrets/jokes-api-key`;
const SERVICE = `projects/${PROJECT}/locations/europe-north1/services/jokes-private`;

describe('secret journey: account with a project role, secret from a file, private service reading it', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    // A copy, so the test never writes into the package's examples.
    dir = path.join(h.dir, 'journey-secret');
    fs.cpSync(SRC, dir, { recursive: true });
  });
  afterAll(async () => h?.close());

  const sm = () => h.clients.secretManager();
  const run = () => h.clients.runServices();
  const accessorsOf = async (resource: string) => {
    const [p] = await sm().getIamPolicy({ resource });
    return (p.bindings ?? []).filter((b) => b.role === ACCESSOR).flatMap((b) => b.members ?? []);
  };
  const projectRolesOf = async (member: string) => {
    const [p] = await h.clients.projects().getIamPolicy({ resource: `projects/${PROJECT}` });
    return (p.bindings ?? []).filter((b) => b.members?.includes(member)).map((b) => b.role).sort();
  };

  it('applies the set; the account, its role, the secret, the grant on that secret only and the service read back', async () => {
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(MEMBER);
    expect(plan.stdout).not.toContain(fs.readFileSync(path.join(SRC, 'api-key.txt'), 'utf8'));
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);

    const { data: account } = await h.clients.iamServiceAccounts().get({ name: `projects/${PROJECT}/serviceAccounts/${EMAIL}` });
    expect(account.email).toBe(EMAIL);
    // The project role it declares, and nothing about secrets at the project level.
    expect(await projectRolesOf(MEMBER)).toEqual(['roles/aiplatform.user']);

    const [version] = await sm().accessSecretVersion({ name: `${SECRET}/versions/latest` });
    expect(Buffer.from(version.payload!.data as Uint8Array).toString()).toBe(fs.readFileSync(path.join(SRC, 'api-key.txt'), 'utf8'));
    expect(await accessorsOf(SECRET)).toEqual([MEMBER]);

    const [svc] = await run().getService({ name: SERVICE });
    expect(svc.template?.serviceAccount).toBe(EMAIL);
    expect(svc.template?.containers?.[0]?.env?.find((e) => e.name === 'API_KEY')?.valueSource?.secretKeyRef).toMatchObject({ secret: 'jokes-api-key', version: 'latest' });
    expect(svc.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
    expect(svc.latestReadyRevision).toBe(svc.latestCreatedRevision);
    // Private: nobody but authenticated callers with run.invoker.
    const [runPolicy] = await run().getIamPolicy({ resource: SERVICE });
    expect((runPolicy.bindings ?? []).flatMap((b) => b.members ?? [])).not.toContain('allUsers');

    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
  });

  it('without the accessor grant the next revision fails with Cloud Run\'s message; applying again restores it and heals', async () => {
    const [p] = await sm().getIamPolicy({ resource: SECRET });
    await sm().setIamPolicy({ resource: SECRET, policy: { etag: p.etag, bindings: (p.bindings ?? []).filter((b) => b.role !== ACCESSOR) } });
    expect(await accessorsOf(SECRET)).toEqual([]);

    // Someone rolls a new revision by hand (a changed env value; the rest of the service as it was).
    const [svc] = await run().getService({ name: SERVICE });
    const containers = svc.template!.containers!.map((c) => ({ ...c, env: c.env!.map((e) => (e.name === 'LOG_LEVEL' ? { name: 'LOG_LEVEL', value: 'debug' } : e)) }));
    const [op] = await run().updateService({ service: { ...svc, template: { ...svc.template!, revision: '', containers } } });
    const failure = await op.promise().then(() => '', (err: Error) => err.message);
    expect(failure).toContain(`Permission denied on secret: projects/`);
    expect(failure).toContain(`/secrets/jokes-api-key/versions/latest for Revision service account ${EMAIL}.`);
    const [failed] = await run().getService({ name: SERVICE });
    expect(failed.terminalCondition?.reason).toBe('SECRETS_ACCESS_CHECK_FAILED');
    expect(failed.latestReadyRevision).not.toBe(failed.latestCreatedRevision);

    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(2);
    expect(diff.stdout).toContain(MEMBER);
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await accessorsOf(SECRET)).toEqual([MEMBER]);
    const [healed] = await run().getService({ name: SERVICE });
    expect(healed.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
    expect(healed.latestReadyRevision).toBe(healed.latestCreatedRevision);
    expect(healed.template?.containers?.[0]?.env?.find((e) => e.name === 'LOG_LEVEL')?.value).toBe('info');
    // The latest revision serves all traffic.
    const serving = (healed.trafficStatuses ?? []).filter((t) => (t.percent ?? 0) > 0);
    expect(serving.map((t) => [t.revision || healed.latestReadyRevision!.split('/').pop(), t.percent])).toEqual([[healed.latestReadyRevision!.split('/').pop(), 100]]);
    expect(await projectRolesOf(MEMBER)).toEqual(['roles/aiplatform.user']);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });
});
