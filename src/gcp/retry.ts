/**
 * Jittered exponential backoff for transient API errors (UNAVAILABLE,
 * RESOURCE_EXHAUSTED / 429, DEADLINE_EXCEEDED), honouring Retry-After.
 */
import { apiError, isTransient } from './errors';

export interface RetryOptions {
  /** Attempts in total, including the first. @default 6 */
  attempts?: number;
  /** First backoff, ms. @default 200 */
  initialMs?: number;
  /** Cap for one backoff, ms. @default 10000 */
  maxMs?: number;
  /** Multiplier per attempt. @default 2 */
  factor?: number;
  /** Called before each retry (for progress output). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Full-jitter backoff delay for a (0-based) retry number. */
export function backoffDelay(retry: number, o: Required<Pick<RetryOptions, 'initialMs' | 'maxMs' | 'factor'>>): number {
  const ceiling = Math.min(o.maxMs, o.initialMs * o.factor ** retry);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const o = { initialMs: options.initialMs ?? 200, maxMs: options.maxMs ?? 10_000, factor: options.factor ?? 2 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isTransient(err) || options.signal?.aborted) throw err;
      const retryAfter = apiError(err).retryAfter;
      const delay = Math.max(backoffDelay(attempt - 1, o), retryAfter !== undefined ? retryAfter * 1000 : 0);
      options.onRetry?.(err, attempt, delay);
      await new Promise((r) => setTimeout(r, Math.min(delay, o.maxMs * 3)));
    }
  }
}

/**
 * Wrap a client so every promise-returning method retries transient errors. Sync
 * methods (path helpers) and async iterators pass through untouched.
 */
export function retrying<T extends object>(client: T, options: RetryOptions = {}): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop.startsWith('_') || prop.endsWith('Async') || prop.endsWith('Stream') || prop.endsWith('Path') || prop.startsWith('match')) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        let first: unknown;
        try {
          first = value.apply(target, args);
        } catch (err) {
          throw err;
        }
        if (!first || typeof (first as Promise<unknown>).then !== 'function') return first;
        let used = false;
        return withRetry(() => {
          if (!used) {
            used = true;
            return first as Promise<unknown>;
          }
          return value.apply(target, args) as Promise<unknown>;
        }, options);
      };
    },
  });
}
