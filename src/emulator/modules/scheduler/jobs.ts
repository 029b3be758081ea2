/**
 * Cloud Scheduler v1 jobs: the state, the validation Google applies on create and
 * update, and the eight methods of `google.cloud.scheduler.v1.CloudScheduler`. Stored
 * jobs are plain proto3 objects (camelCase, enum names, `{seconds}` durations, bytes as
 * base64). Behaviour and its sources: `src/emulator/spec/scheduler.md`.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import { attempt } from './attempts';
import { isTimeZone, nextRun, parseCron } from './cron';

/** A stored job (proto3 JSON-like). */
export type Job = Record<string, any>;

interface SchedulerState {
  /** Jobs by full name. */
  jobs: Record<string, Job>;
}

/** The module's state namespace. */
export function schedulerState(core: EmulatorCore): SchedulerState {
  return core.ns<SchedulerState>('scheduler', () => ({ jobs: {} }));
}

const invalid = (message: string): never => {
  throw new EmulatorError(Code.INVALID_ARGUMENT, message);
};

const TARGETS = ['pubsubTarget', 'appEngineHttpTarget', 'httpTarget'];
const HTTP_METHODS = ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
/** Methods that may carry a body (target.proto, HttpTarget.body). */
const BODY_METHODS = ['POST', 'PUT', 'PATCH'];
/** Fields a caller may set; the rest of a Job is output only. */
const MUTABLE = ['description', 'schedule', 'timeZone', 'retryConfig', 'attemptDeadline', ...TARGETS];
const ID = /^[A-Za-z0-9_-]{1,500}$/;
const SEGMENT = /^[^/]+$/;

/** google.protobuf.Duration → seconds (fractions kept). */
export function durationSeconds(d: any): number {
  if (d === undefined || d === null) return 0;
  return Number(d.seconds ?? 0) + Number(d.nanos ?? 0) / 1e9;
}

/** A protobuf Timestamp for simulated ms. */
function timestamp(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round(ms - seconds * 1000) * 1_000_000 };
}

/** `projects/{p}/locations/{l}`, or INVALID_ARGUMENT. */
export function parseParent(parent: unknown): { project: string; location: string } {
  const parts = typeof parent === 'string' ? parent.split('/') : [];
  if (parts.length !== 4 || parts[0] !== 'projects' || parts[2] !== 'locations' || !SEGMENT.test(parts[1]) || !SEGMENT.test(parts[3])) {
    invalid(`Invalid resource field value in the request. parent: "${String(parent ?? '')}" must be of the form projects/PROJECT_ID/locations/LOCATION_ID.`);
  }
  return { project: parts[1], location: parts[3] };
}

/** `projects/{p}/locations/{l}/jobs/{id}`, or INVALID_ARGUMENT. */
function parseJobName(name: unknown, field = 'name'): string {
  const parts = typeof name === 'string' ? name.split('/') : [];
  if (parts.length !== 6 || parts[4] !== 'jobs' || !ID.test(parts[5])) {
    invalid(`Invalid resource field value in the request. ${field}: "${String(name ?? '')}" must be of the form projects/PROJECT_ID/locations/LOCATION_ID/jobs/JOB_ID, where JOB_ID contains only letters, numbers, hyphens and underscores (at most 500).`);
  }
  parseParent(parts.slice(0, 4).join('/'));
  return parts.join('/');
}

function getStored(core: EmulatorCore, name: unknown): Job {
  const job = schedulerState(core).jobs[parseJobName(name)];
  if (!job) throw new EmulatorError(Code.NOT_FOUND, 'Job not found.');
  return job;
}

/** proto-loader's virtual oneof properties (`target: 'httpTarget'`, `authorizationHeader: 'oidcToken'`) are not data. */
function stripOneofs(value: any): any {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value) || Array.isArray(value)) return value;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(value)) {
    if ((k === 'target' || k === 'authorizationHeader') && typeof v === 'string') continue;
    out[k] = stripOneofs(v);
  }
  return out;
}

/** Bytes as base64 for state (a Buffer from gRPC, a base64 string already from JSON). */
function bytesToBase64(b: unknown): string | undefined {
  if (b === undefined || b === null) return undefined;
  if (Buffer.isBuffer(b) || b instanceof Uint8Array) return b.length ? Buffer.from(b).toString('base64') : undefined;
  return typeof b === 'string' && b ? b : undefined;
}

