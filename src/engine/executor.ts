/**
 * Execution: carry out a plan in dependency order, independent resources
 * concurrently (bounded), keep going when one fails (its dependents are skipped),
 * re-plan on write conflicts, and report every step as events. Apply only dispatches
 * on the plan; the one re-decision it makes is re-planning a resource whose inputs
 * were unknown at plan time or that changed under it (a conflict). A saved plan
 * (`recorded`) makes none: it runs the desired states it recorded, and a conflict fails
 * it as stale. Every delete goes through `delete-guard.ts` (ownership and etag checked
 * on a fresh read right before deleting).
 */
import { apiError, isAlreadyExists, isConflict } from '../gcp/errors';
import { AlreadyExists, type ApplyContext, type Observed, type ResourcePlan, type ResourceStatus } from './controller';
import { guardedDelete, observeEntry } from './delete-guard';
import { getPath, setPath } from './diff';
import { limiter } from './limit';
import type { Plan, PlanEntry } from './plan';
import { ownedBy, ownerOf } from './ownership';
import { collectGrants, desiredState, ignoredPaths, planResource, withReplacements, type PlanOptions } from './planner';
import { compareReplan, show } from './replan';
import { resolvePending } from './saved-plan';
import type { Session } from './session';
import { RunctlError } from './types';

export interface ResourceResult {
  key: string;
  action: PlanEntry['action'];
  outcome: 'applied' | 'unchanged' | 'failed' | 'skipped' | 'paused' | 'blocked';
  /**
   * Why a write turned out unnecessary: "created by a concurrent apply", "already
   * applied by another writer" (outcome `unchanged`).
   */
  note?: string;
  error?: string;
  errorCode?: string;
  status?: ResourceStatus;
  /** Synced condition: ReconcileSuccess, ReconcileError or ReconcilePaused. */
  synced: 'ReconcileSuccess' | 'ReconcileError' | 'ReconcilePaused';
  elapsedMs: number;
}

export interface ExecuteOptions extends PlanOptions {
  /** Re-check each entry's etag against live before writing (saved plans). */
  checkEtags?: boolean;
  /**
   * Execute the plan's recorded manifests and desired states (saved plans): nothing is
   * re-resolved or re-planned, except fields shown as `(known after apply)`.
   */
  recorded?: boolean;
  /** Keys of the entries this plan writes (filled in by `executePlan` for `recorded`). */
  recordedWrites?: Set<string>;
  /** Times to re-read and re-plan after a write conflict. @default 3 */
  conflictRetries?: number;
  signal?: AbortSignal;
}

export interface ExecuteResult {
  results: ResourceResult[];
  failed: number;
}

function describe(err: unknown): { message: string; code: string } {
  if (err instanceof RunctlError) return { message: err.message, code: err.code };
  const info = apiError(err);
  return { message: info.message, code: 'ApiError' };
}

/** The result note of an entry planned as `unowned`: nothing written, and why. */
function unownedNote(u: NonNullable<PlanEntry['unowned']>): string {
  return u.adoptable ? 'not managed by runctl, not written; apply --adopt takes it over, labels only' : 'not managed by runctl, not written; its labels cannot change in place';
}

/** What changed about one entry's live object since the plan, or undefined. */
function staleness(session: Session, e: PlanEntry, live: Observed): string | undefined {
  if (!!live.exists !== e.exists) return `${e.key} was ${live.exists ? 'created' : 'deleted'} by someone else since the plan was made`;
  if (!live.exists) return undefined;
  // An entry planned as owned (not an adoption) that another owner took over since. One
  // planned as unowned writes nothing; a change of owner changes its etag.
  if (!e.adopt && !e.unowned && !ownedBy(live.labels, session.set)) return `${e.key} is now managed by ${ownerOf(live.labels)}`;
  if ((live.etag ?? '') !== (e.etag ?? '')) return `${e.key} changed since the plan was made (etag ${e.etag ?? '(none)'} → ${live.etag ?? '(none)'})`;
  return undefined;
}

