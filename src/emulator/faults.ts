/**
 * Fault, latency and quota injection: rules set through `/__emulator/faults` and
 * `/__emulator/quotas` (or `core.faults` in tests). Every random choice (does a `rate`
 * rule fire, how much jitter) draws from the seeded source, so a seed replays a run.
 */
import type { Clock } from './clock';
import { Code, EmulatorError, codeName, grpcCodeOf } from './errors';
import type { SeededRandom } from './random';

/** A fault rule: matching calls fail with `code`, for `times` calls or at `rate`. */
export interface FaultRule {
  /** Method name (`Services.CreateService`) or prefix ending in `*` (`TargetHttpsProxies.*`), or `*`. */
  method: string;
  /** gRPC code, HTTP status, or code name. */
  code: number | string;
  /** Fail this many matching calls, then stop. Unset: no count limit. */
  times?: number;
  /** Probability (0..1) that a matching call fails. @default 1 */
  rate?: number;
  /** Message of the injected error. */
  message?: string;
  /** Added latency for matching calls, ms (with code 0 / OK: latency only). */
  latencyMs?: number;
  /** Random extra latency up to this many ms. */
  jitterMs?: number;
  /** Apply to long-running operations' outcome instead of the call itself. */
  operation?: boolean;
}

/** Requests-per-minute quota per method group, answered with RESOURCE_EXHAUSTED when exceeded. */
export interface QuotaRule {
  /** Method prefix, e.g. `Services.` for the Cloud Run Admin API, with `kind` read or write. */
  group: string;
  kind?: 'read' | 'write';
  perMinute: number;
}

/** Whether a rule's method pattern (`*`, `Prefix.*`, or an exact name) covers `method`. */
export function methodMatches(pattern: string, method: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return method.startsWith(pattern.slice(0, -1));
  return pattern === method;
}

/** The fault and quota rules in force, and the decisions drawn from them. */
export class FaultInjector {
  rules: FaultRule[] = [];
  quotas: QuotaRule[] = [];
  /** Call times per quota group within the last simulated minute. */
  private readonly quotaWindows = new Map<string, number[]>();

  constructor(private readonly clock: Clock, private readonly random: SeededRandom) {}

  /** Latency (ms) the matching call-level rules add to a call of `method`. */
  latencyOf(method: string): number {
    let latency = 0;
    for (const rule of this.rules) {
      if (rule.operation || !methodMatches(rule.method, method)) continue;
      if (rule.latencyMs) latency += rule.latencyMs;
      if (rule.jitterMs) latency += this.random.next() * rule.jitterMs;
    }
    return latency;
  }

  /** If a fault rule fires for this method, return the error (and consume one `times`). */
  take(method: string, operation: boolean): EmulatorError | undefined {
    for (const rule of this.rules) {
      if (!!rule.operation !== operation || !methodMatches(rule.method, method)) continue;
      const code = grpcCodeOf(rule.code);
      if (code === Code.OK) continue;
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (rule.rate !== undefined && this.random.next() >= rule.rate) continue;
      if (rule.times !== undefined) rule.times--;
      return new EmulatorError(code, rule.message ?? `Injected fault: ${codeName(code)} on ${method}`, undefined, code === Code.RESOURCE_EXHAUSTED ? 1 : undefined);
    }
    return undefined;
  }

  /** Count a call against the quotas; RESOURCE_EXHAUSTED (with Retry-After) when one is used up. */
  checkQuota(method: string, kind: 'read' | 'write'): void {
    for (const q of this.quotas) {
      if (!method.startsWith(q.group) || (q.kind && q.kind !== kind)) continue;
      const key = `${q.group}:${q.kind ?? '*'}`;
      const now = this.clock.now();
      const win = (this.quotaWindows.get(key) ?? []).filter((t) => t > now - 60_000);
      if (win.length >= q.perMinute) {
        this.quotaWindows.set(key, win);
        const retryAfter = Math.max(1, Math.ceil((win[0] + 60_000 - now) / 1000 / this.clock.timeScale));
        const label = kind === 'read' ? 'Read' : 'Write';
        throw new EmulatorError(
          Code.RESOURCE_EXHAUSTED,
          `Quota exceeded for quota metric '${label} requests' and limit '${label} requests per minute per region' of service '${q.group}'`,
          'rateLimitExceeded',
          retryAfter,
        );
      }
      win.push(now);
      this.quotaWindows.set(key, win);
    }
  }
}
