/**
 * `get`: live resources in manifest form, found in every region of the projects the
 * manifests or defaults name. Returns the resources; the CLI prints them as a table,
 * YAML or JSON.
 */
import { liveConditions } from '../../engine/conditions';
import type { Identity, LiveResource, Scope } from '../../engine/controller';
import { manifestLabels } from '../../engine/ownership';
import { scopesFor } from '../../engine/planner';
import { API_VERSION, keyOf, RunctlError, type Manifest } from '../../engine/types';
import type { Opened } from '../session';

/**
 * A live resource as a manifest (`get -o yaml|json`): the spec as a manifest declares it,
 * runctl's ownership labels reported under `status` instead of `metadata.labels`, and
 * the live status, which `apply`/`diff` ignore on input — so the output applies back
 * with no change (`runctl get service x -o yaml | runctl diff -f -` exits 0).
 */
export function asManifest(r: LiveResource, exported?: { spec: Record<string, any>; status?: Record<string, unknown> }) {
  const conditions = liveConditions(r.status);
  const { labels, annotations, owner } = manifestLabels(r.labels);
  const allAnnotations = { ...(r.annotations ?? {}), ...annotations };
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: {
      name: r.name,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(allAnnotations).length ? { annotations: allAnnotations } : {}),
    },
    spec: exported?.spec ?? r.spec,
    status: { ...(r.status?.fields ?? {}), ...(exported?.status ?? {}), ...(owner ? { managedBy: owner.managedBy, ...(owner.set ? { set: owner.set } : {}) } : {}), conditions },
  };
}

/** What to get: the resources some manifests name, or a kind (and optionally one name). */
export interface GetRequest {
  manifests?: Manifest[];
  /** The registry's kind name (see `findKind`). */
  kind?: string;
  name?: string;
  /** Also export each resource as a manifest (for `-o yaml|json`). */
  asManifests?: boolean;
}

export interface GetOutcome {
  /** Sorted by kind, name, region. */
  live: LiveResource[];
  /** `live` as manifests, when asked for. */
  docs: Array<ReturnType<typeof asManifest>>;
  /** One line per manifest whose resource does not exist. */
  missing: string[];
}

const where = (s: Scope) => `project ${s.project}${s.region ? ` region ${s.region}` : ' (every region)'}`;

/** The live resources of `kinds` in the session's scopes (every region of every project). */
export async function listKinds(o: Opened, kinds: string[]): Promise<LiveResource[]> {
  const ctx = o.session.observeContext();
  const lists = await Promise.all(kinds.map((k) => o.session.controllerFor(k).list(scopesFor(o.session), ctx)));
  return lists.flat();
}

/** The live resource a manifest names: same kind and name, in the project (and region) it resolves to. */
function matches(r: LiveResource, m: Manifest, id: Identity): boolean {
  return r.kind === m.kind && r.name === m.metadata.name && r.identity.project === id.project && (!id.region || !r.identity.region || r.identity.region === id.region);
}

/** Find the live resources asked for. A NAME that does not exist is an error; a manifest's missing resource is listed. */
export async function getResources(o: Opened, req: GetRequest): Promise<GetOutcome> {
  let live: LiveResource[];
  const missing: string[] = [];
  if (req.manifests) {
    const wanted = req.manifests.filter((m) => !req.kind || m.kind === req.kind);
    o.session.addManifests(wanted);
    const ids = new Map(wanted.map((m) => [m, o.session.identify(m)] as const));
    const found = await listKinds(o, [...new Set(wanted.map((m) => m.kind))]);
    live = [];
    for (const [m, id] of ids) {
      const r = found.find((x) => matches(x, m, id));
      if (r) live.push(r);
      else missing.push(`${keyOf(m)} not found in project ${id.project}${id.region ? ` region ${id.region}` : ''}`);
    }
  } else {
    if (!req.kind) throw new RunctlError('Usage', 'name a kind (runctl get services) or give manifests (runctl get -f PATH)', { source: 'user' });
    live = (await listKinds(o, [req.kind])).filter((r) => !req.name || r.name === req.name);
    if (req.name && !live.length) throw new RunctlError('ApiError', `${req.kind}/${req.name} not found in ${scopesFor(o.session).map(where).join(', ')}`, { source: 'user' });
  }
  live.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || (a.identity.region ?? '').localeCompare(b.identity.region ?? ''));
  const ctx = o.session.observeContext();
  const docs = req.asManifests ? await Promise.all(live.map(async (r) => asManifest(r, await o.session.controllerFor(r.kind).exportSpec?.(r, ctx)))) : [];
  return { live, docs, missing };
}