/**
 * Refuse a saved plan when a live object it names (updates, creates and deletes
 * alike) changed, appeared, vanished or changed owner since it was made. Leaves the
 * fresh observations in the session for execution.
 */
export async function checkStale(session: Session, plan: Plan): Promise<void> {
  session.invalidate();
  const ctx = session.observeContext();
  const limit = limiter(Math.max(session.parallelism, 8));
  const reasons = await Promise.all(
    plan.entries.map((e) =>
      limit(async () => {
        const live = await observeEntry(session, e, ctx);
        session.observed.set(e.key, live);
        return staleness(session, e, live);
      }),
    ),
  );
  const stale = reasons.filter((r): r is string => !!r);
  if (stale.length) {
    throw new RunctlError('StalePlan', `the saved plan is stale and was not applied: ${stale.join('; ')}. Nothing was changed; run plan again`, { source: 'user' });
  }
}

/**
 * Execute one saved-plan entry with exactly the manifest and desired state it recorded.
 * Only fields shown as `(known after apply)` are filled in, from what this plan wrote.
 * A write conflict means the world moved: the entry fails as stale, never re-planned.
 */
async function applyRecorded(session: Session, entry: PlanEntry, opts: ExecuteOptions, ctx: ApplyContext): Promise<Observed | undefined> {
  const controller = session.controllerFor(entry.kind);
  const observed = session.observed.get(entry.key) ?? { exists: false };
  if (entry.action === 'noop' || entry.action === 'paused') return observed;
  if (entry.action === 'blocked') {
    if (entry.refused) throw new RunctlError(entry.refused.code, entry.reason ?? `${entry.key} cannot be applied as written`, { source: 'user' });
    throw new RunctlError('NotOwned', entry.reason ?? `${entry.key} is not owned by runctl`, { source: 'user' });
  }
  if (!entry.manifest || !entry.desired) throw new RunctlError('PlanEdited', `${entry.key}: the saved plan records no desired state for it`, { source: 'user' });
  let manifest = entry.manifest;
  let desired = entry.desired;
  let current: ResourcePlan = { action: entry.action as ResourcePlan['action'], changes: entry.changes, notes: entry.notes, children: entry.children, operations: entry.operations };
  if (entry.pending?.length) {
    const written = opts.recordedWrites ?? new Set<string>();
    const resolved = resolvePending(entry, (ref) => {
      const key = `${ref.kind}/${ref.name}`;
      const o = session.observed.get(key);
      if (!written.has(key) || !o?.exists || !ref.path.startsWith('status.')) return undefined;
      return getPath(o.status?.fields, ref.path.slice('status.'.length));
    });
    if (resolved.missing.length) {
      throw new RunctlError('DependencyFailed', `${entry.key}: ${resolved.missing.join(', ')} is still unknown after the resources of this plan were applied`);
    }
    manifest = resolved.manifest;
    desired = controller.desired({ manifest, id: entry.identity }, session.planContext());
    if (observed.exists) for (const p of ignoredPaths(manifest)) setPath(desired, p, getPath(observed.spec, p));
    const rp = withReplacements(controller, controller.plan({ manifest, id: entry.identity, desired, observed }, session.planContext()));
    const labels = entry.changes.filter((c) => c.path.startsWith('metadata.'));
    current = { ...rp, changes: [...rp.changes, ...labels], action: rp.action === 'noop' && labels.length ? 'update' : rp.action };
    if (current.action === 'noop') return observed;
  }
  try {
    return await controller.apply({ manifest, id: entry.identity, desired, observed, plan: current }, ctx);
  } catch (err) {
    if (isAlreadyExists(err) || (err instanceof RunctlError && err.code === 'AlreadyExists')) {
      throw new RunctlError('StalePlan', `${entry.key} was created by someone else while the saved plan was running; it was not changed: plan again`, { source: 'user', cause: err });
    }
    if (!isConflict(err) && !(err instanceof RunctlError && err.code === 'Conflict')) throw err;
    throw new RunctlError('StalePlan', `${entry.key} changed while the saved plan was running (its write met a newer etag); it was not changed: plan again`, { source: 'user', cause: err });
  }
}

