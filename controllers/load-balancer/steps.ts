/**
 * Planning a LoadBalancer: the desired sub-resources against the live ones, as ordered
 * steps. Pure. Creates and in-place updates run first in dependency order (NEG → backend
 * service → URL map → certificate → proxies → address → forwarding rules); deletions run
 * after, in reverse order, so nothing is deleted while something still uses it. That one
 * ordering gives the safe way round for every replacement: a new certificate is created
 * and attached before the old one is deleted, a backend service moves to a NEG in a new
 * region before the old NEG goes, and the HTTP proxy is pointed at its new URL map
 * before the redirect map is deleted.
 */
import type { FieldChange, SubChange } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { liveView, withOwner, type ComputeResource, type LiveModel, type LiveSub, type SubView, type WantSub } from './model';
import { RANK, type PartNames, type SubKind } from './names';
import { relPath } from './compute-ops';
import { urlMapExtras } from './recognise';

/** One API call of a step (bodies and references as in the Compute v1 messages). */
export type Op =
  | { op: 'insert'; body: ComputeResource }
  | { op: 'delete' }
  | { op: 'patch'; body: ComputeResource }
  | { op: 'update'; body: ComputeResource }
  | { op: 'setUrlMap'; urlMap: ComputeResource['urlMap'] }
  | { op: 'setSslCertificates'; sslCertificates: ComputeResource['sslCertificates'] }
  | { op: 'setTarget'; target: ComputeResource['target'] }
  | { op: 'setLabels'; labels: Record<string, string> }
  | { op: 'refuse'; message: string };

/** One sub-resource's change and the calls that make it. */
export interface Step {
  kind: SubKind;
  name: string;
  region?: string;
  action: SubChange['action'];
  changes: FieldChange[];
  notes: string[];
  ops: Op[];
  /** For a create: the wanted sub-resource, to compare with one a concurrent apply made first. */
  want?: WantSub;
}

/** What the notes may mention. */
export interface StepContext {
  lb: string;
  /** The load balancer's IP when known. */
  ip?: string;
  /** Its parts' names, when `spec.parts` pins some (runctl's scheme otherwise). */
  names?: PartNames;
}

const keyOf = (s: { kind: string; name: string; region?: string }) => `${s.kind}/${s.region ?? ''}/${s.name}`;

const CERT_NOTE = (domains: string[], ip?: string) =>
  `Google-managed certificate: in the real cloud it provisions in minutes to hours, and only once DNS for ${domains.join(', ')} points at the load balancer's IP (${ip ?? 'known after apply'})`;

/** The calls that turn the live object into the desired one, given the changed top-level fields. */
function updateOps(want: WantSub, live: LiveSub, fields: Set<string>): { ops: Op[]; replace?: string } {
  const b = want.body;
  // The ownership mark joins whatever description a person gave the resource.
  const description = want.view.owner ? withOwner(live.raw.description, want.view.owner) : undefined;
  const marksOnly = fields.size === 1 && fields.has('owner');
  switch (want.kind) {
    case 'networkEndpointGroup':
      return { ops: [{ op: 'refuse', message: `networkEndpointGroup ${want.name} serves Cloud Run service "${live.raw.cloudRun?.service}", not "${want.view.service}"; NEGs cannot change: delete it by hand and apply again` }], replace: 'NEGs cannot change in place' };
    case 'sslCertificate':
      return { ops: [{ op: 'refuse', message: `sslCertificate ${want.name} has domains that do not match its name; certificates cannot change: delete it by hand and apply again` }], replace: 'certificates cannot change in place' };
    case 'backendService':
      return { ops: [{ op: 'patch', body: marksOnly ? { description } : { backends: b.backends, ...(description ? { description } : {}) } }] };
    case 'urlMap':
      // Marking an adopted map is a patch of its description; a routing change rewrites it.
      return { ops: [marksOnly ? { op: 'patch', body: { description } } : { op: 'update', body: { ...b, ...(description ? { description } : {}) } }] };
    case 'targetHttpsProxy':
    case 'targetHttpProxy': {
      const ops: Op[] = [];
      if (fields.has('owner')) ops.push({ op: 'patch', body: { description } });
      if (fields.has('urlMap')) ops.push({ op: 'setUrlMap', urlMap: b.urlMap });
      if (fields.has('sslCertificates')) ops.push({ op: 'setSslCertificates', sslCertificates: b.sslCertificates });
      return { ops };
    }
    case 'address':
      return { ops: [{ op: 'setLabels', labels: { ...(live.raw.labels ?? {}), ...b.labels } }] };
    case 'forwardingRule': {
      if (fields.has('ip') || fields.has('portRange') || fields.has('loadBalancingScheme')) {
        return { ops: [{ op: 'delete' }, { op: 'insert', body: b }], replace: 'forwarding rules cannot change IP address, port or scheme in place: deleted and re-created (traffic on this port stops briefly)' };
      }
      const ops: Op[] = [];
      if (fields.has('target')) ops.push({ op: 'setTarget', target: b.target });
      if (fields.has('labels')) ops.push({ op: 'setLabels', labels: { ...(live.raw.labels ?? {}), ...b.labels } });
      return { ops };
    }
  }
}

/**
 * The live view as far as the spec can speak of it: a backend service that also has
 * backends no Service of the spec stands for (a second region's NEG added by hand) is
 * compared on the one the spec wants, the others being what `export` lists as not
 * expressible, kept until the backends must change.
 */
