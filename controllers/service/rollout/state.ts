/**
 * Progressive delivery, the pure part: the rollout settings of a Service manifest, the
 * rollout record kept on the Cloud Run service itself (annotation `runctl.dev/rollout`,
 * so every machine can resume or inspect it), and the traffic split of each step.
 */
import type { GateFigures, RolloutPhase, RolloutRecord, SloGate } from '../../../src/engine/rollout';
import type { Manifest } from '../../../src/engine/types';
import { durationSeconds, humanDuration } from '../../../src/util/duration';
import type { protos } from '@google-cloud/run';
import type { SloSpec } from '../../generated/manifests';
import { servingTraffic, type RunService } from '../../shared/cloud-run/run-service';

/** One traffic target of a Cloud Run service, as the client writes it. */
export type TrafficTargetApi = protos.google.cloud.run.v2.ITrafficTarget;

/** The service annotation holding the rollout record (v2 rejects `run.googleapis.com/` keys, not ours). */
export const ROLLOUT_ANNOTATION = 'runctl.dev/rollout';
export const TAG_GOOD = 'good';
export const TAG_NEXT = 'next';

export const DEFAULT_INTERVAL_SECONDS = 300;
export const DEFAULT_MIN_REQUESTS = 100;

export type { GateFigures, RolloutPhase, RolloutRecord, SloGate };
export { humanDuration };

/** `spec.rollout` with defaults filled in. */
export interface RolloutConfig {
  steps: number[];
  intervalSeconds: number;
  minRequests: number;
  onNoData: 'fail' | 'hold';
  noDataTimeoutSeconds: number;
  maxErrorRate?: number;
  slo?: SloGate;
}

/** The rollout settings of a Service manifest, or undefined when it has none. */
export function rolloutConfig(m: Manifest, manifestOf: (key: string) => Manifest | undefined): RolloutConfig | undefined {
  const r = m.spec.rollout;
  if (!r) return undefined;
  const intervalSeconds = r.interval !== undefined ? durationSeconds(r.interval) : DEFAULT_INTERVAL_SECONDS;
  const cfg: RolloutConfig = {
    steps: [...r.steps],
    intervalSeconds,
    minRequests: r.minRequests ?? DEFAULT_MIN_REQUESTS,
    onNoData: r.onNoData ?? 'fail',
    noDataTimeoutSeconds: r.noDataTimeout !== undefined ? durationSeconds(r.noDataTimeout) : intervalSeconds,
  };
  if (r.maxErrorRate !== undefined) cfg.maxErrorRate = r.maxErrorRate;
  if (r.slo) cfg.slo = sloGate(r.slo, manifestOf(`Slo/${r.slo}`));
  return cfg;
}

function sloGate(name: string, slo: Manifest | undefined): SloGate {
  // The Slo manifest was validated against its schema when the set was loaded.
  const s: Partial<SloSpec> = slo?.spec ?? {};
  return {
    name,
    goal: Number(s.availability?.goal ?? NaN),
    alerts: (s.alerts ?? []).map((a) => ({ burnRate: Number(a.burnRate), lookbackSeconds: durationSeconds(a.lookback) })),
  };
}

/** The record on a live service, or undefined (absent or unreadable). */
export function readRecord(svc: RunService | undefined): RolloutRecord | undefined {
  const raw = svc?.annotations?.[ROLLOUT_ANNOTATION];
  if (!raw) return undefined;
  try {
    const rec = JSON.parse(raw);
    return rec && typeof rec === 'object' && typeof rec.phase === 'string' ? (rec as RolloutRecord) : undefined;
  } catch {
    return undefined;
  }
}

export const shortRevision = (n?: string | null): string => (n ? n.split('/').pop()! : '');

/**
 * Whether the record describes a rollout still to be driven on this service: it is
 * progressing or holding, and its new revision is still the latest created one (a newer
 * template supersedes it).
 */