/** How long a create made by another process may stay in flight before it is judged as it is. @default 10 minutes */
const SETTLE_LIMIT_MS = 10 * 60_000;

/**
 * Wait while the live object is still being created (`Ready` reason `Creating`) by the
 * process that made it: re-read with backoff until it is done, failed, gone, or the limit.
 */
async function settle(session: Session, key: string, observed: Observed, ctx: ApplyContext, signal?: AbortSignal, why = 'made by a concurrent apply and still being created'): Promise<Observed> {
  const m = session.manifests.get(key);
  if (!m) return observed;
  const controller = session.controllerFor(m.kind);
  const id = session.identify(m);
  const until = Date.now() + SETTLE_LIMIT_MS;
  let current = observed;
  for (let delay = 100; current.exists && current.status?.ready?.reason === 'Creating' && Date.now() < until && !signal?.aborted; delay = Math.min(delay * 2, 5_000)) {
    ctx.progress(`${why}; waiting for it to finish`);
    await new Promise((r) => setTimeout(r, delay));
    session.invalidate();
    current = await controller.observe({ manifest: m, id }, session.observeContext(signal));
  }
  return current;
}

/**
 * Before the values a resource references are resolved at write time: a dependency still
 * being created (by a concurrent apply, whose operation this process did not wait on) is
 * waited for, so its status (a URL) is there instead of unknown.
 */
async function settleDependencies(session: Session, entry: PlanEntry, ctx: ApplyContext, signal?: AbortSignal): Promise<void> {
  for (const dep of entry.dependsOn) {
    const o = session.observed.get(dep);
    if (!o?.exists || o.status?.ready?.reason !== 'Creating') continue;
    session.observed.set(dep, await settle(session, dep, o, ctx, signal, `${dep}, whose status this resource references, is still being created`));
  }
}

/** What applyOne found out beyond the observation (a write another process already made). */
interface ApplyReport {
  note?: string;
  /** The note explains a write this process did make (a re-planned one). */
  wrote?: boolean;
}

