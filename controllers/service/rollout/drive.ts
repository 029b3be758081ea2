/**
 * Driving a canary rollout to its end. Level-based, like the rest of the engine: every
 * round re-reads the service, takes the rollout record on it as the truth (someone may
 * have promoted or aborted it, or another machine may be driving it too), and makes
 * the one transition that is due — first step, next step, promotion, rollback or hold.
 * Each write carries the service's etag, so two drivers never both make a transition.
 * Killing runctl at whatever point leaves a record the next apply or watch resumes from.
 */
import type { Identity } from '../../../src/engine/controller';
import { RunctlError } from '../../../src/engine/types';
import type { Clients } from '../../../src/gcp/clients';
import { apiError, isConflict } from '../../../src/gcp/errors';
import type { RolloutClock } from './clock';
import { evaluateGate, readCounts, type Counts } from './gate';
import {
  activeRollout,
  ended,
  humanDuration,
  nextStep,
  readRecord,
  ROLLOUT_ANNOTATION,
  servingRevision,
  shortRevision,
  startTraffic,
  stepTraffic,
  type GateFigures,
  type RolloutConfig,
  type RolloutRecord,
  type TrafficTargetApi,
} from './state';
import { servingTraffic, stampClient, writable, type RunService } from '../../shared/cloud-run/run-service';

/** What the driver needs: the clients, the service, the target's clock, progress. */
export interface RolloutTarget {
  clients: Clients;
  id: Identity;
  clock: RolloutClock;
  signal?: AbortSignal;
  progress(message: string): void;
}

/** The thresholds a record carries, from the manifest's settings. */
export function gateOf(cfg: RolloutConfig): RolloutRecord['gate'] {
  return { maxErrorRate: cfg.maxErrorRate, slo: cfg.slo, minRequests: cfg.minRequests, onNoData: cfg.onNoData };
}

/**
 * Turn a service update body that creates a new revision into the start of a rollout:
 * the serving revision keeps 100% under tag `good`; the new one gets 0% and tag `next`.
 * Returns undefined (body untouched) when nothing serves yet: there is nothing to protect.
 */
export function beginRollout(body: RunService, live: RunService, cfg: RolloutConfig, now: number): RolloutRecord | undefined {
  const good = servingRevision(live);
  if (!good) return undefined;
  const rec: RolloutRecord = {
    phase: 'progressing',
    good,
    percent: 0,
    step: 0,
    steps: cfg.steps,
    intervalSeconds: cfg.intervalSeconds,
    startedAt: new Date(now).toISOString(),
    gate: gateOf(cfg),
  };
  body.traffic = startTraffic(good);
  body.annotations = { ...(body.annotations ?? {}), [ROLLOUT_ANNOTATION]: JSON.stringify(rec) };
  return rec;
}

export async function getService(t: Pick<RolloutTarget, 'clients' | 'id'>): Promise<RunService> {
  const [svc] = await t.clients.runServices().getService({ name: t.id.fullName });
  return svc as RunService;
}

/** Write a new split and record (with the service's etag); the fresh service after the operation. */
export async function writeRollout(t: Pick<RolloutTarget, 'clients' | 'id'>, svc: RunService, traffic: TrafficTargetApi[], rec: RolloutRecord): Promise<RunService> {
  const body = stampClient(writable(svc));
  body.traffic = traffic;
  body.annotations = { ...(svc.annotations ?? {}), [ROLLOUT_ANNOTATION]: JSON.stringify(rec) };
  const [op] = await t.clients.runServices().updateService({ service: body });
  try {
    await op.promise();
  } catch (err) {
    throw new RunctlError('ApiError', `changing the traffic split failed: ${apiError(err).message}`, { cause: err });
  }
  return getService(t);
}

const revisionReady = (svc: RunService, revision: string) =>
  shortRevision(svc.latestReadyRevision) === revision || servingTraffic(svc).some((s) => s.revision === revision);

