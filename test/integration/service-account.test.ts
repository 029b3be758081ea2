/**
 * The ServiceAccount kind end to end against a standalone emulator, read back through the
 * official clients (`@googleapis/iam` for the account, Resource Manager's ProjectsClient
 * for the project IAM policy): create, no-op with zero writes, update, drift put back,
 * roles someone else granted left alone, adopt, prune — and a concurrent change elsewhere
 * in the project policy during an apply is kept (etag conflict, re-read, re-apply).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, serviceYaml, TRANSPORTS, type Harness } from '../helpers/harness';

const PROJECT = 'local-project';
const email = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;
const member = (id: string) => `serviceAccount:${email(id)}`;

function accountYaml(name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>): string {
  const YAML = require('yaml') as typeof import('yaml');
  return YAML.stringify({ apiVersion: 'runctl.dev/v1alpha1', kind: 'ServiceAccount', metadata: { name, ...(annotations ? { annotations } : {}) }, spec });
}

describe.each(TRANSPORTS)('ServiceAccount end to end (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
  });
  afterAll(async () => h?.close());

  const account = async (id: string) => (await h.clients.iamServiceAccounts().get({ name: `projects/${PROJECT}/serviceAccounts/${email(id)}` })).data;
  const policy = async () => (await h.clients.projects().getIamPolicy({ resource: `projects/${PROJECT}` }))[0];
  const rolesOf = async (id: string) => (await policy()).bindings!.filter((b) => b.members!.includes(member(id))).map((b) => b.role).sort();
  /** Change the project policy through the client, as another tool would. */
  async function editPolicy(edit: (bindings: Array<{ role?: string | null; members?: string[] | null }>) => void): Promise<void> {
    const p = await policy();
    const bindings = (p.bindings ?? []).map((b) => ({ role: b.role, members: [...(b.members ?? [])] }));
    edit(bindings);
    await h.clients.projects().setIamPolicy({ resource: `projects/${PROJECT}`, policy: { etag: p.etag, bindings: bindings.filter((b) => b.members.length) } });
  }

  it('creates the account and grants its roles; a second apply writes nothing', async () => {
    const file = h.write('sa/a.yaml', accountYaml('jokes-api', { displayName: 'Jokes API', description: 'runs the jokes API', roles: ['roles/aiplatform.user', 'roles/logging.logWriter'] }));
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ ServiceAccount/jokes-api');
    expect(plan.stdout).toContain(`creates ${email('jokes-api')}`);
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const a = await account('jokes-api');
    expect(a).toMatchObject({ displayName: 'Jokes API', email: email('jokes-api') });
    // The ownership record sits at the end of the description; users see their own text.
    expect(a.description).toBe('runs the jokes API [managed-by=runctl runctl-set=default roles=aiplatform.user,logging.logWriter]');
    expect(await rolesOf('jokes-api')).toEqual(['roles/aiplatform.user', 'roles/logging.logWriter']);
    await h.resetStats();
    const again = await h.cli(['apply', '-f', file]);
    expect(again.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    const got = await h.cli(['get', 'ServiceAccount', 'jokes-api', '-o', 'yaml']);
    expect(got.stdout).toContain('description: runs the jokes API\n');
    expect(got.stdout).toContain(`email: ${email('jokes-api')}`);
  });

  it('updates displayName, description and roles, revoking only what it granted', async () => {
    const file = h.write('sa/a.yaml', accountYaml('jokes-api', { displayName: 'Jokes', description: 'the jokes API', roles: ['roles/aiplatform.user', 'roles/secretmanager.secretAccessor'] }));
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.displayName: "Jokes API" → "Jokes"');
    expect(diff.stdout).toMatch(/spec\.roles/);
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect(await account('jokes-api')).toMatchObject({ displayName: 'Jokes', description: 'the jokes API [managed-by=runctl runctl-set=default roles=aiplatform.user,secretmanager.secretAccessor]' });
    expect(await rolesOf('jokes-api')).toEqual(['roles/aiplatform.user', 'roles/secretmanager.secretAccessor']);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('puts drift back: a removed role and a changed display name', async () => {
    const file = h.write('sa/a.yaml', accountYaml('jokes-api', { displayName: 'Jokes', description: 'the jokes API', roles: ['roles/aiplatform.user', 'roles/secretmanager.secretAccessor'] }));
    await editPolicy((bs) => {
      const b = bs.find((x) => x.role === 'roles/aiplatform.user')!;
      b.members = b.members!.filter((m) => m !== member('jokes-api'));
    });
    const a = await account('jokes-api');
    await h.clients.iamServiceAccounts().patch({ name: a.name!, requestBody: { serviceAccount: { displayName: 'Someone else', description: a.description }, updateMask: 'displayName' } });
    const diff = await h.cli(['diff', '-f', file]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.displayName: "Someone else" → "Jokes"');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect((await account('jokes-api')).displayName).toBe('Jokes');
    expect(await rolesOf('jokes-api')).toEqual(['roles/aiplatform.user', 'roles/secretmanager.secretAccessor']);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('leaves a role someone else granted to the account, and says so', async () => {
    await editPolicy((bs) => bs.push({ role: 'roles/viewer', members: [member('jokes-api')] }));
    const file = h.write('sa/a.yaml', accountYaml('jokes-api', { displayName: 'Jokes', description: 'the jokes API', roles: ['roles/aiplatform.user'] }));
    const plan = await h.cli(['plan', '-f', file]);
    expect(plan.stdout).toContain('roles/viewer is granted to this account by someone else (not runctl): left as it is');
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    // runctl revoked the role it granted (secretAccessor), never the one it did not make.
    expect(await rolesOf('jokes-api')).toEqual(['roles/aiplatform.user', 'roles/viewer']);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
    // Declared later, the foreign role is kept but never claimed: removing it from the manifest again does not revoke it.
    h.write('sa/a.yaml', accountYaml('jokes-api', { displayName: 'Jokes', description: 'the jokes API', roles: ['roles/aiplatform.user', 'roles/viewer'] }));
    const pre = await h.cli(['plan', '-f', file]);
    expect(pre.code).toBe(0);
    h.write('sa/a.yaml', accountYaml('jokes-api', { displayName: 'Jokes', description: 'the jokes API', roles: ['roles/aiplatform.user'] }));
    expect((await h.cli(['apply', '-f', file])).code).toBe(0);
    expect(await rolesOf('jokes-api')).toContain('roles/viewer');
  });

  it('a Service runs as ServiceAccount/NAME (the email resolved before the account exists); Cloud Run refuses an account that does not exist', async () => {
    h.write('svc/a.yaml', accountYaml('runner-one', { roles: ['roles/logging.logWriter'] }));
    h.write('svc/s.yaml', serviceYaml('sa-user', { serviceAccount: 'ServiceAccount/runner-one', invokers: ['ServiceAccount/runner-one'] }));
    const dir = `${h.dir}/svc`;
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.stdout).toContain(email('runner-one'));
    expect(plan.stdout.indexOf('+ ServiceAccount/runner-one')).toBeLessThan(plan.stdout.indexOf('+ Service/sa-user'));
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const [svc] = await h.clients.runServices().getService({ name: `projects/${PROJECT}/locations/europe-north1/services/sa-user` });
    expect(svc.template!.serviceAccount).toBe(email('runner-one'));
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);

    h.write('ghost/s.yaml', serviceYaml('ghosted', { serviceAccount: email('nobody-here') }));
    const ghost = await h.cli(['apply', '-f', `${h.dir}/ghost`]);
    expect(ghost.code).toBe(1);
    expect(ghost.stdout + ghost.stderr).toContain(`Permission 'iam.serviceaccounts.actAs' denied on service account ${email('nobody-here')} (or it may not exist).`);
  });

  it('adopts an existing account only with --adopt, keeping the roles it already had', async () => {
    await h.clients.iamServiceAccounts().create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'legacy-acct', serviceAccount: { displayName: 'Legacy' } } });
    await editPolicy((bs) => bs.push({ role: 'roles/storage.objectViewer', members: [member('legacy-acct')] }));
    const file = h.write('adopt/a.yaml', accountYaml('legacy-acct', { displayName: 'Legacy', roles: ['roles/pubsub.publisher'] }));
    const refused = await h.cli(['apply', '-f', file]);
    expect(refused.code).toBe(1);
    expect((await account('legacy-acct')).description).toBeUndefined();
    const adopted = await h.cli(['apply', '--adopt', '-f', file]);
    expect(adopted.code, adopted.stdout + adopted.stderr).toBe(0);
    expect((await account('legacy-acct')).description).toBe('[managed-by=runctl runctl-set=default roles=pubsub.publisher]');
    expect(await rolesOf('legacy-acct')).toEqual(['roles/pubsub.publisher', 'roles/storage.objectViewer']);
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('prunes only the set\'s own accounts, revoking the roles it granted; abandon keeps the account', async () => {
    const dir = `${h.dir}/prune`;
    h.write('prune/a.yaml', accountYaml('prune-me', { roles: ['roles/logging.logWriter'] }));
    h.write('prune/b.yaml', accountYaml('keep-me-1', {}, { 'runctl.dev/deletion-policy': 'abandon' }));
    h.write('prune/c.yaml', accountYaml('stays-put', {}));
    expect((await h.cli(['apply', '--set', 'pruning', '-f', dir])).code).toBe(0);
    h.write('prune/a.yaml', accountYaml('stays-put', {}));
    h.write('prune/b.yaml', accountYaml('stays-put', {}));
    const res = await h.cli(['apply', '--set', 'pruning', '--prune', '--yes', '-f', `${dir}/c.yaml`]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    await expect(account('prune-me')).rejects.toThrow();
    expect(await rolesOf('prune-me')).toEqual([]);
    expect((await policy()).bindings!.flatMap((b) => b.members).some((m) => m!.includes('prune-me'))).toBe(false);
    expect((await account('keep-me-1')).email).toBe(email('keep-me-1'));
    // Accounts of other sets and unmanaged ones were never candidates.
    expect((await account('jokes-api')).email).toBe(email('jokes-api'));
    expect((await account('legacy-acct')).email).toBe(email('legacy-acct'));
  });
});

describe('ServiceAccount: a concurrent change elsewhere in the project policy is kept', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const policy = async () => (await h.clients.projects().getIamPolicy({ resource: `projects/${PROJECT}` }))[0];

  /** Wait until the emulator has seen a call of `method` (bounded). */
  async function seen(method: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (((await h.stats()).calls[method] ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${method} was never called`);
  }

  it.each([
    ['create', 'IAM.CreateServiceAccount', 'conc-new', {}],
    ['update', 'IAM.PatchServiceAccount', 'conc-old', { displayName: 'before' }],
  ] as const)('on %s: another writer\'s binding and runctl\'s grant both survive', async (_what, slowMethod, name, before) => {
    if (Object.keys(before).length) {
      expect((await h.cli(['apply', '-f', h.write(`${name}.yaml`, accountYaml(name, before))])).code).toBe(0);
    }
    const file = h.write(`${name}.yaml`, accountYaml(name, { displayName: 'after', roles: ['roles/aiplatform.user'] }));
    // runctl reads the policy while planning, then its account write is slowed down: the
    // other writer's change lands in between, so runctl's policy write meets a new etag.
    h.emu.core.faults = [{ method: slowMethod, code: 0, latencyMs: 600 }];
    await h.resetStats();
    const applying = h.cli(['apply', '-f', file]);
    await seen(slowMethod);
    const p = await policy();
    const other = `serviceAccount:123456789012-compute@developer.gserviceaccount.com`;
    await h.clients.projects().setIamPolicy({
      resource: `projects/${PROJECT}`,
      policy: { etag: p.etag, bindings: [...(p.bindings ?? []), { role: `roles/other.${name.replace('-', '')}`, members: [other] }] },
    });
    const res = await applying;
    h.emu.core.faults = [];
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const stats = await h.stats();
    // The stale write was refused once, then re-read and re-applied.
    expect(stats.calls['Projects.SetIamPolicy']).toBe(3);
    const after = await policy();
    expect(after.bindings!.find((b) => b.role === `roles/other.${name.replace('-', '')}`)!.members).toEqual([other]);
    expect(after.bindings!.find((b) => b.role === 'roles/aiplatform.user')!.members).toContain(member(name));
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });
});
