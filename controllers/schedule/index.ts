/**
 * Schedule: a Cloud Scheduler v1 job that calls a Service of the set (its URL + path) or
 * a URL, on a unix-cron schedule in a time zone, sending the OIDC token of a service
 * account whose audience defaults to the Service's URL. The account needs
 * `roles/run.invoker` on the Service: this kind asks for it (`grants`), and the Service
 * merges it into the invokers it manages. `paused` pauses and resumes the job. Jobs have
 * no labels: ownership is the last line of the description (see `job.ts`).
 */
import type { ApplyContext, Controller, ExportedSpec, ExportOptions, Grant, Identity, LiveResource, Observed, ObserveContext, PlanContext, ResourcePlan, ResourceStatus, Scope } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { locationOf, projectOf, regionOf } from '../../src/engine/location';
import { RunctlError, type Diagnostic, type Manifest } from '../../src/engine/types';
import { isNotFound } from '../../src/gcp/errors';
import { durationSeconds } from '../../src/util/duration';
import { UNKNOWN } from '../../src/validate/references';
import type { ScheduleSpec } from '../generated/manifests';
import { runRegions } from '../shared/cloud-run/run-api';
import { resolveAccount } from '../shared/members';
import { desiredForm, jobBody, liveForm, manifestSpec, readDescription, UPDATE_MASK, type Job, type ScheduleForm } from './job';

const KIND = 'Schedule';
const BODY_METHODS = ['POST', 'PUT', 'PATCH'];

type ScheduleObserved = Observed<Job, ScheduleForm>;

const parentOf = (project: string, region: string) => `projects/${project}/locations/${region}`;

/** The account's email: `ServiceAccount/NAME` resolved (known before the account exists), or the email given. */
function accountEmail(m: Manifest<ScheduleSpec>, ctx: PlanContext): string | undefined {
  return m.spec.serviceAccount ? resolveAccount(m.spec.serviceAccount, ctx) : undefined;
}

/** The target Service's URL, once it exists. */
function serviceUrl(m: Manifest<ScheduleSpec>, ctx: PlanContext): string | undefined {
  const svc = m.spec.target.service;
  const url = svc ? ctx.statusOf(`Service/${svc}`)?.fields.url : undefined;
  return typeof url === 'string' && url ? url : undefined;
}

/** How long apply waits for the target Service's URL, polling once a second. */
const URL_WAIT_MS = 120_000;

