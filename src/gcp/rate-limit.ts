/**
 * Client-side rate limiting: stay under an API's per-minute request quota instead of
 * hammering it and living on 429s.
 *
 * Google enforces rate quotas per group of methods over 60-second intervals (Cloud Run:
 * read and write requests per minute per project and region; Compute: per project,
 * in synchronized one-minute intervals). A classic token bucket either wastes quota
 * (small burst) or exceeds it (burst + refill > limit within one minute). This limiter
 * is a bucket of `perMinute` tokens where each spent token comes back one window
 * (plus a safety margin) after its request finished: at most `perMinute` requests
 * reach the server in any window of that length, so neither a sliding nor a
 * synchronized server-side window can be exceeded, and a burst of the whole quota is
 * allowed at once.
 */
import { RunctlError } from '../util/types';

/** A quota for one group: requests per minute. */
export interface RateLimit {
  perMinute: number;
}

/**
 * Limits by group name: `run.write`, `run.read`, `compute.write`, `compute.read`,
 * `monitoring.write`, `monitoring.read`, `storage.write`, `storage.read`,
 * `binauthz.write`, `binauthz.read`. Cloud Run groups are counted per region
 * (the quota is per project and region); the others per project.
 */
export type RateLimits = Record<string, RateLimit>;

/**
 * Defaults for real Google Cloud. Cloud Run Admin API: write requests per minute per
 * region 180 and read requests 1000 (the commonly quoted defaults of the "Write/Read
 * requests per minute per region" quotas; projects can have other values — set
 * `RUNCTL_RATE_LIMITS` to yours). Other APIs have large per-project quotas and no
 * client-side limit unless configured.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  'run.write': { perMinute: 180 },
  'run.read': { perMinute: 1000 },
};

/** Extra time before a spent token returns, covering clock drift and window rounding. @default 500 */
export const WINDOW_MARGIN_MS = 500;

/**
 * Parse `RUNCTL_RATE_LIMITS`: `off`, or comma-separated `GROUP=N[/min]` entries, e.g.
 * `run.write=60/min,run.read=600`. An entry `GROUP=off` removes that group's limit.
 */
export function parseRateLimits(text: string | undefined, base: RateLimits = DEFAULT_RATE_LIMITS): RateLimits {
  if (text === undefined || text.trim() === '') return { ...base };
  if (text.trim().toLowerCase() === 'off') return {};
  const out: RateLimits = { ...base };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+\.(?:read|write))=(off|\d+(?:\.\d+)?)(?:\/min)?$/i.exec(part);
    if (!m) {
      throw new RunctlError('Usage', `RUNCTL_RATE_LIMITS: cannot read "${part}" (expected GROUP=N/min, e.g. run.write=180/min, or off)`, { source: 'user' });
    }
    if (m[2].toLowerCase() === 'off') delete out[m[1]];
    else if (Number(m[2]) <= 0) throw new RunctlError('Usage', `RUNCTL_RATE_LIMITS: ${m[1]} must be positive`, { source: 'user' });
    else out[m[1]] = { perMinute: Number(m[2]) };
  }
  return out;
}

/** One group's window of spent tokens. */
class Window {
  /** Tokens held by requests still in flight. */
  private inFlight = 0;
  /** Times (ms) at which returned tokens become usable again, oldest first. */
  private returns: number[] = [];
  private queue: Array<(release: () => void) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** No token is handed out before this time (the server said to back off). */
  private pausedUntil = 0;

  constructor(
    private readonly perMinute: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.drain();
    });
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.drain();
  }

  /**
   * A token comes back one window after its request *finished*: the server received
   * the request before that, so however long the client took between taking the
   * token and putting the request on the wire (connecting, loading protos), no window
   * on the server holds more than `perMinute` of our requests.
   */
  private release(): void {
    this.inFlight--;
    this.returns.push(this.now() + this.windowMs);
    this.drain();
  }

  private drain(): void {
    const now = this.now();
    while (this.returns.length && this.returns[0] <= now) this.returns.shift();
    while (this.queue.length && now >= this.pausedUntil && this.inFlight + this.returns.length < this.perMinute) {
      this.inFlight++;
      let released = false;
      this.queue.shift()!(() => {
        if (released) return;
        released = true;
        this.release();
      });
    }
    if (!this.queue.length || this.timer) return;
    let next = this.pausedUntil;
    if (this.inFlight + this.returns.length >= this.perMinute) {
      // Nothing returns before a request in flight finishes: release() drains again.
      if (!this.returns.length) return;
      next = Math.max(next, this.returns[0]);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, Math.max(1, next - now));
  }

  get waiting(): number {
    return this.queue.length;
  }
}

