/**
 * The physical limit of an apply: the least wall time any client could achieve against
 * an API with this latency, operation time and write quota, whatever its parallelism.
 *
 * Per service, the dependency chain is fixed by the API: learn that it does not exist
 * (one list per region, shared by all services: L), create it (L), wait for the
 * long-running operation (T_op); a service that declares `public`/`invokers` then sets
 * its IAM policy (L; a new service's policy is known to be empty, so no read is needed).
 * Services are independent, so their chains overlap completely:
 *
 *   critical path  = L + L + T_op (+ L when the service declares IAM)
 *
 * Every create and every IAM change is a write. A quota of Q writes per minute per
 * region admits at most Q writes in any 60-second window, so the W-th write cannot be
 * accepted before floor((W - 1) / Q) minutes after the first, and it takes at least one
 * more call latency to complete (its operation too, if it is a create — but the last
 * writes of an ideal schedule are IAM changes, which have none):
 *
 *   quota bound    = L + floor((W - 1) / Q) x 60 s + L
 *
 *   physical limit = max(critical path, quota bound)
 *
 * Everything else a real client does (reading the service back after its operation,
 * reading its IAM policy, its own CPU time) is overhead above the limit.
 */

export interface LimitInput {
  /** Services to create. */
  n: number;
  /** Of which declare IAM (one more write each). */
  iam: number;
  /** Latency of one call, ms. */
  latencyMs: number;
  /** Time until a long-running operation is done, ms. */
  operationMs: number;
  /** Writes per minute per region. */
  writesPerMinute: number;
}

export interface Limit {
  ms: number;
  criticalPathMs: number;
  quotaBoundMs: number;
  writes: number;
  /** Which bound decides: `latency` or `quota`. */
  bound: 'latency' | 'quota';
}

export function physicalLimit(x: LimitInput): Limit {
  const criticalPathMs = 2 * x.latencyMs + x.operationMs + (x.iam > 0 ? x.latencyMs : 0);
  const writes = x.n + x.iam;
  const quotaBoundMs = 2 * x.latencyMs + Math.floor((writes - 1) / x.writesPerMinute) * 60_000;
  const ms = Math.max(criticalPathMs, quotaBoundMs);
  return { ms, criticalPathMs, quotaBoundMs, writes, bound: quotaBoundMs > criticalPathMs ? 'quota' : 'latency' };
}

/** The formula, for the report. */
export const FORMULA = [
  'physical limit = max(critical path, quota bound)',
  'critical path  = L (list, once per region) + L (create) + T_op (operation) [+ L (set IAM) if any service declares IAM]',
  'quota bound    = L + floor((W - 1) / Q) x 60 s + L, W = creates + IAM changes, Q = writes per minute per region',
];