async function applyOne(session: Session, entry: PlanEntry, opts: ExecuteOptions, report?: ApplyReport): Promise<Observed | undefined> {
  const m = session.manifests.get(entry.key);
  const controller = session.controllerFor(entry.kind);
  const ctx = session.applyContext(entry.key, opts.signal);
  if (entry.action === 'delete') {
    // Ownership and etag are checked on a fresh read right before deleting.
    await guardedDelete(session, entry, ctx, opts.checkEtags ? 'StalePlan' : 'Conflict');
    return { exists: false };
  }
  if (entry.action === 'abandon') return session.observed.get(entry.key);
  if (opts.recorded) return applyRecorded(session, entry, opts, ctx);
  if (!m) throw new RunctlError('Internal', `no manifest for ${entry.key}`);
  let current = entry;
  // Inputs that were unknown at plan time are known now: re-plan with them.
  if (entry.unknown?.length) {
    await settleDependencies(session, entry, ctx, opts.signal);
    current = planResource(session, m, opts);
  }
  // What this write is about to do; a re-plan after a concurrent change is judged against it.
  const basis = current;
  const retries = opts.conflictRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    if (current.action === 'noop' || current.action === 'paused') return session.observed.get(entry.key);
    if (current.action === 'blocked') {
      if (current.refused) throw new RunctlError(current.refused.code, current.reason ?? `${entry.key} cannot be applied as written`, { source: 'user' });
      throw new RunctlError('NotOwned', current.reason ?? `${entry.key} is not owned by runctl`);
    }
    // A write never carries `(known after apply)` text: a dependency that did not produce
    // the value (paused while absent, or without that status field) holds this one back.
    if (current.unknown?.length) {
      throw new RunctlError('DependencyFailed', `${entry.key}: ${current.unknown.join(', ')} is still unknown after its dependencies were applied (is one paused?); nothing was written`);
    }
    try {
      const observed = session.observed.get(entry.key) ?? { exists: false };
      // Stamp labels ride along only on writes (apply is never called for a noop).
      const { manifest: resolved, desired } = desiredState(session, m, observed, session.options.stampLabels);
      const after = await controller.apply({ manifest: resolved, id: entry.identity, desired, observed, plan: { ...current, action: current.action as ResourcePlan['action'] } }, ctx);
      if (after.writtenByOthers && report) report.note = basis.action === 'create' ? 'created by a concurrent apply' : 'already applied by another writer';
      return after;
    } catch (err) {
      // A create that met the object: the controller lets the API's error through (or
      // throws AlreadyExists where the API says it otherwise); the judgement is made here.
      const exists = isAlreadyExists(err) || (err instanceof RunctlError && err.code === 'AlreadyExists');
      const conflict = exists || isConflict(err) || (err instanceof RunctlError && err.code === 'Conflict');
      if (!conflict || attempt >= retries) throw exists && !(err instanceof RunctlError) ? new AlreadyExists(`${entry.key} appeared while creating it`, err) : err;
      ctx.progress(exists ? 'it appeared while creating it (a concurrent apply?); re-reading and re-planning' : 'conflict: the resource changed since it was read; re-reading and re-planning');
      session.invalidate();
      let fresh = await controller.observe({ manifest: m, id: entry.identity }, session.observeContext(opts.signal));
      // A create another process still has in flight is judged once it is finished: half
      // made, it would look like a conflict, and its status (a URL others reference) is
      // not there yet.
      if (exists) fresh = await settle(session, entry.key, fresh, ctx, opts.signal);
      session.observed.set(entry.key, fresh);
      current = planResource(session, m, opts);
      // Made meanwhile by another owner, as the manifest says: the reviewed plan was to
      // create (and own) it, so it is not quietly left unowned; nothing is written to it.
      if (current.unowned && !basis.unowned) {
        throw new RunctlError('NotOwned', `${entry.key} was ${basis.action === 'create' ? 'created' : 'taken over'} meanwhile by ${current.unowned.owner}; it matches the manifest but is not runctl's, and nothing was written to it (--adopt takes it over)`, { cause: err, source: 'user' });
      }
      const verdict = compareReplan(entry.key, basis, current);
      if (verdict.kind === 'conflict') {
        // The same set's own object, made by a concurrent apply of this set: one field
        // manager (server-side apply's rule), so no conflict - but the write is re-planned
        // against what the other apply made, and says so before it is made.
        if (!(exists && basis.action === 'create' && ownedBy(fresh.labels, session.set))) {
          throw new RunctlError('Conflict', verdict.message, { cause: err, source: 'user' });
        }
        const what = current.changes.map((c) => `${c.path}: ${show(c.old)} → ${show(c.new)}`).join('; ');
        ctx.progress(`created meanwhile by a concurrent apply of set "${session.set}" with other values; re-planned, now writing ${what}`);
        if (report) Object.assign(report, { note: `created by a concurrent apply, then updated: ${what}`, wrote: true });
        continue;
      }
      if (verdict.kind === 'done') {
        if (report) report.note = basis.action === 'create' ? 'created by a concurrent apply' : 'already applied by another writer';
        return fresh;
      }
      if (current.changes.length !== basis.changes.length) {
        const rest = current.changes.map((c) => c.path).join(', ') || 'the remaining sub-resources';
        ctx.progress(`another writer made part of the change; now writing only ${rest}`);
        // A create another apply made (part of it still to come): this run did not create
        // it, and the result must not claim it did - it finishes the rest.
        if (exists && basis.action === 'create' && report) Object.assign(report, { note: `created by a concurrent apply; this run wrote the rest: ${rest}`, wrote: true });
      }
    }
  }
}

