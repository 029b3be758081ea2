/**
 * Slo, pure part: names, the Cloud Monitoring objects a Slo manifest stands for
 * (monitored service, SLO, email channels, burn-rate alert policies), and the manifest
 * form read back from live objects. No I/O. gcp-apis.md §5.
 */
import { identityLabels } from '../../src/engine/ownership';
import { digest } from '../shared/digest';
import { durationSeconds, normalizeDuration } from '../../src/util/duration';

/**
 * A loose view of the Cloud Monitoring messages this kind reads and writes (Service,
 * ServiceLevelObjective, AlertPolicy, NotificationChannel) as plain objects. Not forced
 * by the client library: still to be replaced by `protos.google.monitoring.v3.I*`
 * (about 80 use sites across controllers/slo/ narrow it today).
 */
export type Obj = Record<string, any>;

/** User labels runctl puts on alert policies to find them again (IDs are server-assigned). */
export const LABEL_SLO = 'runctl-slo';
export const LABEL_ALERT = 'runctl-alert';

/** The resource key a Slo's own objects (its alert policies) carry in their identity. */
export const sloKey = (id: string) => `Slo/${id}`;
/** An alert policy's role: its index in `alerts` (so editing an alert updates it in place). */
export const alertRole = (index: number) => `alert-${index}`;
/**
 * Email channels are shared by every Slo of a set (one channel per address), so their
 * identity names the kind rather than one Slo, and the address (hashed: label values
 * cannot hold `@`) as the role.
 */
export const CHANNEL_OWNER = 'Slo';
export const channelRole = (address: string) => `channel-${digest(address.toLowerCase(), 12)}`;

/** Identity labels of a Slo's alert policy. */
export const alertIdentity = (set: string, sloId: string, index: number) => identityLabels(set, sloKey(sloId), alertRole(index));
/** Identity labels of the set's email channel for an address. */
export const channelIdentity = (set: string, address: string) => identityLabels(set, CHANNEL_OWNER, channelRole(address));

/** Where the measured Cloud Run service lives. */
export interface Target {
  project: string;
  service: string;
  location: string;
}

/** ID of the monitored service runctl creates for a Cloud Run service. */
export const monitoredServiceId = (t: Target) => `run-${t.service}-${t.location}`;

const q = (s: string) => JSON.stringify(s);

/** Filter selecting a Cloud Run service's metric (run.googleapis.com, resource cloud_run_revision). */
export function runFilter(metric: string, t: Target, extra = ''): string {
  return `metric.type=${q(`run.googleapis.com/${metric}`)} resource.type="cloud_run_revision" resource.labels.service_name=${q(t.service)} resource.labels.location=${q(t.location)}${extra}`;
}

/** The manifest form of a Slo (desired and live alike). */
export type SloForm = {
  service: string;
  availability?: { goal: number; window: string };
  latency?: { threshold: string; goal: number; window: string };
  alerts: Array<{ burnRate: number; lookback: string; notify: string[] }>;
};

const days = (window: string) => Number(window.replace(/d$/, ''));
const pct = (goal: number) => `${Math.round(goal * 10000) / 100}%`;

/** Manifest spec → normalised form. */
export function sloForm(spec: Obj): SloForm {
  const form: SloForm = { service: spec.service, alerts: [] };
  if (spec.availability) form.availability = { goal: Number(spec.availability.goal), window: `${days(spec.availability.window)}d` };
  if (spec.latency) form.latency = { threshold: normalizeDuration(spec.latency.threshold)!, goal: Number(spec.latency.goal), window: `${days(spec.latency.window)}d` };
  form.alerts = ((spec.alerts ?? []) as Obj[]).map((a) => ({
    burnRate: Number(a.burnRate),
    lookback: normalizeDuration(a.lookback)!,
    notify: [...new Set<string>(a.notify ?? [])].sort(),
  }));
  return form;
}

/** The SLI, goal and period an SLO carries (normalised: no empty strings, period as text). */
export function sloBody(form: SloForm, t: Target, name: string): Obj {
  if (form.latency) {
    return {
      displayName: `${name}: ${pct(form.latency.goal)} of requests faster than ${form.latency.threshold} over ${form.latency.window}`,
      goal: form.latency.goal,
      rollingPeriod: normalizeDuration(`${days(form.latency.window)}d`),
      serviceLevelIndicator: {
        requestBased: { distributionCut: { distributionFilter: runFilter('request_latencies', t), range: { min: 0, max: durationSeconds(form.latency.threshold) * 1000 } } },
      },
    };
  }
  const a = form.availability!;
  return {
    displayName: `${name}: ${pct(a.goal)} of requests succeed over ${a.window}`,
    goal: a.goal,
    rollingPeriod: normalizeDuration(`${days(a.window)}d`),
    // Request-based availability: 2xx good, 5xx bad (4xx count as neither).
    serviceLevelIndicator: {
      requestBased: {
        goodTotalRatio: {
          goodServiceFilter: runFilter('request_count', t, ' metric.labels.response_code_class="2xx"'),
          badServiceFilter: runFilter('request_count', t, ' metric.labels.response_code_class="5xx"'),
        },
      },
    },
  };
}

const nonEmpty = (o: Obj | undefined): Obj | undefined => {
  if (!o) return undefined;
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined) out[k] = v;
  return out;
};

