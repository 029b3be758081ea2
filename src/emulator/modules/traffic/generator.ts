/**
 * The traffic model's generator: Cloud Run `run.googleapis.com/request_count` points per
 * revision and response code class, synthesised over simulated time. Generation is lazy:
 * the emulator core calls `catchUp` before every API call and before a long-running
 * operation completes, so the span since the last catch-up is attributed to the traffic
 * split that was live during it, and a rollout whose steps last minutes runs in the
 * time it takes to advance the clock.
 *
 * Points are whole simulated minutes (Cloud Run samples request_count every 60 s),
 * written once the minute has ended. Request counts are fractional while they
 * accumulate and rounded cumulatively, so no request is lost or invented by rounding
 * and results are deterministic.
 */
import type { EmulatorCore } from '../../core';
import { runState, type RunServiceView } from '../cloud-run';
import { recordTimeSeries, type TimeSeriesInput } from '../monitoring';
import { errorRatioFor, rpsFor, trafficConfig } from './config';

export const METRIC_TYPE = 'run.googleapis.com/request_count';
export const RESOURCE_TYPE = 'cloud_run_revision';

const MINUTE = 60_000;
/** At most this much simulated time is generated in one catch-up (the metric store keeps 45 days). */
const MAX_GAP_MS = 45 * 86_400_000;
/** Catch-ups closer together than this (simulated) are skipped: a split change inside it is off by < 1 s. */
const MIN_STEP_MS = 1_000;

/** One revision's counters: the open minute and cumulative fractional vs emitted counts. */
interface RevisionCounter {
  project: string;
  location: string;
  serviceId: string;
  revision: string;
  /** Index (ms / 60 000) of the minute being accumulated. */
  minute: number;
  total: number;
  errors: number;
  emittedTotal: number;
  emittedErrors: number;
  /** Whether the last catch-up gave it traffic (idle counters are dropped once flushed). */
  active: boolean;
}

interface Model {
  last: number;
  counters: Map<string, RevisionCounter>;
}

const models = new WeakMap<EmulatorCore, Model>();

function model(core: EmulatorCore): Model {
  let m = models.get(core);
  if (!m) {
    m = { last: core.clock.now(), counters: new Map() };
    models.set(core, m);
  }
  return m;
}

/** Start (or restart) the model at the current simulated time; nothing before it is generated. */
export function resetModel(core: EmulatorCore): void {
  models.set(core, { last: core.clock.now(), counters: new Map() });
}

function series(c: RevisionCounter, klass: '2xx' | '5xx', minute: number, value: number): TimeSeriesInput {
  return {
    project: c.project,
    metric: { type: METRIC_TYPE, labels: { response_code_class: klass, response_code: klass === '2xx' ? '200' : '500' } },
    resource: {
      type: RESOURCE_TYPE,
      labels: { project_id: c.project, service_name: c.serviceId, revision_name: c.revision, configuration_name: c.serviceId, location: c.location },
    },
    metricKind: 'DELTA',
    valueType: 'INT64',
    unit: '1',
    points: [{ startTime: minute * MINUTE, endTime: (minute + 1) * MINUTE, value }],
  };
}

/** Write the open minute's counts as points (2xx and 5xx series; zero counts write nothing). */
function flush(core: EmulatorCore, c: RevisionCounter): void {
  const total = Math.round(c.total) - c.emittedTotal;
  const errors = Math.max(0, Math.min(total, Math.round(c.errors) - c.emittedErrors));
  c.emittedTotal += total;
  c.emittedErrors += errors;
  const out: TimeSeriesInput[] = [];
  if (total - errors > 0) out.push(series(c, '2xx', c.minute, total - errors));
  if (errors > 0) out.push(series(c, '5xx', c.minute, errors));
  if (out.length) recordTimeSeries(core, out);
}

/** Add `perSecond` requests over (from, to], closing every minute the span crosses. */
function addSpan(core: EmulatorCore, c: RevisionCounter, from: number, to: number, perSecond: number, errorRatio: number): void {
  let t = from;
  while (t < to) {
    const minute = Math.floor(t / MINUTE);
    if (minute !== c.minute) {
      flush(core, c);
      c.minute = minute;
    }
    const end = Math.min(to, (minute + 1) * MINUTE);
    const n = (perSecond * (end - t)) / 1000;
    c.total += n;
    c.errors += n * errorRatio;
    t = end;
  }
}

function counterFor(m: Model, svc: RunServiceView, revision: string, from: number): RevisionCounter {
  const key = `${svc.name}/revisions/${revision}`;
  let c = m.counters.get(key);
  if (!c) {
    c = { project: svc.project, location: svc.location, serviceId: svc.serviceId, revision, minute: Math.floor(from / MINUTE), total: 0, errors: 0, emittedTotal: 0, emittedErrors: 0, active: false };
    m.counters.set(key, c);
  }
  return c;
}

/**
 * Generate traffic from the last catch-up until now with the live traffic split of every
 * service, and write the points of every minute that has ended.
 */
export function catchUp(core: EmulatorCore, force = false): void {
  const m = model(core);
  const now = core.clock.now();
  if (now <= m.last || (!force && now - m.last < MIN_STEP_MS)) return;
  const from = Math.max(m.last, now - MAX_GAP_MS);
  const cfg = trafficConfig(core);
  for (const c of m.counters.values()) c.active = false;
  for (const svc of runState(core).services()) {
    const rps = rpsFor(core, cfg, svc);
    if (rps <= 0) continue;
    for (const t of svc.traffic) {
      if (!t.percent || !t.revision) continue;
      const c = counterFor(m, svc, t.revision, from);
      c.active = true;
      addSpan(core, c, from, now, (rps * t.percent) / 100, errorRatioFor(cfg, t.images));
    }
  }
  const current = Math.floor(now / MINUTE);
  for (const [key, c] of m.counters) {
    if (c.minute < current) {
      flush(core, c);
      c.minute = current;
      if (!c.active) m.counters.delete(key);
    }
  }
  m.last = now;
}
