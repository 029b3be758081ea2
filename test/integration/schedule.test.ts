/**
 * The Schedule kind end to end against a standalone emulator, read back through the
 * official `@google-cloud/scheduler` and `@google-cloud/run` clients: a private Service
 * invoked by a Cloud Scheduler job with its own account's OIDC token (audience = the
 * Service's URL), the account granted run.invoker on the Service through the set's
 * grants; no-op, update, drift (someone pausing the job) put back, adopt and prune.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceYaml, startHarness, TRANSPORTS, type Harness } from '../helpers/harness';

const REGION = 'europe-north1';
const PARENT = `projects/local-project/locations/${REGION}`;
const JOB = `${PARENT}/jobs/nightly-report`;
const SA = 'scheduler@local-project.iam.gserviceaccount.com';

const scheduleYaml = (name: string, spec: string, meta = '') =>
  `apiVersion: runctl.dev/v1alpha1\nkind: Schedule\nmetadata: {name: ${name}${meta}}\nspec:\n${spec}`;

const NIGHTLY = `  region: ${REGION}
  schedule: "0 3 * * *"
  timeZone: Europe/Helsinki
  target: {service: nightly-report, path: /run, method: POST, body: '{"full":true}', headers: {Content-Type: application/json}}
  serviceAccount: ${SA}
  retry: {count: 3}
`;

describe.each(TRANSPORTS)('Schedule end to end (%s)', (transport) => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness({ transport });
    // The job's OIDC account must exist (the emulator's IAM module answers for it).
    await h.clients.iamServiceAccounts().create({ name: 'projects/local-project', requestBody: { accountId: 'scheduler' } });
    dir = path.join(h.dir, 'nightly');
    h.write('nightly/service.yaml', serviceYaml('nightly-report', { public: false }));
    h.write('nightly/schedule.yaml', scheduleYaml('nightly-report', NIGHTLY));
  });
  afterAll(async () => h?.close());

  const job = async (name = JOB) => (await h.clients.scheduler().getJob({ name }))[0];
  const invokers = async (svc: string) => {
    const [policy] = await h.clients.runServices().getIamPolicy({ resource: `${PARENT}/services/${svc}` });
    return (policy.bindings ?? []).filter((b) => b.role === 'roles/run.invoker').flatMap((b) => b.members ?? []);
  };
  const serviceUrl = async (svc: string) => (await h.clients.runServices().getService({ name: `${PARENT}/services/${svc}` }))[0].uri!;

  it('creates the job with the account\'s OIDC token for the Service\'s URL, and grants it run.invoker there', async () => {
    const plan = await h.cli(['plan', '-f', dir]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('+ Schedule/nightly-report');
    expect(plan.stdout).toContain(`${SA} is granted roles/run.invoker on Service/nightly-report`);
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const url = await serviceUrl('nightly-report');
    const j = await job();
    expect(j.schedule).toBe('0 3 * * *');
    expect(j.timeZone).toBe('Europe/Helsinki');
    expect(j.state).toBe('ENABLED');
    expect(j.httpTarget?.uri).toBe(`${url}/run`);
    expect(j.httpTarget?.httpMethod).toBe('POST');
    expect(Buffer.from(j.httpTarget!.body as Uint8Array).toString()).toBe('{"full":true}');
    expect(j.httpTarget?.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(j.httpTarget?.oidcToken).toEqual({ serviceAccountEmail: SA, audience: url });
    expect(j.retryConfig?.retryCount).toBe(3);
    expect(j.description).toBe('managed-by=runctl runctl-set=default');
    expect(await invokers('nightly-report')).toEqual([`serviceAccount:${SA}`]);
  });

  it('a second apply writes nothing and diff finds nothing', async () => {
    await h.resetStats();
    const res = await h.cli(['apply', '-f', dir]);
    expect(res.stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('updates the schedule in place', async () => {
    h.write('nightly/schedule.yaml', scheduleYaml('nightly-report', NIGHTLY.replace('"0 3 * * *"', '"30 2 * * 1-5"').replace('count: 3', 'count: 2, minBackoff: 30s')));
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.schedule: "0 3 * * *" → "30 2 * * 1-5"');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const j = await job();
    expect(j.schedule).toBe('30 2 * * 1-5');
    expect(j.retryConfig?.retryCount).toBe(2);
    expect(Number(j.retryConfig?.minBackoffDuration?.seconds)).toBe(30);
    expect(j.httpTarget?.oidcToken?.serviceAccountEmail).toBe(SA);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('puts back drift: someone pauses the job and changes its target', async () => {
    await h.clients.scheduler().pauseJob({ name: JOB });
    await h.clients.scheduler().updateJob({ job: { name: JOB, timeZone: 'Etc/UTC' }, updateMask: { paths: ['time_zone'] } });
    const diff = await h.cli(['diff', '-f', dir]);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toContain('~ spec.paused: true → false');
    expect(diff.stdout).toContain('~ spec.timeZone: "Etc/UTC" → "Europe/Helsinki"');
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    const j = await job();
    expect(j.state).toBe('ENABLED');
    expect(j.timeZone).toBe('Europe/Helsinki');
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
  });

  it('pauses and resumes as declared', async () => {
    h.write('nightly/schedule.yaml', scheduleYaml('nightly-report', `${NIGHTLY.replace('"0 3 * * *"', '"30 2 * * 1-5"').replace('count: 3', 'count: 2, minBackoff: 30s')}  paused: true\n`));
    await h.resetStats();
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await job()).state).toBe('PAUSED');
    // Pausing is the only write (the job itself did not change).
    expect((await h.stats()).calls['CloudScheduler.UpdateJob'] ?? 0).toBe(0);
    expect((await h.cli(['diff', '-f', dir])).code).toBe(0);
    h.write('nightly/schedule.yaml', scheduleYaml('nightly-report', NIGHTLY));
    expect((await h.cli(['apply', '-f', dir])).code).toBe(0);
    expect((await job()).state).toBe('ENABLED');
  });

  it('refuses to take over a job it did not make, unless --adopt', async () => {
    const url = await serviceUrl('nightly-report');
    await h.clients.scheduler().createJob({
      parent: PARENT,
      job: { name: `${PARENT}/jobs/hand-made`, schedule: '0 1 * * *', timeZone: 'Etc/UTC', description: 'made by hand', httpTarget: { uri: `${url}/run`, oidcToken: { serviceAccountEmail: SA } } },
    });
    const file = h.write('adopt/hand-made.yaml', scheduleYaml('hand-made', `  region: ${REGION}\n  description: made by hand\n  schedule: "0 1 * * *"\n  target: {url: "${url}/run"}\n  serviceAccount: ${SA}\n  audience: "${url}/run"\n`));
    // As the manifest says: left alone, nothing written.
    await h.resetStats();
    const same = await h.cli(['apply', '-f', file]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect((await h.stats()).writes).toBe(0);
    expect((await job(`${PARENT}/jobs/hand-made`)).description).toBe('made by hand');
    // Different: refused without --adopt.
    h.write('adopt/hand-made.yaml', scheduleYaml('hand-made', `  region: ${REGION}\n  description: made by hand\n  schedule: "0 2 * * *"\n  target: {url: "${url}/run"}\n  serviceAccount: ${SA}\n  audience: "${url}/run"\n`));
    const refused = await h.cli(['apply', '-f', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('--adopt');
    expect((await job(`${PARENT}/jobs/hand-made`)).schedule).toBe('0 1 * * *');
    expect((await h.cli(['apply', '-f', file, '--adopt'])).code).toBe(0);
    const j = await job(`${PARENT}/jobs/hand-made`);
    expect(j.schedule).toBe('0 2 * * *');
    expect(j.description).toBe('made by hand\nmanaged-by=runctl runctl-set=default');
    expect((await h.cli(['diff', '-f', file])).code).toBe(0);
  });

  it('lists its jobs with get, and prunes a job no longer declared', async () => {
    const got = JSON.parse((await h.cli(['get', 'Schedule', 'nightly-report', '-o', 'json'])).stdout);
    expect(got.spec).toMatchObject({ schedule: '0 3 * * *', timeZone: 'Europe/Helsinki', serviceAccount: SA });
    expect(got.status).toMatchObject({ state: 'ENABLED' });
    // What get prints, piped back into diff, plans no change (target as the URL it calls).
    const yaml = (await h.cli(['get', 'Schedule', 'nightly-report', '-o', 'yaml'])).stdout;
    const back = await h.cli(['diff', '-f', '-'], { stdin: yaml });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    h.write('nightly/schedule.yaml', '');
    const res = await h.cli(['apply', '-f', dir, '--prune', '--yes']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('- Schedule/nightly-report');
    // The adopted job belongs to the set now, and these manifests no longer name it either.
    expect(res.stdout).toContain('- Schedule/hand-made');
    await expect(job()).rejects.toThrow(/Job not found/);
    await expect(job(`${PARENT}/jobs/hand-made`)).rejects.toThrow(/Job not found/);
    // A Service that declares no invokers of its own keeps the member it was granted:
    // runctl cannot tell it from one someone else added.
    expect(await invokers('nightly-report')).toEqual([`serviceAccount:${SA}`]);
    // An unrelated job is never pruned.
    await h.clients.scheduler().createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/other`, schedule: '0 1 * * *', httpTarget: { uri: 'https://example.com/' } } });
    expect((await h.cli(['apply', '-f', dir, '--prune', '--yes'])).code).toBe(0);
    expect((await job(`${PARENT}/jobs/other`)).name).toBe(`${PARENT}/jobs/other`);
  });

  it('merges the grant into invokers a Service declares, and takes it away with the Schedule', async () => {
    const other = 'auditor@local-project.iam.gserviceaccount.com';
    await h.clients.iamServiceAccounts().create({ name: 'projects/local-project', requestBody: { accountId: 'auditor' } });
    const d = path.join(h.dir, 'declared');
    h.write('declared/service.yaml', serviceYaml('weekly-report', { public: false, invokers: [`serviceAccount:${other}`] }));
    h.write('declared/schedule.yaml', scheduleYaml('weekly-report', NIGHTLY.replace('service: nightly-report', 'service: weekly-report')));
    const plan = await h.cli(['plan', '-f', d]);
    expect(plan.stdout).toContain(`invoker serviceAccount:${SA} (for Schedule/weekly-report)`);
    expect((await h.cli(['apply', '-f', d])).code).toBe(0);
    expect((await invokers('weekly-report')).sort()).toEqual([`serviceAccount:${other}`, `serviceAccount:${SA}`]);
    await h.resetStats();
    expect((await h.cli(['apply', '-f', d])).stdout).toContain('No changes');
    expect((await h.stats()).writes).toBe(0);
    // The Schedule leaves the set: its grant leaves the declared invokers with it.
    h.write('declared/schedule.yaml', '');
    const res = await h.cli(['apply', '-f', d, '--prune', '--yes']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(await invokers('weekly-report')).toEqual([`serviceAccount:${other}`]);
  });

  it('runs on the simulated clock and records what the private service answered', async () => {
    const d = path.join(h.dir, 'runs');
    h.write('runs/service.yaml', serviceYaml('hourly-report', { public: false }));
    h.write('runs/schedule.yaml', scheduleYaml('hourly-report', NIGHTLY.replace('service: nightly-report', 'service: hourly-report').replace('"0 3 * * *"', '"0 * * * *"')));
    expect((await h.cli(['apply', '-f', d])).code).toBe(0);
    const name = `${PARENT}/jobs/hourly-report`;
    const before = await job(name);
    expect(before.lastAttemptTime).toBeFalsy();
    // An hour of simulated time: the job runs once, as an invoker of the private service.
    await fetch(`http://${h.emu.http}/__emulator/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 3600 }) });
    const ran = await job(name);
    expect(Number(ran.lastAttemptTime?.seconds)).toBe(Number(before.scheduleTime?.seconds));
    expect(ran.status).toBeFalsy();
    expect(Number(ran.scheduleTime?.seconds)).toBeGreaterThan(Number(before.scheduleTime?.seconds));
    // The hand-run mistake: a job whose account was never granted run.invoker is refused.
    const url = await serviceUrl('hourly-report');
    await h.clients.scheduler().createJob({
      parent: PARENT,
      job: { name: `${PARENT}/jobs/by-hand`, schedule: '0 1 * * *', httpTarget: { uri: `${url}/run`, oidcToken: { serviceAccountEmail: 'auditor@local-project.iam.gserviceaccount.com', audience: url } } },
    });
    const [refused] = await h.clients.scheduler().runJob({ name: `${PARENT}/jobs/by-hand` });
    expect(refused.status?.code).toBe(7);
    // Without a token at all, Cloud Run answers 401.
    await h.clients.scheduler().updateJob({ job: { name: `${PARENT}/jobs/by-hand`, httpTarget: { uri: `${url}/run` } }, updateMask: { paths: ['http_target'] } });
    expect((await h.clients.scheduler().runJob({ name: `${PARENT}/jobs/by-hand` }))[0].status?.code).toBe(16);
  });
});
