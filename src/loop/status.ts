/** Liveness and readiness of a controller loop, as `/healthz` and `/readyz` report them. */
import type { StatusSource } from './http';
import type { LoopMetrics } from './metrics';

export class LoopStatus implements StatusSource {
  private isReady = false;
  private stopped = false;
  private reason = 'the first reconcile has not finished';

  constructor(private readonly metrics?: LoopMetrics) {
    metrics?.ready.set(0);
  }

  ready(): boolean {
    return this.isReady && !this.stopped;
  }

  notReadyReason(): string {
    return this.stopped ? 'shutting down' : this.reason;
  }

  alive(): boolean {
    return !this.stopped;
  }

  /** Say why the loop is not ready yet (before the first pass finishes). */
  waiting(reason: string): void {
    this.reason = reason;
  }

  /** The first reconcile pass has finished (whatever its outcome). */
  markReady(): void {
    this.isReady = true;
    this.metrics?.ready.set(1);
  }

  /** Not ready again (a controller waiting for its lease): says why. */
  markNotReady(reason: string): void {
    this.isReady = false;
    this.reason = reason;
    this.metrics?.ready.set(0);
  }

  markStopped(): void {
    this.stopped = true;
    this.metrics?.ready.set(0);
  }
}
