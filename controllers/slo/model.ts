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
  /** The monitored service's ID when the manifest names one (`spec.monitoredService`). */
  monitoredService?: string;
}

/** ID of the monitored service of a Slo: the one the manifest names, else the one runctl creates for the Cloud Run service. */
export const monitoredServiceId = (t: Target) => t.monitoredService ?? `run-${t.service}-${t.location}`;

const q = (s: string) => JSON.stringify(s);

/** Filter selecting a Cloud Run service's metric (run.googleapis.com, resource cloud_run_revision). */
export function runFilter(metric: string, t: Target, extra = ''): string {
  return `metric.type=${q(`run.googleapis.com/${metric}`)} resource.type="cloud_run_revision" resource.labels.service_name=${q(t.service)} resource.labels.location=${q(t.location)}${extra}`;
}

/** One burn-rate alert in manifest form. */
export type AlertForm = { burnRate: number; lookback: string; notify: string[]; displayName?: string };

/** The manifest form of a Slo (desired and live alike). */
export type SloForm = {
  service: string;
  /** Set only where it is not runctl's default text (see `sloBody`). */
  displayName?: string;
  /** Set only where the SLO's ID is not metadata.name. */
  sloId?: string;
  /** Set only where the manifest names the monitored service. */
  monitoredService?: string;
  /** `basic`: Monitoring's basic SLI for the Cloud Run service (`basicSli`) instead of runctl's request-based one. */
  availability?: { goal: number; window: string; basic?: true };
  latency?: { threshold: string; goal: number; window: string; basic?: true };
  alerts: AlertForm[];
};

/** Calendar periods as `window` spells them (`calendar-month`) and as the API does (`MONTH`). */
const CALENDAR = /^calendar-(day|week|fortnight|month)$/;
const isCalendar = (window: string) => CALENDAR.test(window);
/** A window as the form holds it: `Nd`, or `calendar-PERIOD`. */
const windowOf = (window: string) => (isCalendar(window) ? window : `${Number(String(window).replace(/d$/, ''))}d`);
const days = (window: string) => Number(window.replace(/d$/, ''));
const pct = (goal: number) => `${Math.round(goal * 10000) / 100}%`;
/** The SLO's period fields for a window (`rollingPeriod` text, or `calendarPeriod`). */
const periodOf = (window: string): Obj => (isCalendar(window) ? { calendarPeriod: window.replace('calendar-', '').toUpperCase() } : { rollingPeriod: normalizeDuration(`${days(window)}d`) });
const windowText = (window: string) => (isCalendar(window) ? `each calendar ${window.replace('calendar-', '')}` : `over ${window}`);

/** Manifest spec → normalised form. */
export function sloForm(spec: Obj): SloForm {
  const form: SloForm = { service: spec.service, alerts: [] };
  for (const k of ['displayName', 'sloId', 'monitoredService'] as const) if (spec[k]) form[k] = String(spec[k]);
  const basic = (o: Obj) => (o.basic ? { basic: true as const } : {});
  if (spec.availability) form.availability = { goal: Number(spec.availability.goal), window: windowOf(spec.availability.window), ...basic(spec.availability) };
  if (spec.latency) form.latency = { threshold: normalizeDuration(spec.latency.threshold)!, goal: Number(spec.latency.goal), window: windowOf(spec.latency.window), ...basic(spec.latency) };
  form.alerts = ((spec.alerts ?? []) as Obj[]).map((a) => ({
    burnRate: Number(a.burnRate),
    lookback: normalizeDuration(a.lookback)!,
    notify: [...new Set<string>(a.notify ?? [])].sort(),
    ...(a.displayName ? { displayName: String(a.displayName) } : {}),
  }));
  return form;
}

/** The display name runctl gives an SLO of this form (`name` is metadata.name). */
export function defaultSloDisplayName(form: Pick<SloForm, 'availability' | 'latency'>, name: string): string {
  if (form.latency) return `${name}: ${pct(form.latency.goal)} of requests faster than ${form.latency.threshold} ${windowText(form.latency.window)}`;
  const a = form.availability!;
  return `${name}: ${pct(a.goal)} of requests succeed ${windowText(a.window)}`;
}

/**
 * The form without display names that are runctl's defaults for the Slo `name` (written
 * out in a manifest, they mean the same as left out, which is how a live form reads them).
 */
export function withoutDefaultNames(form: SloForm, name: string): SloForm {
  const out: SloForm = { ...form, alerts: form.alerts.map((a) => (a.displayName === defaultAlertDisplayName(name, a) ? { burnRate: a.burnRate, lookback: a.lookback, notify: a.notify } : a)) };
  if (out.displayName === defaultSloDisplayName(form, name)) delete out.displayName;
  return out;
}

/** The display name runctl gives the policy of a burn-rate alert (`name` is metadata.name). */
export const defaultAlertDisplayName = (name: string, alert: Pick<AlertForm, 'burnRate' | 'lookback'>) => `${name}: error budget burn rate above ${alert.burnRate}x over ${alert.lookback}`;

/**
 * A Monitoring filter in a canonical spelling, so two filters that select the same
 * series compare equal: terms sorted, `AND` between juxtaposed terms dropped (Monitoring
 * ANDs juxtaposed terms), no blanks around `=`, and `metric.label.K` / `resource.label.K`
 * spelled `.labels.` (gcp-apis.md §5.2). A filter with `OR`, `NOT` or parentheses is
 * left as it is (compared as text).
 */
