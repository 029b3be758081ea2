/**
 * `export`: live resources as the minimal manifests a person would write, so what already
 * runs (made by gcloud, the console, Terraform) can be brought under runctl: `diff -f`
 * of the output plans no change, and `apply --adopt` writes only ownership labels.
 *
 * Generic over the controllers: each kind lists its resources (`list`) and says how one
 * is declared (`exportSpec`: defaults left out, references rebuilt towards the other
 * exported resources, what it cannot express, the resources it implies).
 */
import type { AnyController, ExportedSpec, LiveResource, Scope } from '../../engine/controller';
import { defaultProject } from '../../engine/location';
import { manifestLabels, ownedBy, ownerOf } from '../../engine/ownership';
import { API_VERSION, LABEL_MANAGED_BY, LABEL_SET, MANAGED_BY_VALUE, RunctlError } from '../../engine/types';
import type { Opened } from '../session';

/** What to export. */
export interface ExportRequest {
  /** Registry kind names; every kind when absent (`export --all`). */
  kinds?: string[];
  /** Only these names (of the one kind). */
  names?: string[];
  /** Only this region (regional kinds); every region the project uses otherwise. */
  region?: string;
  /** Rebuild `${Kind/name.status.x}` references inside strings (`--references`). */
  references?: boolean;
}

/** A manifest as `export` prints it (no status: it describes what to declare). */
export interface ExportedManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** What `apply --adopt` would do to ownership for one exported resource. */
export type Adoption =
  /** Already this set's: nothing to write. */
  | { action: 'owned' }
  /** Not runctl's: adopting writes these labels and nothing else. */
  | { action: 'label'; labels: Record<string, string> }
  /** Another runctl set or tool labels it: adopting moves it to this set. */
  | { action: 'take-over'; from: string; labels: Record<string, string> }
  /** Implied by another resource and has no labels of its own (an NFS share, a bucket runctl only mounts). */
  | { action: 'none' }
  /** Not runctl's, and its labels cannot change in place (`Controller.labelsInPlace`): adopting writes nothing. */
  | { action: 'fixed' };

/** One exported resource. */
export interface ExportedResource {
  key: string;
  /** Where it lives (undefined for a resource implied by another one). */
  location?: { project: string; region?: string };
  manifest: ExportedManifest;
  /** Live settings the manifest cannot express (see `ExportedSpec.unexpressed`). */
  unexpressed: string[];
  /** Live settings the manifest cannot express and applying it changes (see `ExportedSpec.differs`). */
  differs?: string[];
  adoption: Adoption;
  /** `Kind/name` of the resource that implied this one (a Service's mount -> Volume). */
  impliedBy?: string;
}

/** Where `export` looks: the projects of `--project` (or the defaults), one region or all. */
function scopes(o: Opened, region: string | undefined): Scope[] {
  const project = defaultProject(o.session.target);
  if (!project) throw new RunctlError('Usage', 'no project to export from: pass --project or set GOOGLE_CLOUD_PROJECT', { source: 'user' });
  return [{ project, ...(region ? { region } : {}) }];
}

/** The labels adopting writes: runctl's ownership markers for the session's set. */
function adoption(r: LiveResource, set: string, inPlace = true): Adoption {
  if (ownedBy(r.labels, set)) return { action: 'owned' };
  if (!inPlace) return { action: 'fixed' };
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_SET]: set };
  if (r.labels[LABEL_MANAGED_BY]) return { action: 'take-over', from: ownerOf(r.labels), labels };
  return { action: 'label', labels };
}

/**
 * Where two kinds list one object (a GpuModel's Cloud Run service is a Service too), the
 * kind that specialises the other keeps it.
 */
function withoutShadowed(live: LiveResource[], controllers: Map<string, AnyController>): LiveResource[] {
  const specialised = new Set(live.filter((r) => controllers.get(r.kind)?.specialises).map((r) => r.identity.fullName));
  return live.filter((r) => controllers.get(r.kind)?.specialises || !specialised.has(r.identity.fullName));
}