function checkDuration(d: any, field: string, min: number, max: number): void {
  if (d === undefined) return;
  const s = durationSeconds(d);
  if (!(s >= min && s <= max)) invalid(`${field} must be between ${min}s and ${max}s.`);
}

/** The HTTP target as stored: method defaulted, body base64, one authorization header at most. */
function normalizeHttpTarget(core: EmulatorCore, t: any): Job {
  if (!t.uri) invalid('HttpTarget.uri is required.');
  let url: URL | undefined;
  try {
    url = new URL(t.uri);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) invalid(`HttpTarget.uri "${t.uri}" must be a fully qualified http:// or https:// URL.`);
  const method = !t.httpMethod || t.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : t.httpMethod;
  if (!HTTP_METHODS.includes(method)) invalid(`HttpTarget.http_method "${method}" is not supported.`);
  const body = bytesToBase64(t.body);
  if (body && !BODY_METHODS.includes(method)) invalid(`A request body is allowed only if the HTTP method is POST, PUT or PATCH; got ${method}.`);
  if (t.oauthToken && t.oidcToken) invalid('Only one of oauth_token and oidc_token may be set.');
  const out: Job = { uri: t.uri, httpMethod: method };
  if (t.headers && Object.keys(t.headers).length) {
    for (const h of Object.keys(t.headers)) {
      if (/^(x-google-|x-appengine-|content-length$|host$)/i.test(h)) invalid(`Header "${h}" cannot be set: it is set by Cloud Scheduler.`);
    }
    out.headers = { ...t.headers };
  }
  if (body) out.body = body;
  for (const kind of ['oauthToken', 'oidcToken'] as const) {
    const tok = t[kind];
    if (!tok) continue;
    const email = tok.serviceAccountEmail;
    if (!email) invalid(`HttpTarget.${kind === 'oidcToken' ? 'oidc_token' : 'oauth_token'}.service_account_email is required.`);
    // Cloud Scheduler resolves the account when the job is written (and refuses it then), not when it runs.
    if (!core.directory.serviceAccountExists(email)) invalid(`Service account ${email} does not exist.`);
    out[kind] = { serviceAccountEmail: email, ...(kind === 'oidcToken' && tok.audience ? { audience: tok.audience } : {}), ...(kind === 'oauthToken' && tok.scope ? { scope: tok.scope } : {}) };
  }
  return out;
}

/** The default retry settings Google fills in (job.proto, RetryConfig). */
function normalizeRetry(r: any): Job {
  const count = Number(r?.retryCount ?? 0);
  if (!Number.isInteger(count) || count < 0 || count > 5) invalid('RetryConfig.retry_count must be between 0 and 5.');
  const doublings = r?.maxDoublings === undefined ? 5 : Number(r.maxDoublings);
  if (!Number.isInteger(doublings) || doublings < 0 || doublings > 16) invalid('RetryConfig.max_doublings must be between 0 and 16.');
  checkDuration(r?.maxRetryDuration, 'RetryConfig.max_retry_duration', 0, 864000);
  checkDuration(r?.minBackoffDuration, 'RetryConfig.min_backoff_duration', 0, 3600);
  checkDuration(r?.maxBackoffDuration, 'RetryConfig.max_backoff_duration', 0, 3600);
  const sec = (d: any, dflt: number) => ({ seconds: String(d === undefined ? dflt : Math.floor(durationSeconds(d))) });
  const min = sec(r?.minBackoffDuration, 5);
  const max = sec(r?.maxBackoffDuration, 3600);
  if (Number(min.seconds) > Number(max.seconds)) invalid('RetryConfig.min_backoff_duration must not be greater than max_backoff_duration.');
  const out: Job = { maxRetryDuration: sec(r?.maxRetryDuration, 0), minBackoffDuration: min, maxBackoffDuration: max, maxDoublings: doublings };
  if (count) out.retryCount = count;
  return out;
}

/**
 * A job as Google stores it from what a caller sent: exactly one target, a valid
 * schedule and time zone, defaults filled (time zone, HTTP method, retry settings,
 * attempt deadline). Output-only fields are the caller's to keep.
 */