/** How a rollout this driver was not the last to touch ended (or why it is no longer ours). */
function settled(svc: RunService, ours: string | undefined): RunService {
  const rec = readRecord(svc);
  const latest = shortRevision(svc.latestCreatedRevision);
  if (ours && latest !== ours) throw new RunctlError('RolloutFailed', `the rollout of ${ours} was superseded: the service's latest revision is now ${latest}`);
  if (!rec || rec.phase === 'succeeded') return svc;
  throw new RunctlError('RolloutFailed', `the rollout of ${rec.revision ?? latest} ${ended(rec.phase)}${rec.message ? `: ${rec.message}` : ''}; 100% of traffic is on ${rec.good} (tag good)`);
}

const MINUTE = 60_000;

/**
 * Measure the new revision over the step and over each SLO alert's lookback (within the
 * step: the burn rate at the revision's current share of traffic). Windows are
 * whole minutes — from the first minute boundary after `since` to the last one before
 * `now` — because request_count is sampled per minute: a partly covered minute would
 * mix in traffic from before the step, or miss what is not sampled yet.
 */
export async function measure(t: RolloutTarget, rec: RolloutRecord, since: number, now: number): Promise<GateFigures> {
  const q = { project: t.id.project, region: t.id.region!, service: t.id.name };
  const of = (m: Map<string, Counts>): Counts => m.get(rec.revision!) ?? { requests: 0, errors: 0 };
  const start = Math.ceil(since / MINUTE) * MINUTE;
  const end = Math.floor(now / MINUTE) * MINUTE;
  const step = end > start ? of(await readCounts(t.clients, { ...q, start, end })) : { requests: 0, errors: 0 };
  const lookbacks: Counts[] = [];
  // The burn rate is the new revision's at its current share: over the lookback, within the step.
  for (const a of rec.gate.slo?.alerts ?? []) {
    const from = Math.max(start, end - a.lookbackSeconds * 1000);
    lookbacks.push(end > from ? of(await readCounts(t.clients, { ...q, start: from, end })) : { requests: 0, errors: 0 });
  }
  return evaluateGate({ gate: rec.gate, step, lookbacks, at: now, since: start });
}

const stepText = (rec: RolloutRecord) =>
  rec.step ? `step ${rec.step}/${rec.steps.length} (${rec.percent}% on ${rec.revision})` : `its start (${rec.revision} had no traffic yet)`;

/** Send 100% back to `good`, record the failure, and throw it. */
async function rollBack(t: RolloutTarget, svc: RunService, rec: RolloutRecord, why: string): Promise<never> {
  const traffic = rec.revision && revisionReady(svc, rec.revision) ? stepTraffic(rec.good, rec.revision, 0) : startTraffic(rec.good).slice(0, 1);
  const at = stepText(rec);
  t.progress(`gate failed at ${at}: ${why}; rolling back to ${rec.good}`);
  await writeRollout(t, svc, traffic, { ...rec, phase: 'failed', percent: 0, message: `failed at ${at}: ${why}` });
  throw new RunctlError('RolloutFailed', `rollout of ${rec.revision} failed at ${at}: ${why}; rolled back: 100% of traffic is on ${rec.good} (tag good)`);
}

/**
 * Drive the rollout recorded on the service to its end: promoted (returns the service),
 * rolled back (throws RolloutFailed with the measured figures) or held for lack of data
 * (throws RolloutHeld). A service without an active rollout is returned as it is.
 */
export async function driveRollout(t: RolloutTarget, cfg: RolloutConfig): Promise<RunService> {
  const run: DriverRun = { resumedAt: await t.clock.now(), live: new Map() };
  let ours: string | undefined;
  for (;;) {
    const svc = await getService(t);
    const live = activeRollout(svc);
    if (!live) return settled(svc, ours);
    const rec: RolloutRecord = { ...live, revision: live.revision ?? shortRevision(svc.latestCreatedRevision), steps: cfg.steps, intervalSeconds: cfg.intervalSeconds, gate: gateOf(cfg) };
    ours = rec.revision;
    try {
      const done = await advance(t, cfg, svc, rec, run);
      if (done) return done;
    } catch (err) {
      // Someone else changed the service between our read and our write: look again.
      if (!isConflict(err)) throw err;
    }
  }
}

