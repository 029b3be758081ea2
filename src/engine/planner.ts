/**
 * Planning: observe every resource (list-backed, concurrently), resolve references,
 * apply the engine-wide rules (ownership, adoption, paused, ignore-changes, labels)
 * and ask each controller for its plan. Pure apart from the reads.
 */
import type { AnyController, FieldChange, Form, Identity, Observed, ResourcePlan, Scope } from './controller';
import { diffDeclared, getPath, setPath } from './diff';
import { buildGraph } from '../validate/graph';
import { limiter } from './limit';
import { defaultProject } from './location';
import { PLAN_FORMAT, summarize, type PendingField, type Plan, type PlanEntry } from './plan';
import { LABEL_DELETION_POLICY, ownedBy, ownedLabels, ownerOf } from './ownership';
import { findReferences, resolveReferences } from '../validate/references';
import { pendingFields, planTarget } from './saved-plan';
import { manifestPosition } from '../load/positions';
import type { Session } from './session';
import {
  ANNOTATION_DELETION_POLICY,
  ANNOTATION_IGNORE_CHANGES,
  ANNOTATION_PAUSED,
  API_VERSION,
  keyOf,
  LABEL_MANAGED_BY,
  LABEL_SET,
  MANAGED_BY_VALUE,
  type Manifest,
} from './types';

export { LABEL_DELETION_POLICY, ownedBy, ownedLabels } from './ownership';

export interface PlanOptions {
  /** Delete live resources of the set that the manifests no longer name. */
  prune?: boolean;
  /** Take over live resources with a manifest's name that runctl does not own. */
  adopt?: boolean;
  /** Plan the deletion of every named resource instead (`runctl delete`). */
  destroy?: boolean;
}

/** Paths listed in `runctl.dev/ignore-changes`, relative to `spec`. */
export function ignoredPaths(m: Manifest): string[] {
  const raw = m.metadata.annotations?.[ANNOTATION_IGNORE_CHANGES];
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/^spec\./, ''));
}

export function isPaused(m: Manifest): boolean {
  return m.metadata.annotations?.[ANNOTATION_PAUSED] === 'true';
}

/** How `${Kind/name.path}` references resolve in this session: manifests and observed status. */
function referenceLookup(session: Session): (ref: { kind: string; name: string; path: string }) => unknown {
  return (ref) => {
    const key = `${ref.kind}/${ref.name}`;
    const path = ref.path;
    if (path.startsWith('status.')) {
      const o = session.observed.get(key);
      if (o?.exists && o.status) return getPath(o.status.fields, path.slice('status.'.length));
      // Not there yet: a field its kind can compute from the identity alone is known now.
      const target = session.manifests.get(key);
      const known = target && !o?.exists ? session.controllerFor(target.kind).knownStatus?.({ manifest: target, id: session.identify(target) }, session.planContext()) : undefined;
      return known ? getPath(known, path.slice('status.'.length)) : undefined;
    }
    const target = session.manifests.get(key);
    return target ? getPath(target, path) : undefined;
  };
}

/**
 * Resolve `${Kind/name.path}` references against manifests and observed status. The
 * fields holding references still unknown are `pending` (what a saved plan resolves
 * while it runs).
 */
export function resolveManifest(session: Session, m: Manifest): { manifest: Manifest; unknown: string[]; pending: PendingField[] } {
  const lookup = referenceLookup(session);
  const { value, unknown } = resolveReferences(m, lookup);
  return {
    manifest: value,
    unknown: unknown.map((r) => r.expr ?? `${r.kind}/${r.name}${r.path ? `.${r.path}` : ''}`),
    pending: unknown.length ? pendingFields(m, unknown, lookup) : [],
  };
}

/**
 * What a controller is handed for one resource: the manifest with references resolved
 * and runctl's labels (plus `extraLabels`), and its desired manifest-form state with the
 * `ignore-changes` paths holding the live values. Planning and applying both use it.
 */
export function desiredState(
  session: Session,
  m: Manifest,
  observed: Observed,
  extraLabels: Record<string, string> = {},
): { manifest: Manifest; desired: Form; unknown: string[]; pending: PendingField[] } {
  const { manifest: resolved, unknown, pending } = resolveManifest(session, m);
  const labels = { ...ownedLabels(resolved, session.set), ...extraLabels };
  const manifest: Manifest = { ...resolved, metadata: { ...resolved.metadata, labels } };
  const desired = session.controllerFor(m.kind).desired({ manifest, id: session.identify(m) }, session.planContext());
  if (observed.exists) for (const p of ignoredPaths(m)) setPath(desired, p, getPath(observed.spec, p));
  return { manifest, desired, unknown, pending };
}

