/**
 * Kubernetes-style conditions, built in one place: `Ready` (from the live object, as the
 * controller reads it) and `Synced` (from the engine's last reconcile of the resource).
 * `apply -o json` reports both per resource; `get` reports `Ready` under `status`.
 */
import type { Condition, ResourceStatus } from './controller';
import type { ResourceResult } from './executor';

/** `Ready` from a live status; without one, Unknown with the reason given. */
export function readyCondition(status: ResourceStatus | undefined, reasonWhenUnknown: string): Condition {
  const ready = status?.ready;
  return { type: 'Ready', status: ready?.status ?? 'Unknown', reason: ready?.reason ?? reasonWhenUnknown, message: ready?.message };
}

/** `Synced` from a reconcile outcome: True only when it succeeded (paused is not synced). */
export function syncedCondition(synced: ResourceResult['synced'], error?: string): Condition {
  return { type: 'Synced', status: synced === 'ReconcileSuccess' ? 'True' : 'False', reason: synced, message: error };
}

/** Both conditions of a resource after a reconcile (a deletion is Deleting until gone). */
export function resultConditions(r: ResourceResult): Condition[] {
  return [readyCondition(r.status, r.action === 'delete' ? 'Deleting' : 'Unavailable'), syncedCondition(r.synced, r.error)];
}

/** The conditions a live resource shows: `Ready` when the controller reported one, else none. */
export function liveConditions(status: ResourceStatus | undefined): Condition[] {
  const ready = status?.ready;
  if (!ready) return [];
  return [{ type: 'Ready', status: ready.status, reason: ready.reason, ...(ready.message ? { message: ready.message } : {}) }];
}
