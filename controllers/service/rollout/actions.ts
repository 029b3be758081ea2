/**
 * The manual side of progressive delivery (`runctl rollout status|promote|abort|undo`):
 * read the rollout recorded on a service, skip to 100%, roll back now, or return to the
 * revision that was `good` before the last rollout. Each action is one write with the
 * service's etag; a rollout being driven elsewhere notices the new record on its next
 * look and stops.
 */
import type { RolloutReport, RolloutResult as ActionResult } from '../../../src/engine/rollout';
import { RunctlError } from '../../../src/engine/types';
import { isConflict } from '../../../src/gcp/errors';
import { getService, measure, writeRollout, type RolloutTarget } from './drive';
import { activeRollout, ended, readRecord, shortRevision, stepTraffic, TAG_GOOD, type RolloutRecord } from './state';
import { servingTraffic, type RunService } from '../../shared/cloud-run/run-service';

function traffic(svc: RunService): RolloutReport['traffic'] {
  return servingTraffic(svc)
    .filter((t) => t.revision)
    .map((t) => ({ revision: t.revision!, percent: t.percent, ...(t.tag ? { tag: t.tag } : {}) }));
}

/** The rollout on a service, with the gate's figures measured now. */
export async function rolloutReport(t: RolloutTarget, gate?: RolloutRecord['gate']): Promise<RolloutReport> {
  const svc = await getService(t);
  const record = readRecord(svc);
  const active = !!activeRollout(svc);
  const report: RolloutReport = { service: t.id.fullName, record, active, traffic: traffic(svc), latestRevision: shortRevision(svc.latestCreatedRevision) };
  if (record && active && record.step > 0 && record.revision) {
    const since = Date.parse(record.stepStartedAt ?? record.startedAt);
    report.now = await measure(t, { ...record, gate: gate ?? record.gate }, since, await t.clock.now());
  }
  return report;
}

/** Retry an action whose write lost a race (someone changed the service meanwhile). */
async function once<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConflict(err) || attempt >= 3) throw err;
    }
  }
}

function requireRecord(svc: RunService, name: string): RolloutRecord & { revision: string } {
  const rec = readRecord(svc);
  // A rollout whose first step is not written yet names its revision only through the service.
  if (rec && !rec.revision && activeRollout(svc)) rec.revision = shortRevision(svc.latestCreatedRevision);
  if (!rec?.revision) throw new RunctlError('Refused', `no rollout is recorded on ${name}`, { source: 'user' });
  return rec as RolloutRecord & { revision: string };
}

/** Skip to 100% on the new revision and make it `good`. */
export function promoteRollout(t: RolloutTarget): Promise<ActionResult> {
  return once(async () => {
    const svc = await getService(t);
    const rec = requireRecord(svc, t.id.name);
    if (shortRevision(svc.latestCreatedRevision) !== rec.revision) {
      throw new RunctlError('Refused', `the rollout of ${rec.revision} was superseded by ${shortRevision(svc.latestCreatedRevision)}; nothing to promote`, { source: 'user' });
    }
    if (rec.phase === 'succeeded') return { changed: false, message: `${rec.revision} is already promoted (100%, tag ${TAG_GOOD})`, record: rec };
    const message = `promoted by runctl rollout promote at step ${rec.step}/${rec.steps.length} (${rec.percent}%)`;
    const next: RolloutRecord = { ...rec, phase: 'succeeded', percent: 100, message };
    await writeRollout(t, svc, stepTraffic(rec.good, rec.revision, 100, true), next);
    return { changed: true, message: `${rec.revision} promoted: 100% of traffic, tag ${TAG_GOOD}`, record: next };
  });
}

/** Roll an unfinished rollout back now: 100% to `good`. */
export function abortRollout(t: RolloutTarget): Promise<ActionResult> {
  return once(async () => {
    const svc = await getService(t);
    const rec = requireRecord(svc, t.id.name);
    if (!activeRollout(svc)) throw new RunctlError('Refused', `the rollout of ${rec.revision} on ${t.id.name} is not in progress (${rec.phase}); use rollout undo to return to the previous good revision`, { source: 'user' });
    const message = `aborted by runctl rollout abort at step ${rec.step}/${rec.steps.length} (${rec.percent}%)`;
    const next: RolloutRecord = { ...rec, phase: 'aborted', percent: 0, message };
    await writeRollout(t, svc, stepTraffic(rec.good, rec.revision, 0), next);
    return { changed: true, message: `rollout of ${rec.revision} aborted: 100% of traffic on ${rec.good} (tag ${TAG_GOOD})`, record: next };
  });
}

/**
 * Return to the revision that was `good` before the last rollout: after a promotion,
 * the previous revision takes 100% and tag `good` back (the undone one keeps tag `next`
 * at 0%); during a rollout, the same as abort.
 */
export function undoRollout(t: RolloutTarget): Promise<ActionResult> {
  return once(async () => {
    const svc = await getService(t);
    const rec = requireRecord(svc, t.id.name);
    if (activeRollout(svc)) return abortRollout(t);
    if (rec.phase !== 'succeeded') return { changed: false, message: `nothing to undo: the rollout of ${rec.revision} ${ended(rec.phase)} and ${rec.good} serves (tag ${TAG_GOOD})`, record: rec };
    const message = `undone by runctl rollout undo: back to ${rec.good}`;
    const next: RolloutRecord = { ...rec, phase: 'undone', percent: 0, message };
    await writeRollout(t, svc, stepTraffic(rec.good, rec.revision, 0), next);
    return { changed: true, message: `rollout of ${rec.revision} undone: 100% of traffic on ${rec.good} (tag ${TAG_GOOD})`, record: next };
  });
}
