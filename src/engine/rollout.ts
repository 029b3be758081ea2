/**
 * Progressive delivery as a capability a kind may declare (`Controller.capabilities.rollout`):
 * the record a rollout keeps on the live object, the report `runctl rollout status` shows
 * and the manual actions. Kind-neutral: the CLI reaches a rollout through the registry,
 * never through a kind's own files. The capability's interface itself is part of the
 * contract in `controller.ts` (this file holds its data, so the two do not import each other).
 */
import type { Manifest } from './types';

/** Where a rollout stands. */
export type RolloutPhase = 'progressing' | 'holding' | 'succeeded' | 'failed' | 'aborted' | 'undone';

/** A burn-rate gate taken from an SLO. */
export interface SloGate {
  name: string;
  /** Availability goal, e.g. 0.99. */
  goal: number;
  alerts: Array<{ burnRate: number; lookbackSeconds: number }>;
}

/** The thresholds a rollout is gated on. */
export interface RolloutGate {
  maxErrorRate?: number;
  slo?: SloGate;
  minRequests: number;
  onNoData: 'fail' | 'hold';
}

/** What a gate evaluation measured (kept on the record as the latest figures). */
export interface GateFigures {
  /** Evaluation time and the step window start (ISO, target clock). */
  at: string;
  since: string;
  requests: number;
  errors: number;
  /** Per SLO alert: burn rate of the new revision over the alert's lookback. */
  burnRates?: Array<{ lookback: string; requests: number; errors: number; burnRate: number; threshold: number }>;
  verdict: 'pass' | 'fail' | 'nodata';
  summary: string;
}

/** The rollout record kept on the live object. */
export interface RolloutRecord {
  phase: RolloutPhase;
  /** The new revision (unknown until the write that creates it has finished). */
  revision?: string;
  /** The revision tagged `good` when the rollout began: where a rollback sends traffic. */
  good: string;
  /** Traffic percent on the new revision now. */
  percent: number;
  /** 1-based index of the current step (0: created, no traffic yet). */
  step: number;
  steps: number[];
  intervalSeconds: number;
  startedAt: string;
  /** When the current split took effect (target clock): the gate's window starts here. */
  stepStartedAt?: string;
  /** Thresholds in force, so `rollout status` needs no manifest. */
  gate: RolloutGate;
  last?: GateFigures;
  message?: string;
}

/** What `rollout status` shows. */
export interface RolloutReport {
  /** Full API name of the object rolled out. */
  service: string;
  record?: RolloutRecord;
  /** Whether the record is still being driven (progressing or holding, not superseded). */
  active: boolean;
  traffic: Array<{ revision: string; percent: number; tag?: string }>;
  latestRevision: string;
  /** The gate's figures over the current step so far (active rollouts past their first write). */
  now?: GateFigures;
}

/** The result of a manual action (promote, abort, undo). */
export interface RolloutResult {
  changed: boolean;
  message: string;
  record?: RolloutRecord;
}