/** What one driver remembers between rounds. */
interface DriverRun {
  /** When this driver started: a held step waits for data from here on. */
  resumedAt: number;
  /**
   * When the splits this driver wrote took effect (their operation finished), by
   * `revision/step`. The record holds when a split was asked for; a step is observed
   * from when its split is live. After a restart the recorded time is all there is.
   */
  live: Map<string, number>;
}

/** Write the split of a step and remember when it went live. */
async function writeStep(t: RolloutTarget, svc: RunService, rec: RolloutRecord, run: DriverRun, step: { step: number; percent: number }): Promise<void> {
  const asked = new Date(await t.clock.now()).toISOString();
  await writeRollout(t, svc, stepTraffic(rec.good, rec.revision!, step.percent), { ...rec, phase: 'progressing', step: step.step, percent: step.percent, stepStartedAt: asked });
  run.live.set(`${rec.revision}/${step.step}`, await t.clock.now());
}

/** One round: make the transition that is due, or wait for it. Returns the service when promoted. */
async function advance(t: RolloutTarget, cfg: RolloutConfig, svc: RunService, rec: RolloutRecord, run: DriverRun): Promise<RunService | undefined> {
  const revision = rec.revision!;
  if (!revisionReady(svc, revision)) {
    const why = `the new revision ${revision} is not ready${svc.terminalCondition?.message ? `: ${svc.terminalCondition.message}` : ''}`;
    return rollBack(t, svc, rec, why);
  }
  const now = await t.clock.now();
  if (rec.step === 0) {
    const first = nextStep(cfg.steps, 0)!;
    t.progress(`step ${first.step}/${cfg.steps.length}: ${first.percent}% of traffic to ${revision} (tag next), ${rec.good} keeps the rest (tag good)`);
    await writeStep(t, svc, rec, run, first);
    return undefined;
  }
  const since = Math.max(Date.parse(rec.stepStartedAt ?? rec.startedAt), run.live.get(`${revision}/${rec.step}`) ?? 0);
  const due = since + cfg.intervalSeconds * 1000;
  if (now < due) {
    t.progress(`${stepText(rec)}: observing for ${humanDuration((due - now) / 1000)} more`);
    await t.clock.sleepUntil(due, t.signal);
    return undefined;
  }
  const figures = await measure(t, rec, since, now);
  rec.last = figures;
  if (figures.verdict === 'nodata') {
    const deadline = Math.max(due, run.resumedAt) + cfg.noDataTimeoutSeconds * 1000;
    if (now < deadline) {
      t.progress(`${stepText(rec)}: ${figures.summary}; waiting up to ${humanDuration((deadline - now) / 1000)} for more`);
      await t.clock.sleepUntil(Math.min(deadline, now + Math.min(60, cfg.intervalSeconds) * 1000), t.signal);
      return undefined;
    }
    const waited = humanDuration((now - since) / 1000);
    if (cfg.onNoData === 'fail') return rollBack(t, svc, rec, `${figures.summary} after ${waited} (onNoData: fail)`);
    const message = `held at ${stepText(rec)}: ${figures.summary} after ${waited} (onNoData: hold); traffic stays split; apply or watch resumes it, rollout promote or abort ends it`;
    await writeRollout(t, svc, stepTraffic(rec.good, revision, rec.percent), { ...rec, phase: 'holding', message });
    throw new RunctlError('RolloutHeld', `rollout of ${revision} ${message}`);
  }
  if (figures.verdict === 'fail') return rollBack(t, svc, rec, figures.summary);
  t.progress(`${stepText(rec)} passed: ${figures.summary}`);
  const next = rec.percent >= 100 ? undefined : nextStep(cfg.steps, rec.percent);
  if (!next) {
    const message = `promoted after ${cfg.steps.length} step(s): ${figures.summary}`;
    t.progress(`promoting ${revision}: 100% of traffic, tag good`);
    return writeRollout(t, svc, stepTraffic(rec.good, revision, 100, true), { ...rec, phase: 'succeeded', percent: 100, message });
  }
  t.progress(`step ${next.step}/${cfg.steps.length}: ${next.percent}% of traffic to ${revision}`);
  await writeStep(t, svc, rec, run, next);
  return undefined;
}
