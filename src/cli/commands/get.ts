/**
 * `get KIND [NAME] [-o yaml|json]` and `get [KIND] -f PATH`: live state in manifest form,
 * with status, found in every region of the projects the manifests or defaults name.
 */
import type { Identity, LiveResource, Scope } from '../../engine/controller';
import { scopesFor } from '../../engine/planner';
import { manifestLabels } from '../../engine/ownership';
import { API_VERSION, keyOf, LABEL_MANAGED_BY, LABEL_SET, RunctlError, type Manifest } from '../../engine/types';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { findKind as findControllerKind } from '../../lib/registry';
import { withSession, type GlobalFlags, type Opened } from './common';

/** The kind a user typed (`services`, `Policy`), as the registry names it. */
export function findKind(name: string): string {
  return findControllerKind(name).kind;
}

/**
 * A live resource as a manifest (`get -o yaml|json`): the spec as a manifest declares it,
 * runctl's ownership labels reported under `status` instead of `metadata.labels`, and
 * the live status, which `apply`/`diff` ignore on input — so the output applies back
 * with no change (`runctl get service x -o yaml | runctl diff -f -` exits 0).
 */
export function asManifest(r: LiveResource, exported?: { spec: Record<string, any>; status?: Record<string, unknown> }) {
  const conditions = r.status?.ready ? [{ type: 'Ready', status: r.status.ready.status, reason: r.status.ready.reason, ...(r.status.ready.message ? { message: r.status.ready.message } : {}) }] : [];
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

export interface GetFlags extends GlobalFlags {
  /** Manifests naming the resources to get (`get -f PATH`). */
  filename?: string[];
}

const where = (s: Scope) => `project ${s.project}${s.region ? ` region ${s.region}` : ' (every region)'}`;

/** The live resources of `kinds` in the session's scopes (every region of every project). */
async function listKinds(o: Opened, kinds: string[]): Promise<LiveResource[]> {
  const ctx = o.session.observeContext();
  const lists = await Promise.all(kinds.map((k) => o.session.controllerFor(k).list(scopesFor(o.session), ctx)));
  return lists.flat();
}

/** The live resource a manifest names: same kind and name, in the project (and region) it resolves to. */
function matches(r: LiveResource, m: Manifest, id: Identity): boolean {
  return r.kind === m.kind && r.name === m.metadata.name && r.identity.project === id.project && (!id.region || !r.identity.region || r.identity.region === id.region);
}

export async function getCommand(kindName: string | undefined, name: string | undefined, flags: GetFlags, io: Io): Promise<number> {
  const manifests = flags.filename?.length ? await loadValid(flags.filename, io, { flags, identitiesOnly: true }) : undefined;
  if (!manifests && !kindName) throw new RunctlError('Usage', 'name a kind (runctl get services) or give manifests (runctl get -f PATH)', { source: 'user' });
  if (manifests && name) throw new RunctlError('Usage', 'give either a NAME or -f PATH, not both', { source: 'user' });
  const only = kindName ? findKind(kindName) : undefined;
  return withSession(flags, io, async (o) => {
    let live: LiveResource[];
    const missing: string[] = [];
    if (manifests) {
      const wanted = manifests.filter((m) => !only || m.kind === only);
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
      live = (await listKinds(o, [only!])).filter((r) => !name || r.name === name);
      if (name && !live.length) throw new RunctlError('ApiError', `${only}/${name} not found in ${scopesFor(o.session).map(where).join(', ')}`, { source: 'user' });
    }
    live.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || (a.identity.region ?? '').localeCompare(b.identity.region ?? ''));
    const structured = flags.output === 'json' || flags.output === 'yaml';
    const ctx = o.session.observeContext();
    const docs = structured ? await Promise.all(live.map(async (r) => asManifest(r, await o.session.controllerFor(r.kind).exportSpec?.(r, ctx)))) : [];
    if (flags.output === 'json') {
      io.stdout.write(JSON.stringify(name ? docs[0] : docs, null, 2) + '\n');
    } else if (flags.output === 'yaml') {
      const YAML = require('yaml') as typeof import('yaml');
      io.stdout.write(docs.map((d) => YAML.stringify(d)).join('---\n'));
    } else {
      io.stdout.write(table(live, !!manifests));
      if (live.length === 0 && !missing.length) io.stdout.write(`No ${only ?? ''}${only ? ' ' : ''}resources found.\n`);
    }
    for (const line of missing) io.stderr.write(`error: ${line} [NotFound]\n`);
    return missing.length ? 1 : 0;
  });
}

/** The table for people; `-f` names span kinds, so they show as Kind/name. */
function table(live: LiveResource[], withKind: boolean): string {
  if (!live.length) return '';
  const rows = [['NAME', 'READY', 'MANAGED', 'LOCATION', 'URL']];
  for (const r of live) {
    const managed = r.labels[LABEL_MANAGED_BY] === 'runctl' ? `set:${r.labels[LABEL_SET] ?? '?'}` : '-';
    rows.push([withKind ? `${r.kind}/${r.name}` : r.name, r.status?.ready?.reason ?? '-', managed, r.identity.region ?? 'global', String(r.status?.fields?.url ?? '')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n').join('');
}
