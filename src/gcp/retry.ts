/**
 * Jittered exponential backoff for transient API errors (UNAVAILABLE,
 * RESOURCE_EXHAUSTED / 429, DEADLINE_EXCEEDED), honouring Retry-After.
 */
import { apiError, isRefusedBeforeRunning, isTransient } from './errors';

export interface RetryOptions {
  /** Attempts in total, including the first. @default 6 */
  attempts?: number;
  /** First backoff, ms. @default 200 */
  initialMs?: number;
  /** Cap for one backoff, ms. @default 10000 */
  maxMs?: number;
  /** Multiplier per attempt. @default 2 */
  factor?: number;
  /**
   * Called before each retry (for progress output), with the time since the first
   * attempt started and the call's label.
   */
  onRetry?: (err: unknown, attempt: number, delayMs: number, info: { elapsedMs: number; label?: string }) => void;
  /** What is being retried, for progress output (e.g. the method name). */
  label?: string;
  /**
   * Before retrying a transient error: may throw a better error to stop retrying (an
   * emulator that refuses connections is not coming back within this call's retries).
   */
  check?: (err: unknown) => Promise<void> | undefined;
  /** Which errors are retried. @default isTransient */
  retryable?: (err: unknown) => boolean;
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
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !(options.retryable ?? isTransient)(err) || options.signal?.aborted) throw err;
      await options.check?.(err);
      const retryAfter = apiError(err).retryAfter;
      const delay = Math.max(backoffDelay(attempt - 1, o), retryAfter !== undefined ? retryAfter * 1000 : 0);
      options.onRetry?.(err, attempt, delay, { elapsedMs: Date.now() - started, label: options.label });
      await new Promise((r) => setTimeout(r, Math.min(delay, o.maxMs * 3)));
    }
  }
}

/** Hooks around the calls of a wrapped client (rate limiting, idempotency keys). */
export interface RetryHooks {
  /**
   * Before each attempt of an API method. Return a promise to make the attempt wait
   * (a rate limiter's token); it resolves to a function called when the attempt has
   * settled. Return undefined for methods that are not API calls (sync helpers stay
   * sync).
   */
  before?(method: string, args: unknown[]): Promise<() => void> | undefined;
  /** After a failed attempt (e.g. pause a rate limiter on RESOURCE_EXHAUSTED). */
  failed?(method: string, args: unknown[], err: unknown): void;
  /**
   * Rewrite the arguments once per logical call; every retry of the call reuses them
   * (so an idempotency key such as Compute's `requestId` is the same on each attempt).
   */
  prepare?(method: string, args: unknown[]): unknown[];
  /**
   * A deadline for each attempt, ms, for transports that have none of their own (the
   * gax REST fallback ignores `timeout`). A late attempt is cancelled and fails with
   * DEADLINE_EXCEEDED, which is retried.
   */
  timeoutMs?(method: string, args: unknown[]): number | undefined;
  /**
   * Whether repeating the call is harmless. A call that is not (a create whose ID the
   * server assigns) is retried only after errors that prove it did not run
   * (`isRefusedBeforeRunning`); after a deadline or a lost connection the caller must look
   * before creating again. Unset: every call is idempotent.
   */
  idempotent?(method: string, args: unknown[]): boolean;
}

/** Reject with DEADLINE_EXCEEDED (gRPC code 4) when `p` takes longer than `ms`; cancel it if it can be. */
export function withDeadline<T>(p: Promise<T> & { cancel?: () => void }, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        p.cancel?.();
      } catch {
        /* cancelling is best effort */
      }
      reject(Object.assign(new Error(`${what}: no response within ${ms} ms`), { code: 4, details: `${what}: no response within ${ms} ms` }));
    }, ms);
  });
  // The cancelled call's own rejection must not surface as unhandled.
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const passThrough = (prop: string) => prop.startsWith('_') || prop.endsWith('Stream') || prop.endsWith('Path') || prop.startsWith('match');

/**
 * A listing (`listServicesAsync`, ...) that survives transient errors: the pages are
 * read to the end first — the whole listing is retried from its start when a page
 * fails, as a failed page cannot be asked for again from gax's iterator — and then
 * handed out. Lists are reads, and every caller reads them to the end.
 */
function retryingListing(list: () => AsyncIterable<unknown>, options: RetryOptions, gate: () => Promise<(() => void) | void> | undefined): AsyncGenerator<unknown> {
  return (async function* () {
    const items = await withRetry(async () => {
      const release = await gate();
      try {
        const out: unknown[] = [];
        for await (const item of list()) out.push(item);
        return out;
      } finally {
        release?.();
      }
    }, options);
    yield* items;
  })();
}

/**
 * Wrap a client so every promise-returning method and every listing (`...Async`)
 * retries transient errors. Sync methods (path helpers) and streams pass through
 * untouched.
 */
export function retrying<T extends object>(client: T, options: RetryOptions = {}, hooks: RetryHooks = {}): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || passThrough(prop)) {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      if (prop.endsWith('Async')) {
        // The quota group is the method's: `listServicesAsync` is a `listServices` read.
        const method = prop.slice(0, -'Async'.length);
        return (...args: unknown[]) => retryingListing(() => value.apply(target, args), { ...options, label: method }, () => hooks.before?.(method, args));
      }
      const callOptions = { ...options, label: prop };
      return (...original: unknown[]) => {
        const args = hooks.prepare ? hooks.prepare(prop, original) : original;
        const attempt = () => {
          let p = value.apply(target, args) as Promise<unknown>;
          const ms = p && typeof p.then === 'function' ? hooks.timeoutMs?.(prop, args) : undefined;
          if (ms) p = withDeadline(p, ms, prop);
          if (hooks.failed && p && typeof p.then === 'function') {
            return p.catch((err: unknown) => {
              hooks.failed!(prop, args, err);
              throw err;
            });
          }
          return p;
        };
        // A call that is not idempotent is repeated only when the error proves it did not run.
        const perCall = hooks.idempotent && !hooks.idempotent(prop, args) ? { ...callOptions, retryable: isRefusedBeforeRunning } : callOptions;
        const gate = hooks.before?.(prop, args);
        if (gate) {
          let first = true;
          return withRetry(async () => {
            const release = await (first ? gate : hooks.before!(prop, args));
            first = false;
            try {
              return await attempt();
            } finally {
              release?.();
            }
          }, perCall);
        }
        const first = attempt();
        if (!first || typeof (first as Promise<unknown>).then !== 'function') return first;
        let used = false;
        return withRetry(() => {
          if (!used) {
            used = true;
            return first as Promise<unknown>;
          }
          return attempt() as Promise<unknown>;
        }, perCall);
      };
    },
  });
}
