/**
 * The simulated clock every module reads: real time scaled by `timeScale`, plus manual
 * advances (`/__emulator/clock/advance`), with sleeps that wake on either.
 */

/** Simulated clock: real time scaled by `timeScale`, plus manual advances. */
export class Clock {
  private readonly realStart = Date.now();
  private readonly simStart: number;
  private offsetMs = 0;
  private waiters: Array<{ at: number; resolve: () => void }> = [];

  constructor(public timeScale = 1, simStart = Date.now()) {
    this.simStart = simStart;
  }

  /** Current simulated time in ms since the epoch. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.timeScale + this.offsetMs;
  }

  /** Advance simulated time (tests, `/__emulator/clock/advance`). */
  advance(ms: number): void {
    this.offsetMs += ms;
    this.wake();
  }

  /** Resolve after `ms` of simulated time. */
  sleep(ms: number): Promise<void> {
    const at = this.now() + ms;
    return new Promise((resolve) => {
      const w = { at, resolve };
      this.waiters.push(w);
      const realMs = Math.max(0, ms / Math.max(this.timeScale, 1e-9));
      setTimeout(() => this.wake(), Math.min(realMs + 1, 2 ** 31 - 1)).unref?.();
    });
  }

  private wake(): void {
    const now = this.now();
    const due = this.waiters.filter((w) => w.at <= now);
    this.waiters = this.waiters.filter((w) => w.at > now);
    for (const w of due) w.resolve();
  }
}