/** Execute a plan. Creates/updates in dependency order, then deletions. */
export async function executePlan(session: Session, plan: Plan, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
  // Ownership blocks hold the whole set back; a manifest the controller refused holds back
  // only its own resource and dependents (they fail and are skipped below).
  const blocked = plan.entries.filter((e) => e.action === 'blocked' && !e.refused);
  if (blocked.length) {
    throw new RunctlError('NotOwned', blocked.map((e) => e.reason).join('\n'), { source: 'user' });
  }
  if (opts.checkEtags) await checkStale(session, plan);
  await collectGrants(session);
  if (opts.recorded) opts = { ...opts, recordedWrites: new Set(plan.entries.filter((e) => e.action === 'create' || e.action === 'update' || e.action === 'replace').map((e) => e.key)) };
  const limit = limiter(session.parallelism);
  const results = new Map<string, ResourceResult>();
  const done = new Map<string, Promise<ResourceResult>>();
  const entries = new Map(plan.entries.map((e) => [e.key, e]));

  const run = (entry: PlanEntry): Promise<ResourceResult> => {
    let p = done.get(entry.key);
    if (p) return p;
    p = (async () => {
      const deps = entry.dependsOn.filter((k) => entries.has(k) && entries.get(k)!.action !== 'delete');
      const depResults = await Promise.all(deps.map((k) => run(entries.get(k)!)));
      const failedDep = depResults.find((r) => r.outcome === 'failed' || r.outcome === 'skipped');
      const started = Date.now();
      if (failedDep) {
        const r: ResourceResult = { key: entry.key, action: entry.action, outcome: 'skipped', error: `skipped: dependency ${failedDep.key} failed`, errorCode: 'DependencyFailed', synced: 'ReconcileError', elapsedMs: 0 };
        session.host.emit({ type: 'resource', key: entry.key, phase: 'skipped', action: entry.action, message: r.error });
        return r;
      }
      return limit(async () => {
        // After an abort (SIGINT/SIGTERM), work already started finishes; nothing new starts.
        if (opts.signal?.aborted) return { key: entry.key, action: entry.action, outcome: 'skipped', error: 'skipped: shutting down', errorCode: 'Aborted', synced: 'ReconcileError', elapsedMs: 0 } as ResourceResult;
        const writes = (entry.action !== 'noop' && entry.action !== 'paused' && entry.action !== 'blocked') || !!entry.unknown?.length;
        if (writes) session.host.emit({ type: 'resource', key: entry.key, phase: 'start', action: entry.action });
        try {
          const report: ApplyReport = {};
          const observed = await applyOne(session, entry, opts, report);
          if (observed) session.observed.set(entry.key, observed);
          const outcome = entry.action === 'paused' ? 'paused' : writes && (!report.note || report.wrote) ? 'applied' : 'unchanged';
          // Not runctl's and already as the manifest says: say that nothing was written to it.
          if (entry.unowned && outcome === 'unchanged' && !report.note) report.note = unownedNote(entry.unowned);
          const r: ResourceResult = { key: entry.key, action: entry.action, outcome, note: report.note, status: observed?.status, synced: entry.action === 'paused' ? 'ReconcilePaused' : 'ReconcileSuccess', elapsedMs: Date.now() - started };
          if (writes) session.host.emit({ type: 'resource', key: entry.key, phase: 'done', action: entry.action, elapsedMs: r.elapsedMs, message: report.note });
          return r;
        } catch (err) {
          const { message, code } = describe(err);
          session.host.emit({ type: 'resource', key: entry.key, phase: 'failed', action: entry.action, message });
          return { key: entry.key, action: entry.action, outcome: 'failed', error: message, errorCode: code, synced: 'ReconcileError', elapsedMs: Date.now() - started } as ResourceResult;
        }
      });
    })();
    done.set(entry.key, p);
    return p;
  };

  const forward = plan.entries.filter((e) => e.action !== 'delete' && e.action !== 'abandon');
  for (const r of await Promise.all(forward.map(run))) results.set(r.key, r);

  // Deletions: dependents before what they depend on. Pruned resources carry no
  // graph, so a deletion refused because something still uses the resource is retried
  // after the others in the wave. What a resource that was not deleted depends on is kept.
  let pending = plan.entries.filter((e) => e.action === 'delete' || e.action === 'abandon');
  for (let wave = 0; pending.length && wave < 6; wave++) {
    const inWave = pending.filter((e) => !pending.some((o) => o !== e && o.dependsOn.includes(e.key)));
    const batch = inWave.length ? inWave : pending;
    const out = await Promise.all(batch.map((e) => heldBack(session, plan, results, e) ?? limit(() => deleteOne(session, e, opts))));
    const retry: PlanEntry[] = [];
    out.forEach((r, i) => {
      if (r.outcome === 'failed' && /in use|being used|resourceInUse/i.test(r.error ?? '') && wave < 5) retry.push(batch[i]);
      else results.set(r.key, r);
    });
    pending = [...pending.filter((e) => !batch.includes(e)), ...retry];
  }
  const list = plan.entries.map((e) => results.get(e.key)!).filter(Boolean);
  return { results: list, failed: list.filter((r) => r.outcome === 'failed' || r.outcome === 'skipped').length };
}

