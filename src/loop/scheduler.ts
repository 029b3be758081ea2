/**
 * The work queue of a controller loop. Triggers (file edits, resync and poll timers,
 * per-resource retries) only *request* work; one worker runs passes one at a time,
 * merging whatever piled up meanwhile into the next pass. Passes never overlap, so two
 * passes never write the same resource at once.
 */
import type { Trigger } from './metrics';

export interface Work {
  /** Re-read the source (files, or the Git ref). */
  reload: boolean;
  /** Reconcile everything (and count writes as drift when the trigger is a resync). */
  full: boolean;
  /** Reconcile only these keys (and what depends on them). */
  keys: Set<string>;
  triggers: Set<Trigger>;
}

export interface SchedulerOptions {
  signal: AbortSignal;
  handle(work: Work): Promise<void>;
  /** A pass threw (the loop keeps running). */
  onError(err: unknown): void;
  /** How long to wait for an in-flight pass after the abort. @default 20000 (the CLI passes --shutdown-timeout, 8s) */
  graceMs?: number;
}

const empty = (): Work => ({ reload: false, full: false, keys: new Set(), triggers: new Set() });
const idle = (w: Work) => !w.reload && !w.full && w.keys.size === 0;

export class Scheduler {
  private pending = empty();
  private wake: (() => void) | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private retries = new Map<string, NodeJS.Timeout>();
  private inflight: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: SchedulerOptions) {
    opts.signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  /** Ask for work; merged with anything already pending. */
  request(part: { reload?: boolean; full?: boolean; keys?: Iterable<string> }, trigger: Trigger): void {
    if (this.opts.signal.aborted) return;
    if (part.reload) this.pending.reload = true;
    if (part.full) this.pending.full = true;
    for (const k of part.keys ?? []) this.pending.keys.add(k);
    this.pending.triggers.add(trigger);
    this.wake?.();
  }

  /**
   * Retry `key` after `ms` (replacing an earlier retry of it). `work` is what to request
   * then: by default the resource `key` alone.
   */
  retryAfter(key: string, ms: number, work: { reload?: boolean; full?: boolean; keys?: string[] } = { keys: [key] }): void {
    this.cancelRetry(key);
    const t = setTimeout(() => {
      this.retries.delete(key);
      this.request(work, 'retry');
    }, ms);
    this.retries.set(key, t);
  }

  cancelRetry(key: string): void {
    const t = this.retries.get(key);
    if (t) clearTimeout(t);
    this.retries.delete(key);
  }

  /** Keys with a retry scheduled. */
  retrying(): string[] {
    return [...this.retries.keys()].sort();
  }

  /** Call `fn` every `ms` until the loop stops. */
  every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.add(t);
  }

  /** Resolves when nothing is pending or running (for tests and shutdown). */
  whenIdle(): Promise<void> {
    if (!this.inflight && idle(this.pending)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Run passes until the signal aborts; then let the pass in flight finish, for up to
   * the grace period. Resolves false when a pass was abandoned (its Google operations
   * go on server-side; the next start re-reads the world and carries on).
   */
  async run(): Promise<boolean> {
    const { signal } = this.opts;
    let finished = true;
    while (!signal.aborted) {
      if (idle(this.pending)) {
        for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const work = this.pending;
      this.pending = empty();
      this.inflight = this.opts.handle(work).catch((err) => this.opts.onError(err));
      finished = await this.settle(this.inflight);
      this.inflight = undefined;
    }
    this.stopTimers();
    for (const w of this.idleWaiters.splice(0)) w();
    return finished;
  }

  /** True when `p` settles; false when the loop was aborted and the grace period ran out first. */
  private settle(p: Promise<void>): Promise<boolean> {
    const { signal } = this.opts;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => (timer = setTimeout(() => resolve(false), this.opts.graceMs ?? 20_000));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      void p.then(() => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  private stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
  }
}