/** Ask every manifest of the session which IAM grants it needs on others (once per set). */
export function collectGrants(session: Session): Promise<void> {
  return session.collectGrants((m) => resolveManifest(session, m).manifest);
}

/** Observe every manifest concurrently. */
export async function observeAll(session: Session, manifests: Manifest[]): Promise<void> {
  const limit = limiter(Math.max(session.parallelism, 8));
  const ctx = session.observeContext();
  await Promise.all(
    manifests.map((m) =>
      limit(async () => {
        const id = session.identify(m);
        const observed = await session.controllerFor(m.kind).observe({ manifest: m, id }, ctx);
        session.observed.set(keyOf(m), observed);
      }),
    ),
  );
}

/** Whether a dotted change path is at or under a rule's path. */
const under = (path: string, rule: string) => path === rule || path.startsWith(`${rule}.`);

/**
 * Apply a kind's `replaceOn` rules to its plan: an update that changes a field the API
 * cannot change in place becomes a replacement, or a refusal at plan time when the kind
 * will not replace (so no `apply` is ever handed a plan it cannot carry out).
 */
export function withReplacements(controller: Pick<AnyController, 'replaceOn'>, rp: ResourcePlan): ResourcePlan {
  if (rp.refuse || (rp.action !== 'update' && rp.action !== 'replace')) return rp;
  for (const rule of controller.replaceOn ?? []) {
    const hit = rp.changes.find((c) => under(c.path, rule.path));
    if (!hit) continue;
    if (rule.refuse) return { ...rp, refuse: { path: rule.path, reason: rule.refuse } };
    const notes = rule.note && !rp.notes.includes(rule.note) ? [...rp.notes, rule.note] : rp.notes;
    return { ...rp, action: 'replace', notes };
  }
  return rp;
}

/**
 * Whether a live object runctl does not own already is what its manifest says, ownership
 * markers aside: the controller's plan for it (with the manifest's own labels only, so
 * `managed-by`/`runctl-set` are not a difference) changes nothing, nothing is still
 * unknown, and the labels the manifest declares are there. Also returns what differs.
 */
function matchesUnowned(session: Session, m: Manifest, id: Identity, observed: Observed, unknown: string[]): { matches: boolean; changes: FieldChange[] } {
  const controller = session.controllerFor(m.kind);
  const resolved = resolveManifest(session, m).manifest;
  const labels = { ...(resolved.metadata.labels ?? {}) };
  const manifest: Manifest = { ...resolved, metadata: { ...resolved.metadata, labels } };
  const desired = controller.desired({ manifest, id }, session.planContext());
  for (const p of ignoredPaths(m)) setPath(desired, p, getPath(observed.spec, p));
  const rp = withReplacements(controller, controller.plan({ manifest, id, desired, observed }, session.planContext()));
  const changes = [...rp.changes, ...diffDeclared(labels, observed.labels ?? {}, {}, 'metadata.labels').changes];
  const children = (rp.children ?? []).some((c) => c.action !== 'noop');
  return { matches: !unknown.length && !rp.refuse && rp.action === 'noop' && !changes.length && !rp.operations?.length && !children, changes };
}

/**
 * The plan entry of a live object runctl does not own that already matches its manifest:
 * nothing to write, marked `unowned` so plans and results say it is not managed (and, for
 * a saved plan, that applying it must not take it over).
 */
function unownedEntry(
  base: Omit<PlanEntry, 'action' | 'changes' | 'patch' | 'notes'>,
  observed: Observed,
  set: string,
  adopting: boolean,
  inPlace: boolean,
  manifest: Manifest,
  desired: Form,
): PlanEntry {
  const owner = ownerOf(observed.labels);
  const note = !inPlace
    ? `owner: ${owner}, not set "${set}"; it matches the manifest. Its labels cannot change in place (the API has no update), so ${adopting ? '--adopt' : 'apply --adopt'} writes nothing to it either: runctl never prunes or deletes it, and labels it when a change re-creates it anyway`
    : `owner: ${owner}, not set "${set}"; it matches the manifest, so nothing is written to it until apply --adopt`;
  return { ...base, action: 'noop', changes: [], patch: [], notes: [note], unowned: { owner, adoptable: inPlace }, manifest, desired };
}