function normalizeJob(core: EmulatorCore, input: Job): Job {
  const targets = TARGETS.filter((t) => input[t]);
  if (targets.length !== 1) invalid('Exactly one of pubsub_target, app_engine_http_target and http_target must be set.');
  const schedule = typeof input.schedule === 'string' ? input.schedule.trim() : '';
  const timeZone = input.timeZone || 'Etc/UTC';
  if (!parseCron(schedule) || !isTimeZone(timeZone)) invalid('Schedule or time zone is invalid.');
  const out: Job = {};
  if (input.description) {
    if (String(input.description).length > 500) invalid('Job.description must be at most 500 characters.');
    out.description = input.description;
  }
  const target = targets[0];
  if (target === 'httpTarget') out.httpTarget = normalizeHttpTarget(core, input.httpTarget);
  else if (target === 'pubsubTarget') {
    if (!/^projects\/[^/]+\/topics\/[^/]+$/.test(input.pubsubTarget.topicName ?? '')) invalid('PubsubTarget.topic_name must be of the form projects/PROJECT_ID/topics/TOPIC_ID.');
    out.pubsubTarget = { ...input.pubsubTarget, ...(input.pubsubTarget.data ? { data: bytesToBase64(input.pubsubTarget.data) } : {}) };
  } else out.appEngineHttpTarget = { httpMethod: 'POST', ...input.appEngineHttpTarget, ...(input.appEngineHttpTarget.body ? { body: bytesToBase64(input.appEngineHttpTarget.body) } : {}) };
  out.schedule = schedule;
  out.timeZone = timeZone;
  out.retryConfig = normalizeRetry(input.retryConfig);
  if (target === 'httpTarget') {
    checkDuration(input.attemptDeadline, 'Job.attempt_deadline', 15, 1800);
    out.attemptDeadline = { seconds: String(input.attemptDeadline ? Math.floor(durationSeconds(input.attemptDeadline)) : 180) };
  } else if (input.attemptDeadline) out.attemptDeadline = input.attemptDeadline;
  return out;
}

/** The next run of an enabled job after `afterMs` (simulated clock), as `scheduleTime`; none while paused. */
function withScheduleTime(job: Job, afterMs: number): Job {
  const cron = parseCron(job.schedule);
  const next = cron && job.state === 'ENABLED' ? nextRun(cron, job.timeZone, afterMs) : undefined;
  if (next !== undefined) job.scheduleTime = timestamp(next);
  else delete job.scheduleTime;
  return job;
}

const timestampMs = (t: any): number => Number(t?.seconds ?? 0) * 1000 + Math.floor(Number(t?.nanos ?? 0) / 1e6);

/** One attempt at `atMs`: `lastAttemptTime`, and `status` when the target's answer is known (see attempts.ts). */
function recordAttempt(core: EmulatorCore, job: Job, atMs: number): void {
  job.lastAttemptTime = timestamp(atMs);
  const outcome = attempt(core, job);
  if (!outcome) return;
  if (outcome.code === Code.OK) delete job.status;
  else job.status = { code: outcome.code };
}

/**
 * Run every enabled job whose `scheduleTime` has come (simulated clock), once, and
 * schedule its next run after now: missed runs are not replayed one by one. Called
 * before every API call (`core.beforeChange`), so reads see the clock's effect.
 */
export function runDueJobs(core: EmulatorCore): void {
  const now = core.clock.now();
  for (const job of Object.values(schedulerState(core).jobs)) {
    if (job.state !== 'ENABLED' || !job.scheduleTime) continue;
    const due = timestampMs(job.scheduleTime);
    if (due > now) continue;
    recordAttempt(core, job, due);
    withScheduleTime(job, now);
  }
}

const copy = (j: Job): Job => JSON.parse(JSON.stringify(j));

/** CreateJob: the job's name is the caller's (under `parent`) or generated. */
export function createJob(core: EmulatorCore, req: any): Job {
  const { project, location } = parseParent(req.parent);
  const input = stripOneofs(req.job ?? {});
  const parent = `projects/${project}/locations/${location}`;
  let name: string = input.name || `${parent}/jobs/${core.randomSuffix(20)}`;
  name = parseJobName(name, 'job.name');
  if (!name.startsWith(`${parent}/jobs/`)) invalid(`Job name "${name}" is not under the parent "${parent}".`);
  const st = schedulerState(core);
  if (st.jobs[name]) throw new EmulatorError(Code.ALREADY_EXISTS, `Job ${name} already exists.`);
  const now = core.clock.now();
  const job: Job = { name, ...normalizeJob(core, input), userUpdateTime: timestamp(now), state: 'ENABLED' };
  st.jobs[name] = withScheduleTime(job, now);
  return copy(job);
}

export function getJob(core: EmulatorCore, req: any): Job {
  return copy(getStored(core, req.name));
}

