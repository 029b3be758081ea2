/**
 * One reconcile pass of a controller loop: the library's reconcile action
 * (`src/lib/actions/reconcile.ts`), with the loop's metrics and log line around it.
 * `watch` and `sync` schedule passes; this is the only place they reconcile.
 */
import type { Controller, Identity, TargetInfo } from '../engine/controller';
import type { ResourceResult } from '../engine/executor';
import type { Plan } from '../engine/plan';
import type { Manifest } from '../engine/types';
import type { Clients } from '../gcp/clients';
import { reconcileSet, ReconcileRejected } from '../lib/actions/reconcile';
import { logHost, type Logger } from './log';
import type { LoopMetrics, Trigger } from './metrics';

/** What every pass of one loop shares. */
export interface LoopEnv {
  target: { info: TargetInfo; clients: Clients };
  /** Ownership set. */
  set: string;
  parallelism?: number;
  /** Take over unowned resources with a manifest's name (`--adopt`). */
  adopt?: boolean;
  log: Logger;
  metrics: LoopMetrics;
  /** Aborted on shutdown: nothing new starts after it. */
  signal?: AbortSignal;
  /** @default every registered controller */
  controllers?: readonly Controller[];
}

export interface PassInput {
  /** The whole manifest set in force (validated). */
  manifests: Manifest[];
  /** Plan only these keys (the rest are read only where references need them). */
  only?: Set<string>;
  /** Identities of resources managed before but no longer named: `--prune` lists their scopes too. */
  former?: Map<string, Identity>;
  prune?: boolean;
  /** Labels written on what this pass creates or updates (the commit, for `sync`). */
  stamp?: Record<string, string>;
  trigger: Trigger;
  /** Reject the pass before any write when a resource is blocked (`sync`: a commit applies whole). */
  atomic?: boolean;
  /** Writes that correct drift (counted per kind): true for resyncs, except for these keys. */
  drift?: { except: Set<string> };
  /** Extra fields on every log record (the commit, for `sync`). */
  fields?: Record<string, unknown>;
}

export interface PassResult {
  plan: Plan;
  results: ResourceResult[];
  /** Keys whose reconcile failed or was skipped (to retry with backoff). */
  failed: string[];
  /** Failed keys worth retrying with backoff (not NotOwned: that waits for a resync or an edit). */
  retry: string[];
  /** Keys that succeeded (to reset their backoff). */
  succeeded: string[];
  /** Resources written (created, updated, replaced, deleted). */
  writes: number;
  /** Identities of every manifest in the set, for the next pass's `former`. */
  identities: Map<string, Identity>;
}

/** A pass rejected before anything was written (an atomic pass with a blocked resource). */
export { ReconcileRejected as PassRejected };

/** Run one pass. Throws when reading or planning fails (nothing written then). */
export async function runPass(env: LoopEnv, input: PassInput): Promise<PassResult> {
  const started = Date.now();
  let outcome = 'error';
  try {
    const result = await plannedPass(env, input);
    outcome = result.failed.length ? 'error' : 'success';
    return result;
  } catch (err) {
    if (err instanceof ReconcileRejected) outcome = 'rejected';
    throw err;
  } finally {
    env.metrics.passes.inc({ trigger: input.trigger, result: outcome });
    env.metrics.passDuration.observe({ trigger: input.trigger }, (Date.now() - started) / 1000);
  }
}

async function plannedPass(env: LoopEnv, input: PassInput): Promise<PassResult> {
  const started = Date.now();
  const { plan, results, identities } = await reconcileSet({
    target: env.target,
    set: env.set,
    parallelism: env.parallelism,
    adopt: env.adopt,
    host: logHost(env.log, input.fields),
    signal: env.signal,
    controllers: env.controllers,
    manifests: input.manifests,
    only: input.only,
    former: input.former,
    prune: input.prune,
    stamp: input.stamp,
    atomic: input.atomic,
  });
  const kindOf = (key: string) => key.slice(0, key.indexOf('/'));
  env.metrics.recordResults(results, kindOf, (r) => !!input.drift && r.action !== 'delete' && r.action !== 'abandon' && !input.drift.except.has(r.key));
  const notStarted = results.filter((r) => r.errorCode === 'Aborted').length;
  const failed = results.filter((r) => (r.outcome === 'failed' || r.outcome === 'skipped') && r.errorCode !== 'Aborted').map((r) => r.key);
  const retry = results.filter((r) => (r.outcome === 'failed' || r.outcome === 'skipped') && r.errorCode !== 'NotOwned' && r.errorCode !== 'Aborted').map((r) => r.key);
  const succeeded = results.filter((r) => r.outcome !== 'failed' && r.outcome !== 'skipped').map((r) => r.key);
  const writes = results.filter((r) => r.outcome === 'applied').length;
  env.log.info(
    { ...input.fields, trigger: input.trigger, planned: plan.entries.length, writes, failed: failed.length, notStarted: notStarted || undefined, durationMs: Date.now() - started },
    writes || failed.length || notStarted
      ? `reconciled: ${describeSummary(plan)}${failed.length ? `, ${failed.length} failed` : ''}${notStarted ? `, ${notStarted} not started (shutting down)` : ''}`
      : 'reconciled: no changes',
  );
  return { plan, results, failed, retry, succeeded, writes, identities };
}

function describeSummary(plan: Plan): string {
  const s = plan.summary;
  const parts = [`${s.create} to create`, `${s.update + s.replace} to update`, `${s.delete} to delete`];
  if (s.blocked) parts.push(`${s.blocked} blocked`);
  return parts.join(', ');
}