/** Plan one resource against its current observation. */
export function planResource(session: Session, m: Manifest, opts: PlanOptions = {}): PlanEntry {
  const key = keyOf(m);
  const controller = session.controllerFor(m.kind);
  const id = session.identify(m);
  const observed: Observed = session.observed.get(key) ?? { exists: false };
  // Weak references (e.g. a GpuModel's invokers) name a resource without ordering: they
  // are no execution dependency, or a Service using the GpuModel's URL would be a cycle.
  const deps = [...new Set(findReferences(m).filter((r) => !r.weak).map((r) => `${r.kind}/${r.name}`))].filter((k) => k !== key);
  const base: Omit<PlanEntry, 'action' | 'changes' | 'patch' | 'notes'> = {
    key,
    kind: m.kind,
    name: m.metadata.name,
    identity: id,
    exists: observed.exists,
    etag: observed.etag,
    lastModifier: observed.lastModifier,
    lastModifiedByRunctl: observed.lastModifiedByRunctl,
    dependsOn: deps,
  };
  if (opts.destroy) {
    if (!observed.exists) return { ...base, action: 'noop', changes: [], patch: [], notes: ['already absent'] };
    if (!ownedBy(observed.labels, session.set)) {
      return { ...base, action: 'blocked', changes: [], patch: [], notes: [], reason: `NotOwned: ${key} exists but is not managed by runctl set "${session.set}"; it is never deleted` };
    }
    // Paused means never written, and a deletion is a write (as Crossplane's pause).
    if (isPaused(m)) return { ...base, action: 'paused', changes: [], patch: [], notes: ['paused: would delete; nothing is written'] };
    const resolved = resolveManifest(session, m).manifest;
    const manifest: Manifest = { ...resolved, metadata: { ...resolved.metadata, labels: ownedLabels(resolved, session.set) } };
    if (m.metadata.annotations?.[ANNOTATION_DELETION_POLICY] === 'abandon') {
      return { ...base, action: 'abandon', changes: [], patch: [], notes: ['deletion-policy abandon: stop managing, do not delete'], manifest };
    }
    return { ...base, action: 'delete', changes: [], patch: [], notes: [], manifest };
  }

  const { manifest: withLabels, desired, unknown, pending } = desiredState(session, m, observed);
  const labels = withLabels.metadata.labels!;
  const ctx = session.planContext();

  let adopt = false;
  if (observed.exists && !ownedBy(observed.labels, session.set)) {
    // Not this set's: runctl never writes to it without --adopt. When it already is what
    // the manifest says, nothing needs writing either, so the plan is `noop` and says so
    // (`diff` exits 0); when it differs, the plan is `blocked`.
    const { matches, changes } = matchesUnowned(session, m, id, observed, unknown);
    const inPlace = controller.labelsInPlace !== false;
    if (matches && (!opts.adopt || !inPlace)) return unownedEntry(base, observed, session.set, !!opts.adopt, inPlace, withLabels, desired);
    if (!opts.adopt) {
      const other = observed.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE ? ` (it belongs to runctl set "${observed.labels?.[LABEL_SET]}")` : '';
      return {
        ...base,
        action: 'blocked',
        // What differs, shown as the plan would with --adopt (nothing of it is written now).
        changes,
        patch: [],
        notes: [],
        reason: `NotOwned: ${key} already exists, is not managed by runctl set "${session.set}"${other} and differs from the manifest${changes.length ? ` (${[...new Set(changes.map((c) => c.path))].join(', ')})` : ''}; re-run with --adopt to manage it`,
      };
    }
    adopt = true;
  }

  const rp: ResourcePlan = withReplacements(controller, controller.plan({ manifest: withLabels, id, desired, observed }, ctx));
  // A paused resource is never written, so a refusal is only worth a note on it.
  if (rp.refuse && isPaused(m)) rp.notes = [...rp.notes, `when unpaused, would be refused: ${rp.refuse.path}: ${rp.refuse.reason}`];
  else if (rp.refuse) {
    const { reason, path, code = 'InvalidValue' } = rp.refuse;
    const pos = manifestPosition(m, path.split('.'));
    const where = pos ? `${pos.file}:${pos.line}:${pos.col}: ` : '';
    return { ...base, action: 'blocked', changes: rp.changes, patch: [], notes: rp.notes, reason: `${where}${key}: ${path}: ${reason} [${code}]`, refused: { code, path, pos } };
  }
  const entry: PlanEntry = {
    ...base,
    action: rp.action,
    changes: [...rp.changes],
    patch: [],
    notes: [...rp.notes],
    children: rp.children,
    ...(rp.operations?.length ? { operations: rp.operations } : {}),
    unknown: unknown.length ? unknown : undefined,
    // What `apply PLANFILE` executes: exactly the values these changes were computed from.
    manifest: withLabels,
    desired,
    pending: pending.length ? pending : undefined,
  };
  if (rp.unsettled) entry.unsettled = rp.unsettled;

  // Labels are compared by the engine: declared keys only; unmanaged extra labels stay.
  if (observed.exists) {
    const { changes, patch } = diffDeclared(labels, observed.labels ?? {}, {}, 'metadata.labels');
    if (changes.length) {
      entry.changes.push(...changes);
      entry.patch.push(...patch);
      if (entry.action === 'noop') entry.action = 'update';
    }
  }
  entry.patch.push(
    ...rp.changes.map((c) => ({ op: c.op, path: `/${c.path.split('.').join('/')}`, value: c.new }) as PlanEntry['patch'][number]),
  );
  if (adopt) {
    entry.adopt = true;
    entry.notes.unshift('adopt: runctl will label and manage this existing resource');
    if (entry.action === 'noop') entry.action = 'update';
  }
  if (isPaused(m) && entry.action !== 'noop') {
    entry.notes.unshift(`paused: would ${entry.action}; nothing is written`);
    entry.action = 'paused';
  }
  return entry;
}