export function canonicalFilter(filter: string | undefined | null): string | undefined | null {
  if (!filter) return filter;
  const terms = filter.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const joined: string[] = [];
  for (let i = 0; i < terms.length; i++) {
    // `a = "b"` written with blanks: glue the three tokens back into one term.
    if (terms[i + 1] === '=' && i + 2 < terms.length) {
      joined.push(`${terms[i]}=${terms[i + 2]}`);
      i += 2;
    } else joined.push(terms[i]);
  }
  if (joined.some((t) => /^(OR|NOT)$/.test(t) || /^[-(]|\)$/.test(t))) return filter;
  return joined
    .filter((t) => t !== 'AND')
    .map((t) => t.replace(/^(metric|resource)\.label\./, '$1.labels.').replace(/\s*=\s*/, '='))
    .sort()
    .join(' ');
}

/**
 * A basic SLI as the form reads it (`availability`, or `latency` with its threshold as
 * text), or undefined when it holds more than a form says (methods, locations, versions).
 */
function basicOf(b: Obj | undefined): { availability: Obj } | { latency: { threshold: string } } | undefined {
  if (!b || ['method', 'location', 'version'].some((k) => (b[k] ?? []).length)) return undefined;
  if (b.latency) return { latency: { threshold: normalizeDuration(b.latency.threshold ?? 0)! } };
  if (b.availability) return { availability: {} };
  return undefined;
}

/** An SLI with its filters canonical (see `canonicalFilter`) and a basic SLI's threshold as text, for comparison. */
export function canonicalSli(sli: Obj | undefined): Obj | undefined {
  if (sli?.basicSli) return { basicSli: basicOf(sli.basicSli) ?? sli.basicSli };
  const rb = sli?.requestBased;
  if (rb?.goodTotalRatio) {
    const r = rb.goodTotalRatio;
    const out: Obj = {};
    for (const k of ['goodServiceFilter', 'badServiceFilter', 'totalServiceFilter']) if (r[k]) out[k] = canonicalFilter(r[k]);
    return { requestBased: { goodTotalRatio: out } };
  }
  if (rb?.distributionCut) return { requestBased: { distributionCut: { ...rb.distributionCut, distributionFilter: canonicalFilter(rb.distributionCut.distributionFilter) } } };
  return sli;
}

/** The SLI, goal and period an SLO carries (normalised: no empty strings, period as text). */
export function sloBody(form: SloForm, t: Target, name: string): Obj {
  const displayName = form.displayName ?? defaultSloDisplayName(form, name);
  const objective = form.latency ?? form.availability!;
  if (objective.basic) {
    // Monitoring's basic SLI: the Cloud Run service is the monitored service's; no filters.
    const criteria = form.latency ? { latency: { threshold: form.latency.threshold } } : { availability: {} };
    return { displayName, goal: objective.goal, ...periodOf(objective.window), serviceLevelIndicator: { basicSli: criteria } };
  }
  if (form.latency) {
    return {
      displayName,
      goal: form.latency.goal,
      ...periodOf(form.latency.window),
      serviceLevelIndicator: {
        requestBased: { distributionCut: { distributionFilter: runFilter('request_latencies', t), range: { min: 0, max: durationSeconds(form.latency.threshold) * 1000 } } },
      },
    };
  }
  const a = form.availability!;
  return {
    displayName,
    goal: a.goal,
    ...periodOf(a.window),
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
  const calendar = slo.calendarPeriod && slo.calendarPeriod !== 'CALENDAR_PERIOD_UNSPECIFIED' ? String(slo.calendarPeriod) : undefined;
  return {
    displayName: slo.displayName,
    goal: Number(slo.goal),
    ...(calendar ? { calendarPeriod: calendar } : { rollingPeriod: slo.rollingPeriod ? normalizeDuration(slo.rollingPeriod) : undefined }),
    serviceLevelIndicator: sli,
  };
}

/** An SLO body (desired or live, see `liveSloBody`) with its SLI canonical, for comparison. */
export const comparableSlo = (body: Obj): Obj => ({ ...body, serviceLevelIndicator: canonicalSli(body.serviceLevelIndicator) });

/** Manifest form of the objective part of a live SLO (`availability` or `latency`). */
export function readObjective(slo: Obj): Pick<SloForm, 'availability' | 'latency'> {
  const secs = durationSeconds(slo.rollingPeriod ?? 0);
  const calendar = slo.calendarPeriod && slo.calendarPeriod !== 'CALENDAR_PERIOD_UNSPECIFIED' ? `calendar-${String(slo.calendarPeriod).toLowerCase()}` : undefined;
  const window = calendar ?? (secs && secs % 86400 === 0 ? `${secs / 86400}d` : normalizeDuration(secs)!);
  const basic = basicOf(slo.serviceLevelIndicator?.basicSli);
  if (basic && 'latency' in basic) return { latency: { threshold: basic.latency.threshold, goal: Number(slo.goal), window, basic: true } };
  if (basic) return { availability: { goal: Number(slo.goal), window, basic: true } };
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
    displayName: alert.displayName ?? defaultAlertDisplayName(sloId, alert),
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

/**
 * Index of a policy's burn-rate condition: the first threshold condition on
 * `select_slo_burn_rate` (a policy made elsewhere may hold others too), else 0.
 */
export function burnConditionIndex(p: Obj): number {
  const i = ((p.conditions ?? []) as Obj[]).findIndex((c) => parseBurnRateFilter(c.conditionThreshold?.filter));
  return i < 0 ? 0 : i;
}

/**
 * The compared part of an alert policy (desired body or live policy): its display name,
 * its burn-rate condition, channels and whether it is enabled. What runctl does not model
 * (further conditions and the combiner joining them, documentation, severity, the alert
 * strategy, labels of other tools) is neither compared nor written: updates keep it.
 */
export function alertView(p: Obj): Obj {
  const c = p.conditions?.[burnConditionIndex(p)];
  const th = c?.conditionThreshold ?? {};
  return {
    displayName: p.displayName,
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
