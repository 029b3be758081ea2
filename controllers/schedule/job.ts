/**
 * The Schedule kind's two shapes of one job: the manifest form runctl compares (target as
 * the URL called, durations as `300s`, every server default filled) and the Cloud
 * Scheduler v1 `Job` it writes and reads. A job has no labels: ownership and the
 * manifest's labels live on the last line of its description as `key=value` words.
 */
import type { protos } from '@google-cloud/scheduler';
import { UNKNOWN } from '../../src/validate/references';
import { normalizeDuration, toProtoDuration } from '../../src/util/duration';
import type { ScheduleSpec } from '../generated/manifests';

/** A Cloud Scheduler job as the client reads and writes it. */
export type Job = protos.google.cloud.scheduler.v1.IJob;

/** Server defaults of a job's retry settings and attempt deadline (job.proto). */
export const DEFAULTS = {
  timeZone: 'Etc/UTC',
  method: 'POST',
  attemptDeadline: '180s',
  retry: { count: 0, minBackoff: '5s', maxBackoff: '3600s', maxDoublings: 5, maxRetryDuration: '0s' },
} as const;

/** The compared form of a Schedule (the shape of `spec`, normalised). */
export type ScheduleForm = {
  description?: string;
  schedule: string;
  timeZone: string;
  target: { url: string; method: string; headers?: Record<string, string>; body?: string };
  serviceAccount?: string;
  audience?: string;
  retry: { count: number; minBackoff: string; maxBackoff: string; maxDoublings: number; maxRetryDuration: string };
  attemptDeadline: string;
  paused: boolean;
};

/** What the form needs to know beyond the spec: the target Service's URL and the account's email. */
export interface FormInputs {
  /** The Service's `status.url`; undefined while it does not exist. */
  serviceUrl?: string;
  /** The account email (`ServiceAccount/NAME` resolved). */
  serviceAccount?: string;
}

/** The URL a Schedule calls: the Service's URL + path, or its `url`. */
export function targetUrl(spec: ScheduleSpec, serviceUrl: string | undefined): string {
  if (spec.target.url) return spec.target.url;
  return serviceUrl ? `${serviceUrl.replace(/\/+$/, '')}${spec.target.path ?? '/'}` : UNKNOWN;
}

/** The manifest's desired form, defaults filled as Cloud Scheduler fills them. */
export function desiredForm(spec: ScheduleSpec, inputs: FormInputs): ScheduleForm {
  const r = spec.retry ?? {};
  const target: ScheduleForm['target'] = { url: targetUrl(spec, inputs.serviceUrl), method: spec.target.method ?? DEFAULTS.method };
  if (spec.target.headers && Object.keys(spec.target.headers).length) target.headers = { ...spec.target.headers };
  if (spec.target.body) target.body = spec.target.body;
  const form: ScheduleForm = {
    schedule: spec.schedule.trim().split(/\s+/).join(' '),
    timeZone: spec.timeZone ?? DEFAULTS.timeZone,
    target,
    retry: {
      count: r.count ?? DEFAULTS.retry.count,
      minBackoff: normalizeDuration(r.minBackoff) ?? DEFAULTS.retry.minBackoff,
      maxBackoff: normalizeDuration(r.maxBackoff) ?? DEFAULTS.retry.maxBackoff,
      maxDoublings: r.maxDoublings ?? DEFAULTS.retry.maxDoublings,
      maxRetryDuration: normalizeDuration(r.maxRetryDuration) ?? DEFAULTS.retry.maxRetryDuration,
    },
    attemptDeadline: normalizeDuration(spec.attemptDeadline) ?? DEFAULTS.attemptDeadline,
    paused: !!spec.paused,
  };
  if (spec.description) form.description = spec.description;
  if (inputs.serviceAccount) {
    form.serviceAccount = inputs.serviceAccount;
    // Cloud Run checks the audience against the service's URL; a path would not match.
    form.audience = spec.audience ?? (spec.target.url ? spec.target.url : inputs.serviceUrl ?? UNKNOWN);
  }
  return form;
}

// --- ownership in the description ---------------------------------------------------

const WORD = /^([a-z][a-z0-9_.-]*)=([A-Za-z0-9_.-]*)$/;

/** Split a job description into the user's text and the labels on its last line. */
export function readDescription(text: string | null | undefined): { description?: string; labels: Record<string, string> } {
  const lines = (text ?? '').split('\n');
  const last = lines[lines.length - 1].trim();
  const words = last ? last.split(/\s+/) : [];
  if (!words.length || !words.every((w) => WORD.test(w)) || !words.some((w) => w.startsWith('managed-by='))) {
    return { description: text || undefined, labels: {} };
  }
  const labels: Record<string, string> = {};
  for (const w of words) {
    const [, k, v] = WORD.exec(w)!;
    labels[k] = v;
  }
  const description = lines.slice(0, -1).join('\n').trim();
  return { description: description || undefined, labels };
}

