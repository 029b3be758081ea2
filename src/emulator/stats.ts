/** Call counters exposed at `/__emulator/stats`: tests assert on counts, not on time. */

/** What `GET /__emulator/stats` answers: reads, writes and calls per method since the last reset. */
export interface StatsSnapshot {
  reads: number;
  writes: number;
  /** Calls per method name, e.g. `Services.CreateService`. */
  calls: Record<string, number>;
}

/** Counters exposed at `/__emulator/stats`. */
export class Stats {
  reads = 0;
  writes = 0;
  calls: Record<string, number> = {};

  record(method: string, kind: 'read' | 'write'): void {
    if (kind === 'read') this.reads++;
    else this.writes++;
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.calls = {};
  }

  toJSON(): StatsSnapshot {
    return { reads: this.reads, writes: this.writes, calls: { ...this.calls } };
  }
}
