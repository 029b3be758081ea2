/**
 * Ownership at the moment of deletion. Every delete the engine makes — `--prune`,
 * `delete -f`, a saved plan's delete entry — first reads the live object afresh (never
 * from the run's memoised lists), refuses when it is no longer owned by the set
 * (`NotOwned`, naming the new owner) or changed since the plan recorded it (`Conflict`,
 * or `StalePlan` for a saved plan), and then hands the etag it just read to the
 * controller, which sends it as the API's delete precondition where there is one
 * (Cloud Run `DeleteServiceRequest.etag`, Storage `ifMetagenerationMatch`). Where an API
 * has none (Compute, Monitoring) the fresh read right before the delete is the guard.
 */
import { isConflict } from '../gcp/errors';
import type { ApplyContext, Observed, ObserveContext } from './controller';
import { ownedBy, ownerOf } from './ownership';
import type { PlanEntry } from './plan';
import type { Session } from './session';
import { API_VERSION, RunctlError, type Manifest } from './types';

/** An observe context whose reads share nothing with the session's memoised ones. */
export function freshContext(session: Session, signal?: AbortSignal): ObserveContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    ...session.observeContext(signal),
    cached<T>(key: string, load: () => Promise<T>): Promise<T> {
      let p = memo.get(key) as Promise<T> | undefined;
      if (!p) {
        p = load();
        memo.set(key, p);
      }
      return p;
    },
  };
}

/**
 * Read one plan entry's live object through `ctx`: through `observe` with its manifest,
 * or, for a pruned resource, through the kind's `list` in its scope, which is how the
 * plan saw it. Either way may miss an object another owner took over (a kind may list,
 * or look beyond its expected place for, only what carries runctl's markers), so an
 * object the plan saw and the first way misses is looked up the other way too: one
 * taken over is found and reported, never mistaken for "already gone".
 */
export async function observeEntry(session: Session, entry: PlanEntry, ctx: ObserveContext): Promise<Observed> {
  const controller = session.controllerFor(entry.kind);
  const m = entry.pruned ? undefined : session.manifests.get(entry.key) ?? entry.manifest;
  const byList = async (): Promise<Observed | undefined> => {
    const scope = { project: entry.identity.project, region: controller.regional ? entry.identity.region : undefined };
    const all = (await controller.list([scope], ctx)).filter((r) => r.kind === entry.kind);
    // By full name; else the one object of that name (a kind whose full name depends on
    // another resource's location, guessed when that resource is not in the files).
    const named = all.filter((r) => r.name === entry.name);
    const live = all.find((r) => r.identity.fullName === entry.identity.fullName) ?? (named.length === 1 ? named[0] : undefined);
    return live && { exists: true, spec: live.spec, labels: live.labels, etag: live.etag, status: live.status };
  };
  if (m) {
    const observed = await controller.observe({ manifest: m, id: entry.identity }, ctx);
    if (observed.exists || !entry.exists) return observed;
    return (await byList()) ?? observed;
  }
  const listed = await byList();
  if (listed) return listed;
  return entry.manifest ? controller.observe({ manifest: entry.manifest, id: entry.identity }, ctx) : { exists: false };
}

/** Read one plan entry's live object now, sharing nothing with the session's memoised reads. */
export function observeFresh(session: Session, entry: PlanEntry, signal?: AbortSignal): Promise<Observed> {
  return observeEntry(session, entry, freshContext(session, signal));
}

/** Why a live object may not be deleted for this entry, or undefined when it may. */
export function deleteRefusal(session: Session, entry: PlanEntry, live: Observed, staleCode: 'Conflict' | 'StalePlan'): RunctlError | undefined {
  if (!live.exists) return undefined;
  if (!ownedBy(live.labels, session.set)) {
    return new RunctlError('NotOwned', `${entry.key} is now managed by ${ownerOf(live.labels)}, not by runctl set "${session.set}"; it was not deleted`, { source: 'user' });
  }
  if ((live.etag ?? '') !== (entry.etag ?? '')) {
    return new RunctlError(
      staleCode,
      `${entry.key} changed since the plan was made (etag ${entry.etag ?? '(none)'} → ${live.etag ?? '(none)'}); it was not deleted: plan again`,
      { source: 'user' },
    );
  }
  return undefined;
}

/** The manifest a controller's `delete` is handed: the plan's, or one built from the live spec. */
function manifestFor(session: Session, entry: PlanEntry, live: Observed): Manifest {
  return session.manifests.get(entry.key) ?? entry.manifest ?? { apiVersion: API_VERSION, kind: entry.kind, metadata: { name: entry.name }, spec: live.spec ?? {} };
}

/**
 * Delete one entry's live object if, read right now, it is still the set's and
 * unchanged since the plan; the controller deletes with the etag just read. Returns
 * false when it was already gone (deleting something gone succeeds, but is no delete).
 */
export async function guardedDelete(session: Session, entry: PlanEntry, ctx: ApplyContext, staleCode: 'Conflict' | 'StalePlan'): Promise<boolean> {
  const live = await observeFresh(session, entry, ctx.signal);
  const refusal = deleteRefusal(session, entry, live, staleCode);
  if (refusal) throw refusal;
  if (!live.exists) return false;
  try {
    await session.controllerFor(entry.kind).delete({ manifest: manifestFor(session, entry, live), id: entry.identity, observed: live }, ctx);
  } catch (err) {
    if (!isConflict(err) && !(err instanceof RunctlError && err.code === 'Conflict')) throw err;
    // The precondition failed: it changed between the read and the delete. Say how.
    const now = await observeFresh(session, entry, ctx.signal).catch(() => undefined);
    if (now?.exists && !ownedBy(now.labels, session.set)) {
      throw new RunctlError('NotOwned', `${entry.key} was relabelled while it was being deleted and is now managed by ${ownerOf(now.labels)}; it was not deleted`, { source: 'user', cause: err });
    }
    throw new RunctlError(staleCode, `${entry.key} changed while it was being deleted (the delete's etag precondition failed); it was not deleted: plan again`, { source: 'user', cause: err });
  }
  return true;
}