/** The description runctl writes: the user's text, then ownership first and the other labels sorted. */
export function writeDescription(description: string | undefined, labels: Record<string, string>): string {
  const first = ['managed-by', 'runctl-set'];
  const keys = [...first.filter((k) => k in labels), ...Object.keys(labels).filter((k) => !first.includes(k)).sort()];
  const line = keys.map((k) => `${k}=${labels[k]}`).join(' ');
  return description ? `${description}\n${line}` : line;
}

// --- Job <-> form ---------------------------------------------------------------------

/** Bytes as the client gives them (a Buffer over gRPC, base64 text in some REST paths) as text. */
function bodyText(body: Uint8Array | string | null | undefined): string | undefined {
  if (body === undefined || body === null) return undefined;
  const buf = typeof body === 'string' ? Buffer.from(body, 'base64') : Buffer.from(body as Uint8Array);
  return buf.length ? buf.toString('utf8') : undefined;
}

const seconds = (d: unknown, dflt: string) => normalizeDuration(d) ?? dflt;

/** A live job in the compared form. */
export function liveForm(job: Job): ScheduleForm {
  const t = job.httpTarget;
  const r = job.retryConfig ?? {};
  const target: ScheduleForm['target'] = t
    ? { url: t.uri ?? '', method: String(t.httpMethod ?? DEFAULTS.method) }
    : { url: job.pubsubTarget?.topicName ? `pubsub:${job.pubsubTarget.topicName}` : 'app-engine:', method: DEFAULTS.method };
  if (t?.headers && Object.keys(t.headers).length) target.headers = { ...t.headers };
  const body = bodyText(t?.body);
  if (body) target.body = body;
  const form: ScheduleForm = {
    schedule: job.schedule ?? '',
    timeZone: job.timeZone || DEFAULTS.timeZone,
    target,
    retry: {
      count: Number(r.retryCount ?? 0),
      minBackoff: seconds(r.minBackoffDuration, DEFAULTS.retry.minBackoff),
      maxBackoff: seconds(r.maxBackoffDuration, DEFAULTS.retry.maxBackoff),
      maxDoublings: r.maxDoublings ?? DEFAULTS.retry.maxDoublings,
      maxRetryDuration: seconds(r.maxRetryDuration, DEFAULTS.retry.maxRetryDuration),
    },
    attemptDeadline: seconds(job.attemptDeadline, DEFAULTS.attemptDeadline),
    paused: job.state === 'PAUSED',
  };
  const { description } = readDescription(job.description);
  if (description) form.description = description;
  const token = t?.oidcToken ?? t?.oauthToken;
  if (token?.serviceAccountEmail) form.serviceAccount = token.serviceAccountEmail;
  // Without an audience Google sends the URI as the audience.
  if (t?.oidcToken) form.audience = t.oidcToken.audience || t.uri || undefined;
  return form;
}

const proto = (text: string) => toProtoDuration(text);

/** The job to write from the desired form and the labels for its description. */
export function jobBody(name: string, form: ScheduleForm, labels: Record<string, string>): Job {
  const httpTarget: NonNullable<Job['httpTarget']> = { uri: form.target.url, httpMethod: form.target.method as never };
  if (form.target.headers) httpTarget.headers = { ...form.target.headers };
  if (form.target.body) httpTarget.body = Buffer.from(form.target.body, 'utf8');
  if (form.serviceAccount) httpTarget.oidcToken = { serviceAccountEmail: form.serviceAccount, audience: form.audience };
  return {
    name,
    description: writeDescription(form.description, labels),
    schedule: form.schedule,
    timeZone: form.timeZone,
    httpTarget,
    retryConfig: {
      retryCount: form.retry.count,
      minBackoffDuration: proto(form.retry.minBackoff),
      maxBackoffDuration: proto(form.retry.maxBackoff),
      maxDoublings: form.retry.maxDoublings,
      maxRetryDuration: proto(form.retry.maxRetryDuration),
    },
    attemptDeadline: proto(form.attemptDeadline),
  };
}

/** Every field an update writes (the whole job but its state, which pause/resume set). */
export const UPDATE_MASK = ['description', 'schedule', 'time_zone', 'http_target', 'retry_config', 'attempt_deadline'];

/** A live job as a manifest declares it (`get -o yaml`): server defaults left out. */
export function manifestSpec(form: ScheduleForm, region: string): Record<string, unknown> {
  const spec: Record<string, unknown> = { region };
  if (form.description) spec.description = form.description;
  spec.schedule = form.schedule;
  spec.timeZone = form.timeZone;
  const target: Record<string, unknown> = { url: form.target.url };
  if (form.target.method !== DEFAULTS.method) target.method = form.target.method;
  if (form.target.headers) target.headers = form.target.headers;
  if (form.target.body) target.body = form.target.body;
  spec.target = target;
  if (form.serviceAccount) spec.serviceAccount = form.serviceAccount;
  if (form.audience && form.audience !== form.target.url) spec.audience = form.audience;
  const retry: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form.retry)) if (v !== DEFAULTS.retry[k as keyof typeof DEFAULTS.retry]) retry[k] = v;
  if (Object.keys(retry).length) spec.retry = retry;
  if (form.attemptDeadline !== DEFAULTS.attemptDeadline) spec.attemptDeadline = form.attemptDeadline;
  if (form.paused) spec.paused = true;
  return spec;
}