function manifestOf(kind: string, name: string, labels: Record<string, string>, annotations: Record<string, string>, spec: Record<string, unknown>): ExportedManifest {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name, ...(Object.keys(labels).length ? { labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec,
  };
}

/** Export the live resources asked for, sorted by kind and name. */
export async function exportResources(o: Opened, req: ExportRequest): Promise<ExportedResource[]> {
  const all = [...o.session.controllers.values()];
  const wanted = req.kinds ? all.filter((c) => req.kinds!.includes(c.kind)) : all;
  const byKind = new Map(all.map((c) => [c.kind, c] as const));
  const ctx = o.session.observeContext();
  const where = scopes(o, req.region);
  // Regional kinds honour --region; global ones (a bucket, a load balancer) have none.
  const listOf = (c: AnyController) => c.list(c.regional ? where : where.map(({ project }) => ({ project })), ctx);
  // A kind that specialises a wanted one is listed too, to know which objects it claims.
  const shadows = all.filter((c) => c.specialises && wanted.some((w) => w.kind === c.specialises) && !wanted.includes(c));
  const lists = await Promise.all([...wanted, ...shadows].map(listOf));
  const shadowKinds = new Set(shadows.map((c) => c.kind));
  let live = withoutShadowed(lists.flat(), byKind).filter((r) => !shadowKinds.has(r.kind));
  if (req.names?.length) {
    const missing = req.names.filter((n) => !live.some((r) => r.name === n));
    if (missing.length) throw new RunctlError('ApiError', `${wanted.map((c) => c.kind).join(', ')} ${missing.join(', ')} not found in project ${where[0].project}${req.region ? ` region ${req.region}` : ' (every region)'}`, { source: 'user' });
    live = live.filter((r) => req.names!.includes(r.name));
  }
  live.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || (a.identity.region ?? '').localeCompare(b.identity.region ?? ''));

  const out: ExportedResource[] = [];
  const implied: Array<{ from: string; rel: NonNullable<ExportedSpec['related']>[number] }> = [];
  const exportOne = async (r: LiveResource, others: LiveResource[]) => {
    const c = byKind.get(r.kind)!;
    const exported: ExportedSpec = (await c.exportSpec?.(r, ctx, { exported: others, references: !!req.references })) ?? { spec: r.spec };
    const { labels, annotations } = manifestLabels(r.labels);
    const key = `${r.kind}/${r.name}`;
    out.push({
      key,
      location: { project: r.identity.project, ...(r.identity.region ? { region: r.identity.region } : {}) },
      manifest: manifestOf(r.kind, r.name, labels, { ...(r.annotations ?? {}), ...annotations }, exported.spec),
      unexpressed: exported.unexpressed ?? [],
      ...(exported.differs?.length ? { differs: exported.differs } : {}),
      adoption: adoption(r, o.session.set, c.labelsInPlace !== false),
    });
    for (const rel of exported.related ?? []) implied.push({ from: key, rel });
  };
  for (const r of live) await exportOne(r, live);
  // Implied resources (a Service's mounts as Volumes) unless that kind and name is exported
  // already; one its kind lists (a bucket runctl made) is exported as listed.
  const listed = new Map<string, Promise<LiveResource[]>>();
  for (const { from, rel } of implied) {
    const key = `${rel.kind}/${rel.name}`;
    const have = out.find((e) => e.key === key);
    if (have) {
      if (have.impliedBy && JSON.stringify(have.manifest.spec) !== JSON.stringify(rel.spec)) {
        have.unexpressed.push(`${from} mounts a different ${key} (${JSON.stringify(rel.spec)}): Cloud Run volume names are per service, runctl's are per set; rename one of them`);
      }
      continue;
    }
    const c = byKind.get(rel.kind);
    if (c && !listed.has(rel.kind)) listed.set(rel.kind, listOf(c));
    const own = (await listed.get(rel.kind))?.find((r) => r.name === rel.name);
    if (own) {
      await exportOne(own, [...live, own]);
      continue;
    }
    if (rel.listedOnly) {
      out.find((e) => e.key === from)?.unexpressed.push(`${key} is not found in project ${where[0].project}: declare it with the manifests, as this one refers to it`);
      continue;
    }
    out.push({ key, manifest: manifestOf(rel.kind, rel.name, {}, {}, rel.spec), unexpressed: [], adoption: { action: 'none' }, impliedBy: from });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Live objects of the kinds asked for that no manifest can stand for (see
 * `Controller.unexportable`), one line each: reported, never half-exported.
 */
export async function unexportable(o: Opened, req: Pick<ExportRequest, 'kinds' | 'region'>): Promise<string[]> {
  const all = [...o.session.controllers.values()];
  const wanted = req.kinds ? all.filter((c) => req.kinds!.includes(c.kind)) : all;
  const ctx = o.session.observeContext();
  const where = scopes(o, req.region);
  const lines = await Promise.all(wanted.map((c) => c.unexportable?.(c.regional ? where : where.map(({ project }) => ({ project })), ctx) ?? Promise.resolve([])));
  return lines.flat();
}

/** A file name for one resource: `kind-name.yaml`, safe on every file system. */
export function exportFileName(e: ExportedResource, ext: 'yaml' | 'json'): string {
  const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, '_');
  return `${safe(e.manifest.kind)}-${safe(e.manifest.metadata.name)}.${ext}`;
}

/** The comment lines at the top of an exported file: what it leaves out, and what adopting writes. */
export function headerLines(e: ExportedResource, set: string): string[] {
  const lines: string[] = [];
  if (e.location) lines.push(`${e.key}: exported from project ${e.location.project}${e.location.region ? ` region ${e.location.region}` : ''}`);
  else if (e.impliedBy) lines.push(`${e.key}: implied by ${e.impliedBy}`);
  if (e.unexpressed.length) {
    lines.push('Not expressible in this manifest (left as they are live; runctl neither compares nor writes them):');
    for (const u of e.unexpressed) lines.push(`  - ${u}`);
  }
  if (e.differs?.length) {
    lines.push('Not expressible in this manifest, and applying it changes them (diff shows them):');
    for (const u of e.differs) lines.push(`  - ${u}`);
  }
  const a = e.adoption;
  if (a.action === 'label') lines.push(`apply --adopt${set === 'default' ? '' : ` --set ${set}`} writes only runctl's ownership marks ${labelText(a.labels)} (as labels, or in the description where the API has no labels)`);
  else if (a.action === 'take-over') lines.push(`managed by ${a.from}: apply --adopt${set === 'default' ? '' : ` --set ${set}`} moves it to set "${set}" (labels ${labelText(a.labels)})`);
  else if (a.action === 'owned') lines.push(`already managed by runctl set "${set}"`);
  else if (a.action === 'fixed') lines.push('not managed by runctl; its labels cannot change in place, so apply --adopt leaves it as it is (runctl never prunes or deletes it)');
  return lines;
}

const labelText = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(', ');