/** The target Service's URL read live, waiting while it has none (bounded); undefined if it never comes. */
async function waitForServiceUrl(m: Manifest<ScheduleSpec>, ctx: ApplyContext): Promise<string | undefined> {
  const svc = `Service/${m.spec.target.service}`;
  const { project, region } = locationOf(svc, ctx);
  const name = `projects/${project ?? projectOf(m, ctx.target)}/locations/${region}/services/${m.spec.target.service}`;
  const until = Date.now() + URL_WAIT_MS;
  for (;;) {
    try {
      const [live] = await ctx.clients.runServices().getService({ name });
      if (live.uri) return live.uri;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (Date.now() >= until || ctx.signal?.aborted) return undefined;
    ctx.progress(`waiting for ${svc}'s URL`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function formOf(m: Manifest<ScheduleSpec>, ctx: PlanContext): ScheduleForm {
  return desiredForm(m.spec, { serviceUrl: serviceUrl(m, ctx), serviceAccount: accountEmail(m, ctx) });
}

/** Every job of a location, once per run. */
async function listJobs(ctx: ObserveContext, project: string, region: string): Promise<Map<string, Job>> {
  return ctx.cached(`scheduler.jobs:${project}/${region}`, async () => {
    const [jobs] = await ctx.clients.scheduler().listJobs({ parent: parentOf(project, region) });
    return new Map(jobs.map((j) => [j.name ?? '', j]));
  });
}

/**
 * The regions to look for a project's jobs in when a scope names none: the project's
 * Cloud Run regions (one cached ListLocations shared with the Service kinds), since a
 * Schedule calls a Service and lives in a region runctl uses.
 */
const regionsOf = (ctx: ObserveContext, project: string): Promise<string[]> => runRegions(ctx, project);

const iso = (t: Job['scheduleTime']) => (t?.seconds !== undefined && t.seconds !== null ? new Date(Number(t.seconds) * 1000).toISOString() : undefined);

function status(job: Job): ResourceStatus {
  const paused = job.state === 'PAUSED';
  return {
    fields: {
      name: job.name,
      url: job.httpTarget?.uri || undefined,
      state: job.state,
      serviceAccount: job.httpTarget?.oidcToken?.serviceAccountEmail || undefined,
      nextRun: iso(job.scheduleTime),
      lastAttempt: iso(job.lastAttemptTime),
    },
    ready: { status: 'True', reason: 'Available', ...(paused ? { message: 'paused: the job does not run until resumed' } : {}) },
  };
}

/** An etag for saved plans: the job's last user update (the API has no etag). */
const etagOf = (job: Job) => (job.userUpdateTime ? `${job.userUpdateTime.seconds}.${job.userUpdateTime.nanos ?? 0}` : undefined);

function observed(job: Job): ScheduleObserved {
  return { exists: true, spec: liveForm(job), labels: readDescription(job.description).labels, etag: etagOf(job), raw: job, status: status(job) };
}

/** A listed job's spec with references rebuilt towards exported resources (see `exportSpec`). */
function exportedForm(listed: Record<string, unknown>, exported: LiveResource[]): Record<string, unknown> {
  const spec = structuredClone(listed) as Record<string, any>;
  const url: unknown = spec.target?.url;
  if (typeof url === 'string') {
    for (const svc of exported.filter((x) => x.kind === 'Service')) {
      const base = svc.status?.fields.url;
      if (typeof base !== 'string' || !base || (url !== base && !url.startsWith(`${base}/`))) continue;
      const { url: _dropped, ...rest } = spec.target;
      const path = url.slice(base.length);
      spec.target = { service: svc.name, ...(path && path !== '/' ? { path } : {}), ...rest };
      // With a URL target the audience defaults to the URL (so the listing leaves an equal
      // one out); with a service target it defaults to the service's base URL. Keep the
      // live audience whenever it is not that base URL (Google's default is the full URI).
      const audience = spec.audience ?? (spec.serviceAccount ? url : undefined);
      if (audience === undefined || audience === base) delete spec.audience;
      else spec.audience = audience;
      break;
    }
  }
  if (typeof spec.serviceAccount === 'string') {
    const account = exported.find((x) => x.kind === 'ServiceAccount' && x.status?.fields.email === spec.serviceAccount);
    if (account) spec.serviceAccount = `ServiceAccount/${account.name}`;
  }
  return spec;
}

/** Checks the schema cannot express; the API would refuse these. */
function validate(m: Manifest<ScheduleSpec>): Diagnostic[] {
  const s = m.spec;
  const out: Diagnostic[] = [];
  if (!s?.target) return out;
  if (s.target.url && s.target.path) out.push({ code: 'InvalidValue', path: 'spec.target.path', message: 'a path goes with target.service; with target.url, put the path in the URL' });
  const method = s.target.method ?? 'POST';
  if (s.target.body && !BODY_METHODS.includes(method)) {
    out.push({ code: 'InvalidValue', path: 'spec.target.body', message: `a request body is sent only with POST, PUT or PATCH (method is ${method})` });
  }
  if (s.attemptDeadline !== undefined) {
    const d = durationSeconds(s.attemptDeadline);
    if (!(d >= 15 && d <= 1800)) out.push({ code: 'InvalidValue', path: 'spec.attemptDeadline', message: 'must be between 15s and 30m (Cloud Scheduler HTTP targets)' });
  }
  const r = s.retry ?? {};
  for (const f of ['minBackoff', 'maxBackoff'] as const) {
    if (r[f] !== undefined && durationSeconds(r[f]) > 3600) out.push({ code: 'InvalidValue', path: `spec.retry.${f}`, message: 'must be at most 1h' });
  }
  if (r.minBackoff !== undefined && r.maxBackoff !== undefined && durationSeconds(r.minBackoff) > durationSeconds(r.maxBackoff)) {
    out.push({ code: 'InvalidValue', path: 'spec.retry.minBackoff', message: 'must not be longer than spec.retry.maxBackoff' });
  }
  if (s.audience && !s.serviceAccount) out.push({ code: 'InvalidValue', path: 'spec.audience', message: 'an audience needs spec.serviceAccount (the account whose OIDC token carries it)' });
  return out;
}

export const scheduleController: Controller<ScheduleSpec, Job, ScheduleForm> = {
  kind: KIND,
  schema: 'schedule.schema.json',
  regional: true,

  validate,

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const region = regionOf(m, ctx.target);
    return { project, region, name: m.metadata.name, fullName: `${parentOf(project, region)}/jobs/${m.metadata.name}` };
  },

  grants({ manifest: m }, ctx): Grant[] {
    const svc = m.spec.target?.service;
    const email = accountEmail(m, ctx);
    if (!svc || !email || email.includes('${')) return [];
    return [{ on: `Service/${svc}`, role: 'roles/run.invoker', member: `serviceAccount:${email}`, from: `${KIND}/${m.metadata.name}` }];
  },

  async observe({ id }, ctx) {
    const job = (await listJobs(ctx, id.project, id.region!)).get(id.fullName);
    return job ? observed(job) : { exists: false };
  },

  desired({ manifest: m }, ctx) {
    return formOf(m, ctx);
  },

  plan({ manifest: m, desired, observed: obs }): ResourcePlan {
    const notes: string[] = [];
    const account = desired.serviceAccount;
    if (account && m.spec.target.service) notes.push(`${account} is granted roles/run.invoker on Service/${m.spec.target.service} (through that Service's invokers)`);
    if (!obs.exists) {
      if (desired.paused) notes.push('created paused');
      return { action: 'create', changes: diffDeclared(desired, {}).changes, notes };
    }
    const { changes } = diffDeclared(desired, obs.spec, { exact: ['target', 'retry'] });
    if (!changes.length) return { action: 'noop', changes, notes: [] };
    const pausedChange = changes.find((c) => c.path === 'spec.paused');
    if (pausedChange) notes.push(desired.paused ? 'pauses the job' : 'resumes the job (it was paused)');
    return { action: 'update', changes, notes };
  },

  async apply({ manifest: m, id, desired: planned, observed: obs, plan }, ctx) {
    let desired = planned;
    if (JSON.stringify(desired).includes(UNKNOWN) && m.spec.target.service) {
      // The Service exists but has no URL yet (a concurrent apply's create still in
      // flight): wait for it, as a `${Service/x.status.url}` reference would.
      const url = await waitForServiceUrl(m, ctx);
      if (url) desired = desiredForm(m.spec, { serviceUrl: url, serviceAccount: accountEmail(m, ctx) });
    }
    if (JSON.stringify(desired).includes(UNKNOWN)) {
      throw new RunctlError('DependencyFailed', `${KIND}/${id.name}: the target Service's URL is still unknown (does Service/${m.spec.target.service} exist?); nothing was written`);
    }
    const client = ctx.clients.scheduler();
    const labels = m.metadata.labels ?? {};
    const body = jobBody(id.fullName, desired, labels);
    let job: Job;
    if (plan.action === 'create') {
      ctx.progress('creating job');
      [job] = await client.createJob({ parent: parentOf(id.project, id.region!), job: body });
      if (desired.paused) [job] = await client.pauseJob({ name: id.fullName });
      return observed(job);
    }
    if (plan.action !== 'update' || !obs.raw) throw new RunctlError('Internal', `${KIND}/${id.name}: cannot carry out a ${plan.action} plan`);
    job = obs.raw;
    const fieldsChanged = plan.changes.some((c) => c.path !== 'spec.paused');
    if (fieldsChanged) {
      ctx.progress('updating job');
      [job] = await client.updateJob({ job: body, updateMask: { paths: UPDATE_MASK } });
    }
    const live = obs.spec?.paused ?? false;
    if (desired.paused !== live) {
      ctx.progress(desired.paused ? 'pausing job' : 'resuming job');
      [job] = desired.paused ? await client.pauseJob({ name: id.fullName }) : await client.resumeJob({ name: id.fullName });
    }
    return observed(job);
  },

  async delete({ id }, ctx) {
    ctx.progress('deleting job');
    try {
      await ctx.clients.scheduler().deleteJob({ name: id.fullName });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },

  /**
   * The job as a manifest declares it: a URL under an exported Service's URL becomes
   * `target: {service, path}` (its audience, that URL, is then the default), and the OIDC
   * account of an exported ServiceAccount becomes `ServiceAccount/NAME`.
   */
  async exportSpec(r: LiveResource, _ctx, opts?: ExportOptions): Promise<ExportedSpec> {
    return { spec: exportedForm(r.spec, opts?.exported ?? []), status: r.status?.fields };
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const out = new Map<string, LiveResource>();
    for (const s of scopes) {
      const regions = s.region ? [s.region] : await regionsOf(ctx, s.project);
      for (const region of regions) {
        for (const job of (await listJobs(ctx, s.project, region)).values()) {
          const fullName = job.name ?? '';
          const name = fullName.split('/').pop() ?? '';
          const o = observed(job);
          out.set(fullName, { kind: KIND, name, identity: { project: s.project, region, name, fullName }, labels: o.labels ?? {}, spec: manifestSpec(o.spec!, region), status: o.status, etag: o.etag });
        }
      }
    }
    return [...out.values()];
  },
};