export interface RateLimiterOptions {
  /** Window length, ms. @default 60000 */
  windowMs?: number;
  /** Added to the window before a token returns, ms. @default WINDOW_MARGIN_MS */
  marginMs?: number;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/** Rate limits per group key (`run.write:europe-north1`). */
export class RateLimiter {
  private windows = new Map<string, Window>();
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Requests that had to wait for a token, by group (for progress and the bench). */
  readonly delayed: Record<string, number> = {};

  constructor(readonly limits: RateLimits, options: RateLimiterOptions = {}) {
    this.windowMs = (options.windowMs ?? 60_000) + (options.marginMs ?? WINDOW_MARGIN_MS);
    this.now = options.now ?? Date.now;
  }

  /** Whether a group (e.g. `run.write`) is limited at all. */
  has(group: string): boolean {
    return !!this.limits[group];
  }

  private window(group: string, scope: string | undefined): Window | undefined {
    const limit = this.limits[group];
    if (!limit) return undefined;
    const key = scope ? `${group}:${scope}` : group;
    let w = this.windows.get(key);
    if (!w) {
      w = new Window(limit.perMinute, this.windowMs, this.now);
      this.windows.set(key, w);
    }
    return w;
  }

  /**
   * Wait for a token of the group (in the scope, e.g. a region); call the returned
   * function when the request has finished. Resolves at once when unlimited.
   */
  async acquire(group: string, scope?: string): Promise<() => void> {
    const w = this.window(group, scope);
    if (!w) return () => {};
    const p = w.acquire();
    if (w.waiting > 0) this.delayed[group] = (this.delayed[group] ?? 0) + 1;
    return p;
  }

  /** Run one request under a token of the group. */
  async run<T>(group: string, scope: string | undefined, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(group, scope);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** The server answered RESOURCE_EXHAUSTED: hand out no token of the group before `ms`. */
  pause(group: string, scope: string | undefined, ms: number): void {
    this.window(group, scope)?.pause(ms);
  }
}

/** Which quota group a client call counts against, and in which scope (region). */
export interface QuotaCall {
  group: string;
  scope?: string;
}

const WRITE_METHOD = /^(create|update|delete|insert|patch|set|replace|add|remove|attach|detach|cancel|resize|upload|combine|rewrite|copy|move)/i;

/** Region named in a request's resource names (`projects/p/locations/R/...`). */
function regionOf(request: unknown): string | undefined {
  if (!request || typeof request !== 'object') return undefined;
  const r = request as Record<string, any>;
  for (const v of [r.parent, r.name, r.resource, r.service?.name]) {
    const m = typeof v === 'string' ? /(?:^|\/)locations\/([^/]+)/.exec(v) : null;
    if (m) return m[1];
  }
  return typeof r.region === 'string' ? r.region : undefined;
}

/**
 * Classify a call of a client (`run`, `compute`, `monitoring`, `storage`, `binauthz`)
 * by method name: writes are creates, updates, deletes, IAM and policy changes.
 */
export function quotaCall(api: string, method: string, request?: unknown): QuotaCall {
  const kind = WRITE_METHOD.test(method) ? 'write' : 'read';
  return { group: `${api}.${kind}`, scope: api === 'run' ? regionOf(request) : undefined };
}

/**
 * Limits for a target from the environment: `RUNCTL_RATE_LIMITS` on top of the
 * defaults (Cloud Run's quotas for real Google Cloud, none for emulators).
 */
export function rateLimitsFor(mode: 'embedded' | 'emulator' | 'google', env: NodeJS.ProcessEnv): RateLimits {
  return parseRateLimits(env.RUNCTL_RATE_LIMITS, mode === 'google' ? DEFAULT_RATE_LIMITS : {});
}
