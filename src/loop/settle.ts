/**
 * Book-keeping after a pass, the same for `watch` and `sync`: remember identities (so
 * `--prune` still finds a resource after its manifest is gone), schedule per-resource
 * retries with backoff, refresh the gauges, and mark the loop ready.
 */
import type { Identity } from '../engine/controller';
import { keyOf, type Manifest } from '../engine/types';
import type { Backoff } from './backoff';
import type { LoopEnv, PassResult } from './pass';
import type { Scheduler } from './scheduler';
import type { LoopStatus } from './status';

export interface LoopBooks {
  env: LoopEnv;
  status: LoopStatus;
  scheduler: Scheduler;
  backoff: Backoff;
  /** Identities of resources managed in this run, by key. */
  former: Map<string, Identity>;
}

export function settlePass(books: LoopBooks, result: PassResult, manifests: Manifest[]): void {
  const { env, scheduler, backoff, former } = books;
  for (const [k, id] of result.identities) former.set(k, id);
  for (const r of result.results) if (r.action === 'delete' && r.outcome === 'applied') former.delete(r.key);
  for (const k of result.succeeded) {
    backoff.succeed(k);
    scheduler.cancelRetry(k);
  }
  // Shutting down: nothing is retried (the next start re-reads the world anyway).
  for (const k of env.signal?.aborted ? [] : result.retry) {
    const ms = backoff.fail(k);
    scheduler.retryAfter(k, ms);
    env.log.info({ resource: k, attempt: backoff.attempts(k), retryInMs: ms }, `${k}: retrying in ${(ms / 1000).toFixed(1)}s`);
  }
  const keys = new Set(manifests.map(keyOf));
  backoff.retain(keys);
  env.metrics.retain(keys);
  env.metrics.setManaged(manifests.map((m) => m.kind));
  books.status.markReady();
}