/** ListJobs: sorted by name, opaque page tokens, at most 500 a page. */
export function listJobs(core: EmulatorCore, req: any): { jobs: Job[]; nextPageToken: string } {
  const { project, location } = parseParent(req.parent);
  const prefix = `projects/${project}/locations/${location}/jobs/`;
  const all = Object.keys(schedulerState(core).jobs).filter((n) => n.startsWith(prefix)).sort();
  let offset = 0;
  if (req.pageToken) {
    offset = Number(Buffer.from(String(req.pageToken), 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(offset) || offset < 0) invalid('Invalid page token.');
  }
  const size = Math.min(Math.max(Number(req.pageSize) || 500, 1), 500);
  const page = all.slice(offset, offset + size).map((n) => copy(schedulerState(core).jobs[n]));
  return { jobs: page, nextPageToken: offset + size < all.length ? Buffer.from(`o:${offset + size}`).toString('base64url') : '' };
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * UpdateJob: with a mask, the named fields (snake_case, dotted) are copied from the
 * request (absent = cleared); without one, every field a caller may set is replaced.
 * The result is validated as a whole; the state (paused or not) is kept.
 */
export function updateJob(core: EmulatorCore, req: any): Job {
  const incoming = stripOneofs(req.job ?? {});
  const existing = getStored(core, incoming.name);
  const paths: string[] = (req.updateMask?.paths ?? []).flatMap((p: string) => p.split(',')).map((p: string) => p.trim()).filter(Boolean);
  const next: Job = copy(existing);
  if (paths.length) {
    for (const path of paths) {
      const keys = path.split('.').map(camel);
      if (!MUTABLE.includes(keys[0])) invalid(`Invalid update_mask path: "${path}" cannot be updated.`);
      // A target replaces the others (one oneof).
      if (TARGETS.includes(keys[0])) for (const t of TARGETS) if (t !== keys[0] && incoming[keys[0]] !== undefined) delete next[t];
      let src: any = incoming;
      let dst: any = next;
      for (const k of keys.slice(0, -1)) {
        src = src?.[k];
        if (typeof dst[k] !== 'object' || dst[k] === null) dst[k] = {};
        dst = dst[k];
      }
      const last = keys[keys.length - 1];
      if (src?.[last] === undefined) delete dst[last];
      else dst[last] = src[last];
    }
  } else {
    for (const f of MUTABLE) {
      if (incoming[f] === undefined) delete next[f];
      else next[f] = incoming[f];
    }
  }
  // A retry or deadline field cleared by the mask falls back to its default.
  const job: Job = { name: existing.name, ...normalizeJob(core, next), userUpdateTime: timestamp(core.clock.now()), state: existing.state };
  if (existing.lastAttemptTime) job.lastAttemptTime = existing.lastAttemptTime;
  if (existing.status) job.status = existing.status;
  schedulerState(core).jobs[existing.name] = withScheduleTime(job, core.clock.now());
  return copy(job);
}

export function deleteJob(core: EmulatorCore, req: any): Record<string, never> {
  const job = getStored(core, req.name);
  delete schedulerState(core).jobs[job.name];
  return {};
}

/** Pause and Resume: only from ENABLED, only from PAUSED (cloudscheduler.proto). */
function setState(core: EmulatorCore, req: any, from: string, to: string): Job {
  const job = getStored(core, req.name);
  if (job.state !== from) {
    throw new EmulatorError(Code.FAILED_PRECONDITION, `Job ${job.name} is ${job.state}; only a job in state ${from} can be ${to === 'PAUSED' ? 'paused' : 'resumed'}.`);
  }
  job.state = to;
  job.userUpdateTime = timestamp(core.clock.now());
  return copy(withScheduleTime(job, core.clock.now()));
}

export const pauseJob = (core: EmulatorCore, req: any) => setState(core, req, 'ENABLED', 'PAUSED');
export const resumeJob = (core: EmulatorCore, req: any) => setState(core, req, 'PAUSED', 'ENABLED');

/**
 * RunJob: an attempt now, whatever the schedule or state says; the next scheduled run
 * stays as it was. `lastAttemptTime` is now; `status` is the target's answer when the
 * emulator can judge it (see attempts.ts).
 */
export function runJob(core: EmulatorCore, req: any): Job {
  const job = getStored(core, req.name);
  recordAttempt(core, job, core.clock.now());
  return copy(job);
}
