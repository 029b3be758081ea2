/**
 * One reconcile of a set, as the controller loops run it on every pass: a fresh session
 * (level-based: every pass re-reads the world), a plan of the whole set or only of some
 * keys, then execution. Blocked resources fail on their own and the rest go ahead,
 * unless the pass is atomic (`sync`: a commit applies whole).
 */
import type { Controller, Identity } from '../../engine/controller';
import type { EventHost } from '../../engine/events';
import { executePlan, type ResourceResult } from '../../engine/executor';
import { summarize, type Plan, type PlanEntry } from '../../engine/plan';
import { makePlan, observeAll } from '../../engine/planner';
import { keyOf, RunctlError, type Manifest } from '../../engine/types';
import { outsideDependencies } from '../../validate/graph';
import { newSession, type SessionSpec } from '../session';

export interface ReconcileRequest {
  target: SessionSpec['target'];
  set: string;
  parallelism?: number;
  /** Take over unowned resources with a manifest's name (`--adopt`). */
  adopt?: boolean;
  host: EventHost;
  /** Aborted on shutdown: nothing new starts after it. */
  signal?: AbortSignal;
  /** @default every registered controller */
  controllers?: readonly Controller[];
  /** The whole manifest set in force (validated). */
  manifests: Manifest[];
  /** Plan only these keys (the rest are read only where references need them). */
  only?: Set<string>;
  /** Identities of resources managed before but no longer named: `prune` lists their scopes too. */
  former?: Map<string, Identity>;
  prune?: boolean;
  /** Labels written on what this reconcile creates or updates (the commit, for `sync`). */
  stamp?: Record<string, string>;
  /** Reject the whole reconcile before any write when a resource is blocked. */
  atomic?: boolean;
}

export interface ReconcileOutcome {
  plan: Plan;
  /** Every planned resource's result, blocked ones included (failed, NotOwned). */
  results: ResourceResult[];
  /** Identities of every manifest in the set, for the next reconcile's `former`. */
  identities: Map<string, Identity>;
}

/** A reconcile rejected before anything was written. */
export class ReconcileRejected extends RunctlError {}

/** Reconcile the set once. Throws when reading or planning fails (nothing written then). */
export async function reconcileSet(req: ReconcileRequest): Promise<ReconcileOutcome> {
  // Credentials or an emulator missing: one line, and the loop retries with backoff.
  await req.target.clients.preflight();
  const session = newSession({ controllers: req.controllers, target: req.target, set: req.set, parallelism: req.parallelism, host: req.host, stampLabels: req.stamp });
  // Everything is known (references resolve) and identified (prune scopes), even
  // when only some keys are planned.
  session.addManifests(req.manifests);
  for (const m of req.manifests) session.identify(m);
  const identities = new Map(session.identities);
  for (const [k, id] of req.former ?? []) if (!session.identities.has(k)) session.identities.set(k, id);

  let subset = req.manifests;
  if (req.only) {
    const only = req.only;
    subset = req.manifests.filter((m) => only.has(keyOf(m)));
    const deps = outsideDependencies(req.manifests, only);
    await observeAll(session, req.manifests.filter((m) => deps.has(keyOf(m))));
  }
  const plan = await makePlan(session, subset, { prune: req.prune, adopt: req.adopt });
  const blocked = plan.entries.filter((e) => e.action === 'blocked');
  if (blocked.length && req.atomic) {
    throw new ReconcileRejected('NotOwned', blocked.map((e) => e.reason).join('; '), { source: 'user' });
  }
  // Blocked resources fail on their own; the others go ahead (watch never stops the world for one).
  const runnable = blocked.length ? withoutBlocked(plan) : plan;
  const executed = await executePlan(session, runnable, { prune: req.prune, adopt: req.adopt, signal: req.signal });
  return { plan, results: [...executed.results, ...blocked.map(blockedResult)], identities };
}

function withoutBlocked(plan: Plan): Plan {
  const entries = plan.entries.filter((e) => e.action !== 'blocked');
  return { ...plan, entries, summary: summarize(entries) };
}

function blockedResult(e: PlanEntry): ResourceResult {
  return { key: e.key, action: e.action, outcome: 'failed', error: e.reason, errorCode: 'NotOwned', synced: 'ReconcileError', elapsedMs: 0 };
}
