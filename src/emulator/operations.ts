/**
 * Long-running operations of every module: each completes after the operation latency
 * of simulated time, or when it is read after it is due, and at most once.
 */
import type { Clock } from './clock';

/** Completes operations on time; the module owns what "complete" changes. */
export class OperationScheduler {
  private readonly completers = new Map<string, () => void>();

  /**
   * @param clock the simulated clock
   * @param beforeComplete run before each completion (models catch up to now)
   * @param afterComplete run after each completion (persist the change)
   */
  constructor(
    private readonly clock: Clock,
    private readonly beforeComplete: () => void,
    private readonly afterComplete: () => void,
  ) {}

  /**
   * Schedule `complete` after `latencyMs` of simulated time. At zero latency it runs on
   * the next microtask: after the call that started it has answered.
   */
  schedule(id: string, complete: () => void, latencyMs: number): { doneAt: number } {
    const doneAt = this.clock.now() + latencyMs;
    let ran = false;
    const run = () => {
      if (ran) return;
      ran = true;
      this.completers.delete(id);
      this.beforeComplete();
      complete();
      this.afterComplete();
    };
    this.completers.set(id, run);
    if (latencyMs <= 0) queueMicrotask(run);
    else void this.clock.sleep(latencyMs).then(run);
    return { doneAt };
  }

  /** Complete an operation now if it is due (called when an operation is read). */
  settle(id: string, doneAt: number): void {
    if (this.clock.now() >= doneAt) this.completers.get(id)?.();
  }

  /** Complete every pending operation (shutdown). */
  settleAll(): void {
    for (const run of [...this.completers.values()]) run();
  }
}