/** A live SLO in the shape of `sloBody` (plus labels), for comparison. */
export function liveSloBody(slo: Obj): Obj {
  const rb = slo.serviceLevelIndicator?.requestBased;
  let sli: Obj = { ...(slo.serviceLevelIndicator ?? {}) };
  if (rb?.goodTotalRatio) sli = { requestBased: { goodTotalRatio: nonEmpty(rb.goodTotalRatio) } };
  else if (rb?.distributionCut) {
    sli = { requestBased: { distributionCut: { distributionFilter: rb.distributionCut.distributionFilter, range: { min: Number(rb.distributionCut.range?.min ?? 0), max: Number(rb.distributionCut.range?.max ?? 0) } } } };
  }
  delete sli.type;
  return {
    displayName: slo.displayName,
    goal: Number(slo.goal),
    rollingPeriod: slo.rollingPeriod ? normalizeDuration(slo.rollingPeriod) : undefined,
    serviceLevelIndicator: sli,
  };
}

/** Manifest form of the objective part of a live SLO (`availability` or `latency`). */
export function readObjective(slo: Obj): Pick<SloForm, 'availability' | 'latency'> {
  const secs = durationSeconds(slo.rollingPeriod ?? 0);
  const window = secs && secs % 86400 === 0 ? `${secs / 86400}d` : normalizeDuration(secs)!;
  const cut = slo.serviceLevelIndicator?.requestBased?.distributionCut;
  if (cut) return { latency: { threshold: normalizeDuration(`${Number(cut.range?.max ?? 0)}ms`)!, goal: Number(slo.goal), window } };
  return { availability: { goal: Number(slo.goal), window } };
}

/** `select_slo_burn_rate("SLO", "LOOKBACK")` and back. */
export const burnRateFilter = (sloName: string, lookback: string) => `select_slo_burn_rate(${q(sloName)}, ${q(lookback)})`;
export function parseBurnRateFilter(filter: string): { slo: string; lookback: string } | undefined {
  const m = /^\s*select_slo_burn_rate\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*\)\s*$/.exec(filter ?? '');
  return m ? { slo: m[1], lookback: normalizeDuration(m[2])! } : undefined;
}

/**
 * Whether two Monitoring names denote the same resource. Google names services and SLOs
 * by project number even when they were asked for by project ID (Create, Get and Update
 * answer `projects/{number}/services/x`), so `projects/my-proj/services/x` and
 * `projects/123/services/x` are the same. A project ID never is all digits, so a numeric
 * project segment is the number of the project at hand (names are only compared within
 * one project).
 */
export function sameMonitoringName(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === b) return true;
  const ma = /^projects\/([^/]+)\/(.+)$/.exec(a ?? '');
  const mb = /^projects\/([^/]+)\/(.+)$/.exec(b ?? '');
  if (!ma || !mb || ma[2] !== mb[2]) return false;
  return ma[1] === mb[1] || /^\d+$/.test(ma[1]) || /^\d+$/.test(mb[1]);
}

/** Alert views to compare: a burn-rate filter naming the same SLO by project ID and by number is unchanged. */
export function comparableAlerts(want: Obj, have: Obj): [Obj, Obj] {
  const w = parseBurnRateFilter(want.filter);
  const h = parseBurnRateFilter(have.filter);
  if (w && h && w.lookback === h.lookback && sameMonitoringName(w.slo, h.slo)) return [{ ...want, filter: have.filter }, have];
  return [want, have];
}

/** One desired alert policy (API shape, channels resolved). */
export function alertPolicyBody(sloName: string, sloId: string, index: number, alert: SloForm['alerts'][number], channels: string[], labels: Obj, set: string): Obj {
  return {
    displayName: `${sloId}: error budget burn rate above ${alert.burnRate}x over ${alert.lookback}`,
    combiner: 'OR',
    conditions: [
      {
        displayName: `burn rate > ${alert.burnRate} over ${alert.lookback}`,
        conditionThreshold: { filter: burnRateFilter(sloName, alert.lookback), comparison: 'COMPARISON_GT', thresholdValue: alert.burnRate, duration: { seconds: 0, nanos: 0 } },
      },
    ],
    notificationChannels: [...channels].sort(),
    // The identity finds the policy again (its ID is the server's); runctl-slo and
    // runctl-alert are what earlier versions wrote, kept so they still recognise it.
    userLabels: { ...labels, ...alertIdentity(set, sloId, index), [LABEL_SLO]: sloId, [LABEL_ALERT]: String(index) },
    enabled: { value: true },
  };
}

/** The compared part of an alert policy (desired body or live policy). */
export function alertView(p: Obj): Obj {
  const c = p.conditions?.[0];
  const th = c?.conditionThreshold ?? {};
  return {
    displayName: p.displayName,
    combiner: p.combiner,
    conditions: (p.conditions ?? []).length,
    filter: th.filter,
    comparison: th.comparison,
    thresholdValue: th.thresholdValue === undefined ? undefined : Number(th.thresholdValue),
    duration: normalizeDuration(th.duration ?? 0),
    notificationChannels: [...(p.notificationChannels ?? [])].sort(),
    enabled: p.enabled?.value ?? p.enabled ?? true,
  };
}

/** Address of a notify entry (`email:a@b.c` → `a@b.c`). */
export const emailOf = (notify: string) => notify.replace(/^email:/, '');

/** One desired email channel. */
export function channelBody(address: string, labels: Obj): Obj {
  return { type: 'email', displayName: `runctl: ${address}`, labels: { email_address: address }, userLabels: labels, enabled: { value: true } };
}