/**
 * A deletion held back because a resource that depends on it was not deleted (its own
 * deletion failed, was skipped, or it is paused): it still uses this one, so deleting
 * it would break it.
 */
function heldBack(session: Session, plan: Plan, results: Map<string, ResourceResult>, entry: PlanEntry): Promise<ResourceResult> | undefined {
  const kept = (o: PlanEntry) => ['failed', 'skipped', 'paused'].includes(results.get(o.key)?.outcome ?? '');
  const user = plan.entries.find((o) => o.dependsOn.includes(entry.key) && kept(o));
  if (!user) return undefined;
  const why = results.get(user.key)?.outcome === 'paused' ? 'is paused' : 'was not deleted';
  const error = `skipped: ${user.key} depends on it and ${why}`;
  session.host.emit({ type: 'resource', key: entry.key, phase: 'skipped', action: entry.action, message: error });
  return Promise.resolve({ key: entry.key, action: entry.action, outcome: 'skipped', error, errorCode: 'DependencyFailed', synced: 'ReconcileError', elapsedMs: 0 });
}

async function deleteOne(session: Session, entry: PlanEntry, opts: ExecuteOptions): Promise<ResourceResult> {
  const started = Date.now();
  if (opts.signal?.aborted) return { key: entry.key, action: entry.action, outcome: 'skipped', error: 'skipped: shutting down', errorCode: 'Aborted', synced: 'ReconcileError', elapsedMs: 0 };
  session.host.emit({ type: 'resource', key: entry.key, phase: 'start', action: entry.action });
  try {
    // Ownership and etag are checked on a fresh read right before deleting.
    const deleted =
      entry.action === 'delete'
        ? await guardedDelete(session, entry, session.applyContext(entry.key, opts.signal), opts.checkEtags ? 'StalePlan' : 'Conflict')
        : (await applyOne(session, entry, opts), true);
    // Gone before runctl got to it: true to say, and not a delete runctl made.
    const note = deleted ? undefined : 'already gone (deleted by someone else since the plan)';
    session.observed.set(entry.key, { exists: false });
    session.host.emit({ type: 'resource', key: entry.key, phase: 'done', action: entry.action, elapsedMs: Date.now() - started, message: note });
    return { key: entry.key, action: entry.action, outcome: deleted ? 'applied' : 'unchanged', note, synced: 'ReconcileSuccess', elapsedMs: Date.now() - started };
  } catch (err) {
    const { message, code } = describe(err);
    session.host.emit({ type: 'resource', key: entry.key, phase: 'failed', action: entry.action, message });
    return { key: entry.key, action: entry.action, outcome: 'failed', error: message, errorCode: code, synced: 'ReconcileError', elapsedMs: Date.now() - started };
  }
}