/**
 * Scopes to list for prune and get: every project the manifests or the defaults name,
 * each in every region (a set's resources are found wherever they are, also in a region
 * no manifest names now).
 */
export function scopesFor(session: Session): Scope[] {
  const projects = new Set([...session.identities.values()].map((id) => id.project));
  const fallback = defaultProject(session.target);
  if (fallback) projects.add(fallback);
  return [...projects].sort().map((project) => ({ project }));
}

/** Live resources of the set that the manifests no longer name. */
async function pruneEntries(session: Session): Promise<PlanEntry[]> {
  const entries: PlanEntry[] = [];
  const ctx = session.observeContext();
  // One Google resource can be listed by two kinds (a GpuModel is a Cloud Run service):
  // what a manifest of whichever kind manages, or an earlier entry deletes, is no orphan.
  const claimed = new Set([...session.manifests.keys()].map((k) => session.identities.get(k)?.fullName).filter(Boolean));
  for (const c of session.controllers.values()) {
    const live = await c.list(scopesFor(session), ctx);
    for (const r of live) {
      const key = `${r.kind}/${r.name}`;
      if (session.manifests.has(key) || !ownedBy(r.labels, session.set)) continue;
      if (claimed.has(r.identity.fullName)) continue;
      claimed.add(r.identity.fullName);
      const abandon = r.labels[LABEL_DELETION_POLICY] === 'abandon';
      session.observed.set(key, { exists: true, spec: r.spec, labels: r.labels, status: r.status, etag: r.etag });
      session.identities.set(key, r.identity);
      entries.push({
        key,
        kind: r.kind,
        name: r.name,
        identity: r.identity,
        action: abandon ? 'abandon' : 'delete',
        changes: [],
        patch: [],
        notes: [abandon ? 'no longer in the manifests; deletion-policy abandon: runctl stops managing it' : 'no longer in the manifests'],
        exists: true,
        etag: r.etag,
        dependsOn: [],
        pruned: true,
        // The live object in manifest form: what its delete (and a re-read) is given.
        manifest: { apiVersion: API_VERSION, kind: r.kind, metadata: { name: r.name, labels: r.labels }, spec: r.spec },
      });
    }
  }
  return entries;
}

/** Make a plan for the manifests (already validated). */
export async function makePlan(session: Session, manifests: Manifest[], opts: PlanOptions = {}): Promise<Plan> {
  session.addManifests(manifests);
  // Before observing: what a resource reads can depend on the grants others ask of it (a
  // Service reads its IAM policy when a Schedule needs run.invoker on it).
  await collectGrants(session);
  await observeAll(session, manifests);
  const graph = buildGraph(manifests);
  const order = opts.destroy ? [...graph.levels].reverse().flat() : graph.levels.flat();
  const byKey = new Map(manifests.map((m) => [keyOf(m), m]));
  const entries = order.map((k) => planResource(session, byKey.get(k)!, opts));
  if (opts.prune && !opts.destroy) entries.push(...(await pruneEntries(session)));
  return {
    format: PLAN_FORMAT,
    target: planTarget(session.target, entries.map((e) => e.identity.project)),
    set: session.set,
    createdAt: new Date().toISOString(),
    entries,
    summary: summarize(entries),
  };
}
