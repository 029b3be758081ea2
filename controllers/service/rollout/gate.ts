/**
 * The canary gate: request counts of a service's revisions from Cloud Monitoring
 * (`run.googleapis.com/request_count`, grouped by revision and response code class) and
 * the verdict on the new revision: its 5xx ratio against `maxErrorRate`, and its burn
 * rate of the SLO's error budget over each alert's lookback against the alert's
 * threshold. Too few requests is a verdict of its own (no data), never a pass.
 */
import type { Clients } from '../../../src/gcp/clients';
import { humanDuration, pct, type GateFigures, type RolloutRecord } from './state';

export interface Counts {
  requests: number;
  errors: number;
}

export interface CountQuery {
  project: string;
  region: string;
  service: string;
  /** Window (start, end], ms since the epoch on the target's clock. */
  start: number;
  end: number;
}

const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: Math.round((ms % 1000) * 1e6) });

/** Requests and 5xx responses per revision of a service in (start, end]. */
export async function readCounts(clients: Clients, q: CountQuery): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>();
  if (q.end <= q.start) return out;
  const [series] = await clients.monitoring('MetricServiceClient').listTimeSeries({
    name: `projects/${q.project}`,
    filter: [
      'metric.type="run.googleapis.com/request_count"',
      'resource.type="cloud_run_revision"',
      `resource.labels.service_name="${q.service}"`,
      `resource.labels.location="${q.region}"`,
    ].join(' AND '),
    interval: { startTime: ts(q.start), endTime: ts(q.end) },
    // One alignment period covering the whole window (the API's minimum is 60 s).
    aggregation: {
      alignmentPeriod: { seconds: Math.max(60, Math.ceil((q.end - q.start) / 1000)) },
      perSeriesAligner: 'ALIGN_DELTA',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: ['resource.label.revision_name', 'metric.label.response_code_class'],
    },
  });
  for (const s of series ?? []) {
    const revision = s.resource?.labels?.revision_name ?? '';
    const klass = s.metric?.labels?.response_code_class ?? '';
    const n = (s.points ?? []).reduce((sum, p) => sum + Number(p.value?.int64Value ?? p.value?.doubleValue ?? 0), 0);
    const c = out.get(revision) ?? { requests: 0, errors: 0 };
    c.requests += n;
    if (klass === '5xx') c.errors += n;
    out.set(revision, c);
  }
  return out;
}

/** Burn rates and ratios are compared after rounding, so 0.1 / (1 − 0.99) counts as exactly 10. */
const round = (x: number) => Math.round(x * 1e9) / 1e9;

export interface GateInput {
  gate: RolloutRecord['gate'];
  /** The new revision's counts since the step began. */
  step: Counts;
  /** Per SLO alert (same order as `gate.slo.alerts`), its counts over the alert's lookback. */
  lookbacks: Counts[];
  at: number;
  since: number;
}

/**
 * The verdict on one step. Fail when the 5xx ratio exceeds `maxErrorRate`, or when the
 * new revision alone burns the SLO's error budget at or above an alert's burn rate over
 * its lookback (the alert would fire if all traffic behaved like it). No data when the
 * step has fewer than `minRequests` requests.
 */
export function evaluateGate(input: GateInput): GateFigures {
  const { gate, step } = input;
  const base = { at: new Date(input.at).toISOString(), since: new Date(input.since).toISOString(), requests: step.requests, errors: step.errors };
  if (step.requests < gate.minRequests || step.requests === 0) {
    return { ...base, verdict: 'nodata', summary: `no data: ${step.requests} request(s) reached the new revision, fewer than minRequests ${gate.minRequests}` };
  }
  const failed: string[] = [];
  const passed: string[] = [];
  const ratio = step.errors / step.requests;
  if (gate.maxErrorRate !== undefined) {
    const text = `5xx ratio ${pct(ratio)} (${step.errors} of ${step.requests} requests)`;
    if (round(ratio) > round(gate.maxErrorRate)) failed.push(`${text} > maxErrorRate ${pct(gate.maxErrorRate)}`);
    else passed.push(`${text} ≤ maxErrorRate ${pct(gate.maxErrorRate)}`);
  }
  const burnRates: NonNullable<GateFigures['burnRates']> = [];
  const slo = gate.slo;
  slo?.alerts.forEach((alert, i) => {
    const c = input.lookbacks[i] ?? { requests: 0, errors: 0 };
    const r = c.requests ? c.errors / c.requests : 0;
    const burnRate = round(r / (1 - slo.goal));
    burnRates.push({ lookback: humanDuration(alert.lookbackSeconds), requests: c.requests, errors: c.errors, burnRate, threshold: alert.burnRate });
    const text = `burn rate ${Number(burnRate.toFixed(2))} over ${humanDuration(alert.lookbackSeconds)} (SLO ${slo.name}, goal ${pct(slo.goal)}; ${c.errors} of ${c.requests} requests failed)`;
    if (burnRate >= alert.burnRate) failed.push(`${text} ≥ alert threshold ${alert.burnRate}`);
    else passed.push(`${text} < alert threshold ${alert.burnRate}`);
  });
  const out: GateFigures = { ...base, verdict: failed.length ? 'fail' : 'pass', summary: (failed.length ? failed : passed).join('; ') || `${step.requests} requests, no gate configured` };
  if (burnRates.length) out.burnRates = burnRates;
  return out;
}
