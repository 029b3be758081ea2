/**
 * What `spec.rollout` means for validation and plans (pure): which settings make sense
 * together, and what a plan says when an update will run, resume or has ended a rollout.
 */
import type { Diagnostic, Manifest } from '../../../src/engine/types';
import { durationSeconds } from '../../../src/util/duration';
import { activeRollout, ended, humanDuration, pct, readRecord, rolloutConfig, rolloutNote, servingRevision, type RolloutConfig } from './state';
import type { RunService } from '../../shared/cloud-run/run-service';

const invalid = (path: string, message: string): Diagnostic => ({ code: 'InvalidValue', path, message });

/** Checks of `spec.rollout` beyond the schema (the Slo it names must be an availability SLO with alerts). */
export function validateRollout(m: Manifest, all: Manifest[]): Diagnostic[] {
  const r = m.spec.rollout;
  if (!r) return [];
  const out: Diagnostic[] = [];
  if (m.spec.traffic !== undefined) out.push(invalid('spec.traffic', 'spec.traffic and spec.rollout cannot both be set: the rollout moves traffic itself'));
  const steps: number[] = r.steps ?? [];
  if (steps.some((p, i) => i > 0 && p <= steps[i - 1])) out.push(invalid('spec.rollout.steps', `steps must increase, got [${steps.join(', ')}]`));
  for (const field of ['interval', 'noDataTimeout'] as const) {
    if (r[field] !== undefined && !(durationSeconds(r[field]) > 0)) out.push(invalid(`spec.rollout.${field}`, `must be a positive duration such as 5m, got ${JSON.stringify(r[field])}`));
  }
  if (r.slo === undefined && r.maxErrorRate === undefined) {
    out.push(invalid('spec.rollout', 'a rollout needs a gate: slo (an Slo in these manifests) and/or maxErrorRate'));
  }
  if (r.slo !== undefined) {
    const slo = all.find((x) => x.kind === 'Slo' && x.metadata?.name === r.slo);
    // A missing Slo is reported as a DanglingReference by the reference checks.
    if (slo) {
      if (slo.spec?.service !== undefined && slo.spec.service !== m.metadata.name) {
        out.push(invalid('spec.rollout.slo', `Slo/${r.slo} measures Service/${slo.spec.service}, not Service/${m.metadata.name}`));
      }
      if (!slo.spec?.availability) out.push(invalid('spec.rollout.slo', `Slo/${r.slo} has no availability objective; the rollout gate measures the new revision's 5xx responses against an availability goal`));
      if (!slo.spec?.alerts?.length) out.push(invalid('spec.rollout.slo', `Slo/${r.slo} has no alerts; the rollout gate uses each alert's burnRate and lookback`));
    }
  }
  return out;
}

/** What the plan of a Service with a live object says about rollouts, and whether it must resume one. */
export interface RolloutPlan {
  /** An update is due even without field changes: a rollout recorded on the service is unfinished. */
  resume: boolean;
  notes: string[];
}

/**
 * Notes for a Service plan. `templateChanged`: the update creates a new revision.
 * `manifestOf` gives the Slo the gate uses.
 */
export function planRollout(m: Manifest, live: RunService | undefined, templateChanged: boolean, manifestOf: (key: string) => Manifest | undefined): RolloutPlan {
  const cfg: RolloutConfig | undefined = rolloutConfig(m, manifestOf);
  const notes: string[] = [];
  if (!live) return { resume: false, notes };
  if (templateChanged) {
    if (cfg && servingRevision(live)) notes.push(rolloutNote(cfg));
    else if (cfg) notes.push('no rollout: nothing serves yet, so the new revision takes all traffic');
    else if (readRecord(live) && m.spec.traffic === undefined) notes.push('spec.rollout was removed: traffic returns to the latest revision');
    return { resume: false, notes };
  }
  const active = activeRollout(live);
  if (active && cfg) {
    const step = active.step ? `step ${active.step}/${cfg.steps.length} (${active.percent}% on ${active.revision})` : `its first step (${active.revision ?? 'new revision'} has no traffic yet)`;
    notes.push(`resumes the canary rollout ${active.phase === 'holding' ? 'held' : 'recorded'} on the service at ${step}; at most ${humanDuration(cfg.steps.length * cfg.intervalSeconds)} more`);
    return { resume: true, notes };
  }
  if (active) notes.push(`a rollout of ${active.revision} is unfinished but spec.rollout is gone: run \`runctl rollout promote\` or \`abort\``);
  const rec = readRecord(live);
  if (rec && !active && (rec.phase === 'failed' || rec.phase === 'aborted' || rec.phase === 'undone')) {
    const figures = rec.last?.verdict === 'fail' ? ` (${rec.last.summary})` : '';
    notes.push(`the rollout of ${rec.revision} ${ended(rec.phase)}${figures}; ${rec.good} serves 100% (tag good); change the template to roll out again, or \`runctl rollout promote\``);
  }
  return { resume: false, notes };
}

/** A short status for `get` and `${Service/x.status.rollout}`. */
export function rolloutStatus(live: RunService): Record<string, unknown> | undefined {
  const rec = readRecord(live);
  if (!rec) return undefined;
  const out: Record<string, unknown> = { phase: rec.phase, revision: rec.revision, good: rec.good, percent: rec.percent, step: rec.step, steps: rec.steps };
  if (rec.last) out.gate = { verdict: rec.last.verdict, summary: rec.last.summary, requests: rec.last.requests, errors: rec.last.errors, errorRatio: rec.last.requests ? pct(rec.last.errors / rec.last.requests) : undefined };
  if (rec.message) out.message = rec.message;
  return out;
}
