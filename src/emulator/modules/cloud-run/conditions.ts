/** Condition objects (`google.cloud.run.v2.Condition`) as Cloud Run reports them. */
import { ts, type Obj } from './state';

/** CommonReason values a condition's `reason` may carry. */
const COMMON_REASONS = new Set([
  'UNKNOWN', 'REVISION_FAILED', 'PROGRESS_DEADLINE_EXCEEDED', 'CONTAINER_MISSING',
  'CONTAINER_PERMISSION_DENIED', 'CONTAINER_IMAGE_UNAUTHORIZED',
  'CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED', 'ENCRYPTION_KEY_PERMISSION_DENIED',
  'ENCRYPTION_KEY_CHECK_FAILED', 'SECRETS_ACCESS_CHECK_FAILED', 'WAITING_FOR_OPERATION',
  'IMMEDIATE_RETRY', 'POSTPONED_RETRY', 'INTERNAL', 'VPC_NETWORK_NOT_FOUND',
]);

/** `google.cloud.run.v2.Condition.State` values. */
export type ConditionState = 'CONDITION_PENDING' | 'CONDITION_RECONCILING' | 'CONDITION_FAILED' | 'CONDITION_SUCCEEDED';

/** A condition; `reason` is kept only when it is a CommonReason (else REVISION_FAILED on failures). */
export function condition(type: string, state: ConditionState, nowMs: number, extra: { message?: string; reason?: string } = {}): Obj {
  const c: Obj = { type, state, lastTransitionTime: ts(nowMs) };
  if (extra.message) c.message = extra.message;
  if (state === 'CONDITION_FAILED') {
    c.severity = 'ERROR';
    c.reason = extra.reason && COMMON_REASONS.has(extra.reason) ? extra.reason : 'REVISION_FAILED';
  } else if (extra.reason && COMMON_REASONS.has(extra.reason)) {
    c.reason = extra.reason;
  }
  return c;
}

/** The state of a resource's `Ready` condition (revisions), or undefined. */
export function readyState(conditions: Obj[] | undefined): ConditionState | undefined {
  return conditions?.find((c) => c.type === 'Ready')?.state;
}
