/**
 * Per-resource exponential backoff: a resource whose apply keeps failing is retried
 * later and later (base, 2×base, 4×base, ... up to max, with jitter so many failing
 * resources do not retry in lockstep), while every other resource carries on.
 */

export interface BackoffOptions {
  /** First delay. @default 1000 */
  baseMs?: number;
  /** Longest delay. @default 300000 (5 minutes) */
  maxMs?: number;
  /** Fraction of the delay randomised away (0 = none). @default 0.2 */
  jitter?: number;
  /** Random source in [0, 1), for tests. @default Math.random */
  random?: () => number;
}

export class Backoff {
  private failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
  }

  /** Record a failure of `key`; returns how long to wait before retrying it. */
  fail(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(n - 1, 30));
    return Math.round(delay * (1 - this.jitter * this.random()));
  }

  /** Record a success: the next failure starts from the base delay again. */
  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** Consecutive failures of `key` so far. */
  attempts(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Forget resource keys (`Kind/name`) no longer managed; other keys (whole passes, commits) stay. */
  retain(keys: Set<string>): void {
    for (const k of [...this.failures.keys()]) if (k.includes('/') && !keys.has(k)) this.failures.delete(k);
  }
}