function comparable(want: WantSub, view: SubView): SubView {
  const wanted = want.view.backends?.[0];
  if (want.kind === 'backendService' && wanted && view.backends?.includes(wanted)) return { ...view, backends: [wanted] };
  return view;
}

/**
 * What a write replaces that the manifest cannot express (an adopted URL map's route rules,
 * a backend service's second backend): runctl keeps such settings while it only marks or
 * relabels a part, but a URL map's routing is rewritten whole and a backend service's
 * backends replaced, so the plan says what goes.
 */
function dropped(want: WantSub, live: LiveSub, ops: Op[]): string[] {
  if (want.kind === 'urlMap' && ops.some((o) => o.op === 'update')) {
    const extras = urlMapExtras(live.raw);
    if (extras.length) return [`rewrites the URL map, dropping what the manifest cannot express: ${extras.map((e) => e.replace(/^urlMap \S+: /, '')).join('; ')}`];
  }
  const body = ops.find((o) => o.op === 'patch' && 'body' in o && o.body.backends);
  if (want.kind === 'backendService' && body) {
    const kept = new Set(((body as { body: ComputeResource }).body.backends ?? []).map((b) => relPath(b.group)));
    const had = (live.raw.backends ?? []).map((b) => relPath(b.group));
    if (had.length > 1) return [`replaces its ${had.length} backends (${had.join(', ')}) with ${[...kept].join(', ')}`];
  }
  return [];
}

function stepFor(want: WantSub, live: LiveSub | undefined, model: LiveModel, ctx: StepContext): Step {
  const base = { kind: want.kind, name: want.name, region: want.region };
  if (!live) {
    // The ownership marker (the same everywhere) and empty lists are not worth a line per create.
    const changes = diffDeclared(want.view, {}, {}, '').changes.filter((c) => c.path !== 'owner' && !(Array.isArray(c.new) && !c.new.length));
    // A certificate's view always lists its domains (desiredModel).
    const notes = want.kind === 'sslCertificate' ? [CERT_NOTE(want.view.domains as string[], ctx.ip)] : [];
    // Google ignores labels sent when inserting a global address: set them after it exists.
    const labels = want.kind === 'address' ? want.body.labels ?? {} : {};
    const ops: Op[] = [{ op: 'insert', body: want.body }, ...(Object.keys(labels).length ? [{ op: 'setLabels' as const, labels }] : [])];
    return { ...base, action: 'create', changes, notes, ops, want };
  }
  const { changes } = diffDeclared(want.view, comparable(want, liveView(live, ctx.lb, model, ctx.names)), {}, '');
  if (!changes.length) return { ...base, action: 'noop', changes, notes: [], ops: [] };
  const fields = new Set(changes.map((c) => c.path.split('.')[0]));
  const { ops, replace } = updateOps(want, live, fields);
  return { ...base, action: replace ? 'replace' : 'update', changes, notes: [...(replace ? [replace] : []), ...dropped(want, live, ops)], ops };
}

function deleteNote(sub: LiveSub, wants: WantSub[]): string[] {
  if (sub.kind === 'sslCertificate' && wants.some((w) => w.kind === 'sslCertificate')) {
    return ['deleted only after the HTTPS proxy serves the new certificate (never detached first)'];
  }
  if (sub.kind === 'networkEndpointGroup' && wants.some((w) => w.kind === sub.kind && w.name === sub.name)) {
    return ['the backend service moves to the NEG in the new region first'];
  }
  return [];
}

/** Order within a phase: by creation rank, then kind, region and name. */
function byRank(a: { kind: SubKind; name: string; region?: string }, b: { kind: SubKind; name: string; region?: string }): number {
  return RANK[a.kind] - RANK[b.kind] || a.kind.localeCompare(b.kind) || keyOf(a).localeCompare(keyOf(b));
}

/**
 * Steps from the live state to the desired sub-resources, in execution order. Live
 * sub-resources no longer wanted are deleted; foreign ones (not owned) are only ever
 * compared, never deleted.
 */
export function planSteps(wants: WantSub[], live: LiveModel, ctx: StepContext): Step[] {
  const liveByKey = new Map(live.subs.map((s) => [keyOf(s), s]));
  const wanted = new Set(wants.map(keyOf));
  // Stable: within a rank, the model's order (URL map before redirect map, HTTPS before HTTP).
  const forward = [...wants].sort((a, b) => RANK[a.kind] - RANK[b.kind]).map((w) => stepFor(w, liveByKey.get(keyOf(w)), live, ctx));
  const deletes = live.subs
    .filter((s) => s.owned && !wanted.has(keyOf(s)))
    .sort(byRank)
    .reverse()
    .map((s): Step => ({ kind: s.kind, name: s.name, region: s.region, action: 'delete', changes: [], notes: deleteNote(s, wants), ops: [{ op: 'delete' }] }));
  return [...forward, ...deletes];
}

/** A step as a plan line: `backendService gradio-lb-bs-gradio`, NEGs with their region. */
export function toSubChange(step: Step): SubChange {
  const out: SubChange = { name: `${step.kind} ${step.name}${step.region ? ` [${step.region}]` : ''}`, action: step.action };
  if (step.changes.length) out.changes = step.changes;
  if (step.notes.length) out.notes = step.notes;
  return out;
}
