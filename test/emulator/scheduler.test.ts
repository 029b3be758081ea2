/**
 * Conformance: Cloud Scheduler v1 through the official client (`@google-cloud/scheduler`),
 * over gRPC and over REST/JSON (the client's fallback mode, served by the transcoder):
 * CRUD, update masks, pause/resume/run, server defaults and output-only fields, the
 * schedule/time-zone check, and a service account that must exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clients, type Transport } from '../../src/gcp/clients';
import { apiError } from '../../src/gcp/errors';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server';
import { isTimeZone, nextRun, parseCron } from '../../src/emulator/modules/scheduler/cron';

const P = 'sched-proj';
const PARENT = `projects/${P}/locations/europe-north1`;
const SA = 'scheduler@sched-proj.iam.gserviceaccount.com';

async function codeOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    // The canonical code whichever transport answered (REST errors carry the HTTP status).
    const info = apiError(err);
    return { code: info.code, message: info.message };
  }
  throw new Error('call succeeded');
}

const httpJob = (id: string, extra: Record<string, unknown> = {}) => ({
  name: `${PARENT}/jobs/${id}`,
  schedule: '0 3 * * *',
  timeZone: 'Europe/Helsinki',
  httpTarget: {
    uri: 'https://nightly-report-abc-lz.a.run.app/run',
    httpMethod: 'POST' as const,
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from('{"full":true}'),
    oidcToken: { serviceAccountEmail: SA, audience: 'https://nightly-report-abc-lz.a.run.app' },
  },
  ...extra,
});

describe.each<Transport>(['grpc', 'rest'])('scheduler: jobs over %s', (transport) => {
  let emu: RunningEmulator;
  let clients: Clients;
  const sched = () => clients.scheduler();

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    clients = new Clients({ mode: 'emulator', grpc: emu.grpc, http: emu.http, transport });
    // The job's OIDC account must exist (the emulator's IAM module answers core.directory).
    await clients.iamServiceAccounts().create({ name: `projects/${P}`, requestBody: { accountId: 'scheduler' } });
  });
  afterAll(async () => {
    await clients?.close();
    await emu?.stop();
  });

  it('creates a job with server defaults and output-only fields', async () => {
    const [job] = await sched().createJob({ parent: PARENT, job: httpJob('nightly') });
    expect(job.name).toBe(`${PARENT}/jobs/nightly`);
    expect(job.state).toBe('ENABLED');
    expect(job.httpTarget?.oidcToken).toEqual({ serviceAccountEmail: SA, audience: 'https://nightly-report-abc-lz.a.run.app' });
    expect(Buffer.from(job.httpTarget!.body as Uint8Array).toString()).toBe('{"full":true}');
    expect(job.httpTarget?.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(Number(job.attemptDeadline?.seconds)).toBe(180);
    expect(job.retryConfig).toMatchObject({ maxDoublings: 5 });
    expect(Number(job.retryConfig?.minBackoffDuration?.seconds)).toBe(5);
    expect(Number(job.retryConfig?.maxBackoffDuration?.seconds)).toBe(3600);
    expect(Number(job.userUpdateTime?.seconds)).toBeGreaterThan(0);
    // The next 03:00 in Helsinki, after now.
    const next = Number(job.scheduleTime?.seconds) * 1000;
    expect(next).toBeGreaterThan(Date.now());
    const hour = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Helsinki', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).format(new Date(next));
    expect(hour).toBe('03:00');
    const [got] = await sched().getJob({ name: job.name });
    expect(got.httpTarget?.uri).toBe('https://nightly-report-abc-lz.a.run.app/run');
  });

  it('refuses a duplicate, a missing job, and a bad name', async () => {
    expect((await codeOf(sched().createJob({ parent: PARENT, job: httpJob('nightly') }))).code).toBe(6);
    const missing = await codeOf(sched().getJob({ name: `${PARENT}/jobs/nope` }));
    expect(missing.code).toBe(5);
    expect(missing.message).toContain('Job not found.');
    expect((await codeOf(sched().createJob({ parent: PARENT, job: httpJob('bad.name') }))).code).toBe(3);
  });

  it('refuses an invalid schedule or time zone with Google\'s message', async () => {
    for (const extra of [{ schedule: '61 * * * *' }, { schedule: 'every day' }, { timeZone: 'Mars/Olympus' }, { schedule: '' }]) {
      const e = await codeOf(sched().createJob({ parent: PARENT, job: httpJob('badsched', extra) }));
      expect(e.code).toBe(3);
      expect(e.message).toContain('Schedule or time zone is invalid.');
    }
  });

  it('refuses an OIDC token for a service account that does not exist', async () => {
    const job = httpJob('ghost');
    job.httpTarget.oidcToken.serviceAccountEmail = 'ghost@sched-proj.iam.gserviceaccount.com';
    const e = await codeOf(sched().createJob({ parent: PARENT, job }));
    expect(e.code).toBe(3);
    expect(e.message).toContain('Service account ghost@sched-proj.iam.gserviceaccount.com does not exist.');
  });

  it('validates retry, deadline and body rules', async () => {
    expect((await codeOf(sched().createJob({ parent: PARENT, job: httpJob('r', { retryConfig: { retryCount: 6 } }) }))).code).toBe(3);
    expect((await codeOf(sched().createJob({ parent: PARENT, job: httpJob('d', { attemptDeadline: { seconds: 5 } }) }))).code).toBe(3);
    const get = httpJob('g');
    get.httpTarget.httpMethod = 'GET' as any;
    expect((await codeOf(sched().createJob({ parent: PARENT, job: get }))).code).toBe(3);
  });

  it('updates by mask and keeps the rest', async () => {
    const [before] = await sched().getJob({ name: `${PARENT}/jobs/nightly` });
    const [job] = await sched().updateJob({
      job: { name: `${PARENT}/jobs/nightly`, schedule: '30 4 * * 1-5', retryConfig: { retryCount: 3 } },
      updateMask: { paths: ['schedule', 'retry_config.retry_count'] },
    });
    expect(job.schedule).toBe('30 4 * * 1-5');
    expect(job.retryConfig?.retryCount).toBe(3);
    expect(job.timeZone).toBe('Europe/Helsinki');
    expect(job.httpTarget?.oidcToken?.serviceAccountEmail).toBe(SA);
    expect(Number(job.userUpdateTime?.seconds)).toBeGreaterThanOrEqual(Number(before.userUpdateTime?.seconds));
    expect((await codeOf(sched().updateJob({ job: { name: `${PARENT}/jobs/nightly`, state: 'PAUSED' }, updateMask: { paths: ['state'] } }))).code).toBe(3);
  });

  it('pauses, resumes and runs', async () => {
    const name = `${PARENT}/jobs/nightly`;
    const [paused] = await sched().pauseJob({ name });
    expect(paused.state).toBe('PAUSED');
    expect(paused.scheduleTime).toBeFalsy();
    expect((await codeOf(sched().pauseJob({ name }))).code).toBe(9);
    // An update keeps a paused job paused.
    const [updated] = await sched().updateJob({ job: { name, description: 'x' }, updateMask: { paths: ['description'] } });
    expect(updated.state).toBe('PAUSED');
    const [resumed] = await sched().resumeJob({ name });
    expect(resumed.state).toBe('ENABLED');
    expect((await codeOf(sched().resumeJob({ name }))).code).toBe(9);
    const [ran] = await sched().runJob({ name });
    expect(Number(ran.lastAttemptTime?.seconds)).toBeGreaterThan(0);
  });

  it('lists with pages and deletes', async () => {
    for (const id of ['a1', 'a2', 'a3']) await sched().createJob({ parent: PARENT, job: httpJob(id) });
    const [page, next] = await sched().listJobs({ parent: PARENT, pageSize: 2 }, { autoPaginate: false });
    expect(page.map((j) => j.name)).toEqual([`${PARENT}/jobs/a1`, `${PARENT}/jobs/a2`]);
    expect(next?.pageToken).toBeTruthy();
    const [all] = await sched().listJobs({ parent: PARENT });
    expect(all.map((j) => j.name!.split('/').pop())).toEqual(['a1', 'a2', 'a3', 'nightly']);
    await sched().deleteJob({ name: `${PARENT}/jobs/a1` });
    expect((await codeOf(sched().deleteJob({ name: `${PARENT}/jobs/a1` }))).code).toBe(5);
    const [other] = await sched().listJobs({ parent: `projects/${P}/locations/us-central1` });
    expect(other).toEqual([]);
  });
});

describe('scheduler: unix-cron', () => {
  it('parses the syntax Google accepts and refuses the rest', () => {
    for (const ok of ['* * * * *', '0 3 * * *', '*/15 9-17 * * mon-fri', '0 0 1,15 jan,jul *', '5 4 * * 7', '0 12 * * SUN']) expect(parseCron(ok), ok).toBeTruthy();
    for (const bad of ['', '* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '5-1 * * * *', 'every 5 minutes']) expect(parseCron(bad), bad).toBeUndefined();
    expect(isTimeZone('Europe/Helsinki')).toBe(true);
    expect(isTimeZone('Etc/UTC')).toBe(true);
    expect(isTimeZone('Europe/Nowhere')).toBe(false);
  });

  it('computes the next run in the time zone, across daylight saving time', () => {
    const at = (iso: string) => Date.parse(iso);
    // 03:00 in Helsinki is 00:00Z in summer (UTC+3) and 01:00Z in winter (UTC+2).
    expect(nextRun(parseCron('0 3 * * *')!, 'Europe/Helsinki', at('2026-07-01T12:00:00Z'))).toBe(at('2026-07-02T00:00:00Z'));
    expect(nextRun(parseCron('0 3 * * *')!, 'Europe/Helsinki', at('2026-12-01T12:00:00Z'))).toBe(at('2026-12-02T01:00:00Z'));
    // The night the clocks go forward (29 March 2026 in the EU): 00:30 local still runs.
    expect(nextRun(parseCron('30 0 * * *')!, 'Europe/Helsinki', at('2026-03-28T12:00:00Z'))).toBe(at('2026-03-28T22:30:00Z'));
    expect(nextRun(parseCron('0 0 1 * mon')!, 'Etc/UTC', at('2026-06-01T00:00:00Z'))).toBe(at('2026-06-08T00:00:00Z'));
    expect(nextRun(parseCron('0 0 30 2 *')!, 'Etc/UTC', at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });
});