export function activeRollout(svc: RunService | undefined): RolloutRecord | undefined {
  const rec = readRecord(svc);
  if (!rec || (rec.phase !== 'progressing' && rec.phase !== 'holding')) return undefined;
  const latest = shortRevision(svc?.latestCreatedRevision);
  if (rec.revision ? rec.revision !== latest : latest === rec.good) return undefined;
  return rec;
}

/** The revision serving now that a new rollout keeps as `good`: the one tagged good, else the largest share. */
export function servingRevision(svc: RunService): string | undefined {
  const statuses = servingTraffic(svc).filter((t) => t.revision);
  const tagged = statuses.find((t) => t.tag === TAG_GOOD && Number(t.percent ?? 0) > 0);
  if (tagged) return tagged.revision;
  const best = [...statuses].sort((a, b) => Number(b.percent ?? 0) - Number(a.percent ?? 0))[0];
  return best && Number(best.percent ?? 0) > 0 ? best.revision : shortRevision(svc.latestReadyRevision) || undefined;
}

const target = (revision: string, percent: number, tag?: string): TrafficTargetApi => ({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision, percent, ...(tag ? { tag } : {}) });

/** The first split of a rollout: everything on `good`; the revision this write creates tagged `next`. */
export function startTraffic(good: string): TrafficTargetApi[] {
  return [target(good, 100, TAG_GOOD), { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 0, tag: TAG_NEXT }];
}

/**
 * The split with `percent` on the new revision (tag `next`) and the rest on `good`. Once
 * the rollout is `final` (its last step passed), the new revision takes 100% and tag `good`.
 */
export function stepTraffic(good: string, revision: string, percent: number, final = false): TrafficTargetApi[] {
  if (final) return [target(revision, 100, TAG_GOOD)];
  return [target(good, 100 - percent, TAG_GOOD), target(revision, percent, TAG_NEXT)];
}

/** The step after `percent` (1-based index and percent), or undefined after the last. */
export function nextStep(steps: number[], percent: number): { step: number; percent: number } | undefined {
  const i = steps.findIndex((p) => p > percent);
  return i < 0 ? undefined : { step: i + 1, percent: steps[i] };
}

/** How long a rollout takes at least, for plans: steps × interval. */
export function rolloutDuration(cfg: RolloutConfig): string {
  return humanDuration(cfg.steps.length * cfg.intervalSeconds);
}

/** The gate in words: `5xx ratio ≤ 2%; SLO x burn rate < 10 over 5m`. */
export function describeGate(gate: { maxErrorRate?: number; slo?: SloGate }): string {
  const parts: string[] = [];
  if (gate.maxErrorRate !== undefined) parts.push(`5xx ratio ≤ ${pct(gate.maxErrorRate)}`);
  for (const a of gate.slo?.alerts ?? []) parts.push(`SLO ${gate.slo!.name} burn rate < ${a.burnRate} over ${humanDuration(a.lookbackSeconds)}`);
  return parts.join('; ') || 'none';
}

/** A plan note for an update that creates a new revision under `spec.rollout`. */
export function rolloutNote(cfg: RolloutConfig): string {
  const steps = cfg.steps.map((p) => `${p}%`).join(' → ');
  return `runs a canary rollout: the new revision starts with no traffic and tag ${TAG_NEXT}, then ${steps}, each observed for ${humanDuration(cfg.intervalSeconds)} (at least ${rolloutDuration(cfg)}); gate: ${describeGate(cfg)}; a failed gate sends 100% back to the revision tagged ${TAG_GOOD}`;
}

/** How a rollout ended, as a verb phrase: `failed`, `was aborted`, `was undone`, `succeeded`. */
export function ended(phase: RolloutPhase): string {
  return phase === 'failed' || phase === 'succeeded' ? phase : `was ${phase}`;
}

/** Percent text: 0.02 → `2%`, 0.1234 → `12.34%`. */
export function pct(ratio: number): string {
  return `${Number((ratio * 100).toFixed(2))}%`;
}
