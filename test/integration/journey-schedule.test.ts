/**
 * Issue 14, acceptance 2: "a private service invoked nightly by a Schedule with its own
 * account", as the quick start declares it (manifests/accounts.yaml and
 * manifests/nightly-report.yaml, manifests/nightly-schedule.yaml), applied on a fresh emulator and checked through the
 * official clients: the job sends the scheduler account's OIDC token with the service's
 * URL as audience, that account holds run.invoker on the private service, a second apply
 * writes nothing; and a Schedule naming an account that does not exist is refused with
 * Google's message.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const MANIFESTS = path.resolve(__dirname, '../../manifests');
const PARENT = 'projects/local-project/locations/europe-north1';
const SCHEDULER = 'scheduler@local-project.iam.gserviceaccount.com';

describe('journey: a private service invoked nightly by a Schedule with its own account', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    dir = path.join(h.dir, 'nightly');
    fs.mkdirSync(dir);
    for (const f of ['accounts.yaml', 'repositories.yaml', 'nightly-report.yaml', 'nightly-schedule.yaml']) fs.copyFileSync(path.join(MANIFESTS, f), path.join(dir, f));
  });
  afterAll(async () => h?.close());

  it('applies the quick start\'s nightly report: account, private service, schedule', async () => {
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    for (const key of ['ServiceAccount/scheduler', 'Service/nightly-report', 'Schedule/nightly-report']) expect(res.stdout).toContain(`+ ${key}`);

    const [account] = [(await h.clients.iamServiceAccounts().get({ name: `projects/local-project/serviceAccounts/${SCHEDULER}` })).data];
    expect(account.email).toBe(SCHEDULER);

    const [svc] = await h.clients.runServices().getService({ name: `${PARENT}/services/nightly-report` });
    const [job] = await h.clients.scheduler().getJob({ name: `${PARENT}/jobs/nightly-report` });
    expect(job.schedule).toBe('0 3 * * *');
    expect(job.timeZone).toBe('Europe/Helsinki');
    expect(job.state).toBe('ENABLED');
    expect(job.httpTarget?.uri).toBe(`${svc.uri}/run`);
    expect(job.httpTarget?.oidcToken).toEqual({ serviceAccountEmail: SCHEDULER, audience: svc.uri });

    // Private: no allUsers, run.invoker for the scheduler's account.
    const [policy] = await h.clients.runServices().getIamPolicy({ resource: svc.name! });
    const invokers = (policy.bindings ?? []).filter((b) => b.role === 'roles/run.invoker').flatMap((b) => b.members ?? []);
    expect(invokers).toContain(`serviceAccount:${SCHEDULER}`);
    expect(invokers).not.toContain('allUsers');

    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('refuses a Schedule whose account does not exist, with Google\'s message', async () => {
    const file = h.write('ghost/schedule.yaml', `apiVersion: runctl.dev/v1alpha1
kind: Schedule
metadata: {name: ghost-report}
spec:
  region: europe-north1
  schedule: "0 4 * * *"
  target: {url: "https://example.com/run"}
  serviceAccount: ghost-caller@local-project.iam.gserviceaccount.com
`);
    const res = await h.cli(['apply', '-f', file]);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain('Service account ghost-caller@local-project.iam.gserviceaccount.com does not exist.');
    await expect(h.clients.scheduler().getJob({ name: `${PARENT}/jobs/ghost-report` })).rejects.toThrow(/Job not found/);
  });
});
