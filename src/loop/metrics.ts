/**
 * Prometheus metrics of a controller loop (prom-client). Each loop owns its registry, so
 * several loops in one process (tests) never collide and `/metrics` shows one loop.
 */
import * as client from 'prom-client';
import type { ResourceResult } from '../engine/executor';

/** Why a reconcile pass ran. */
export type Trigger = 'initial' | 'change' | 'resync' | 'retry' | 'commit';

export class LoopMetrics {
  readonly registry = new client.Registry();
  /** Passes, by trigger and result (`success`, `error`, `rejected`). */
  readonly passes = new client.Counter({ name: 'runctl_reconcile_passes_total', help: 'Reconcile passes, by trigger and result', labelNames: ['trigger', 'result'], registers: [this.registry] });
  readonly passDuration = new client.Histogram({
    name: 'runctl_reconcile_pass_duration_seconds',
    help: 'Duration of reconcile passes (read, plan, write)',
    labelNames: ['trigger'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  /** Resources reconciled, by kind and outcome (applied, unchanged, failed, skipped, paused). */
  readonly reconciles = new client.Counter({ name: 'runctl_reconciles_total', help: 'Resources reconciled, by kind and outcome', labelNames: ['kind', 'outcome'], registers: [this.registry] });
  readonly duration = new client.Histogram({
    name: 'runctl_reconcile_duration_seconds',
    help: 'Time to bring one resource in line (writes and waits), by kind',
    labelNames: ['kind'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
  readonly errors = new client.Counter({ name: 'runctl_reconcile_errors_total', help: 'Failed resource reconciles, by kind and error code', labelNames: ['kind', 'code'], registers: [this.registry] });
  readonly drift = new client.Counter({ name: 'runctl_drift_corrections_total', help: 'Live resources put back to the manifests by a resync, by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly outOfSync = new client.Gauge({ name: 'runctl_resources_out_of_sync', help: 'Resources whose last reconcile failed (awaiting retry), by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly managed = new client.Gauge({ name: 'runctl_resources_managed', help: 'Resources in the manifest set in force, by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly invalid = new client.Counter({ name: 'runctl_manifest_errors_total', help: 'Manifest sets (file edits or commits) rejected as invalid or unplannable', registers: [this.registry] });
  readonly ready = new client.Gauge({ name: 'runctl_ready', help: '1 once the first reconcile pass has finished', registers: [this.registry] });
  readonly commit = new client.Gauge({ name: 'runctl_last_applied_commit', help: 'The Git commit in force (sync): 1 for the commit label', labelNames: ['commit'], registers: [this.registry] });
  readonly commitTime = new client.Gauge({ name: 'runctl_last_applied_commit_timestamp_seconds', help: 'When the commit in force was applied (sync)', registers: [this.registry] });
  readonly rejected = new client.Counter({ name: 'runctl_rejected_commits_total', help: 'Commits rejected as a whole (invalid manifests or a failed plan)', registers: [this.registry] });

  /** Out-of-sync keys, so the gauge is exact after retries succeed. */
  private failing = new Map<string, string>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) client.collectDefaultMetrics({ register: this.registry });
  }

  /** Record one pass's per-resource results; `drift` marks corrections made by a resync. */
  recordResults(results: ResourceResult[], kindOf: (key: string) => string, drift: (r: ResourceResult) => boolean): void {
    for (const r of results) {
      const kind = kindOf(r.key);
      // Not started because of a shutdown: neither a reconcile nor an error.
      if (r.errorCode === 'Aborted') continue;
      this.reconciles.inc({ kind, outcome: r.outcome });
      if (r.outcome === 'applied') this.duration.observe({ kind }, r.elapsedMs / 1000);
      if (r.outcome === 'failed' || r.outcome === 'skipped') {
        this.errors.inc({ kind, code: r.errorCode ?? 'Unknown' });
        this.failing.set(r.key, kind);
      } else {
        this.failing.delete(r.key);
      }
      if (r.outcome === 'applied' && drift(r)) this.drift.inc({ kind });
    }
    this.refreshOutOfSync();
  }

  /** Forget keys that are no longer managed. */
  retain(keys: Set<string>): void {
    for (const k of [...this.failing.keys()]) if (!keys.has(k)) this.failing.delete(k);
    this.refreshOutOfSync();
  }

  setManaged(kinds: string[]): void {
    this.managed.reset();
    const counts = new Map<string, number>();
    for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const [kind, n] of counts) this.managed.set({ kind }, n);
  }

  setCommit(sha: string, appliedAt: number): void {
    this.commit.reset();
    this.commit.set({ commit: sha }, 1);
    this.commitTime.set(appliedAt);
  }

  private refreshOutOfSync(): void {
    this.outOfSync.reset();
    const counts = new Map<string, number>();
    for (const kind of this.failing.values()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    for (const [kind, n] of counts) this.outOfSync.set({ kind }, n);
  }
}
