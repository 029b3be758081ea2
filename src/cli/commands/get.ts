/** `get KIND [NAME] [-o yaml|json]`: live state in manifest form, with status. */
import { CONTROLLERS } from '../../../controllers/index';
import type { LiveResource } from '../../engine/controller';
import { scopesFor } from '../../engine/planner';
import { API_VERSION, LABEL_MANAGED_BY, LABEL_SET, RunctlError } from '../../engine/types';
import type { Io } from '../io';
import { withSession, type GlobalFlags } from './common';

export function findKind(name: string): string {
  const n = name.toLowerCase();
  for (const c of CONTROLLERS) {
    const k = c.kind.toLowerCase();
    const plural = k.endsWith('y') ? `${k.slice(0, -1)}ies` : `${k}s`;
    if (n === k || n === plural || n === `${k}es`) return c.kind;
  }
  throw new RunctlError('UnknownKind', `unknown kind "${name}"; known kinds: ${CONTROLLERS.map((c) => c.kind).join(', ')}`, { source: 'user' });
}

export function asManifest(r: LiveResource) {
  const conditions = r.status?.ready ? [{ type: 'Ready', status: r.status.ready.status, reason: r.status.ready.reason, ...(r.status.ready.message ? { message: r.status.ready.message } : {}) }] : [];
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: { name: r.name, labels: r.labels, ...(r.annotations ? { annotations: r.annotations } : {}) },
    spec: r.spec,
    status: { ...(r.status?.fields ?? {}), conditions },
  };
}

export async function getCommand(kindName: string, name: string | undefined, flags: GlobalFlags, io: Io): Promise<number> {
  const kind = findKind(kindName);
  return withSession(flags, io, async (o) => {
    const controller = o.session.controllerFor(kind);
    const live = (await controller.list(scopesFor(o.session, kind), o.session.observeContext()))
      .filter((r) => !name || r.name === name)
      .sort((a, b) => a.name.localeCompare(b.name));
    if (name && !live.length) throw new RunctlError('ApiError', `${kind}/${name} not found in ${scopesFor(o.session, kind).map((s) => `${s.project}${s.region ? `/${s.region}` : ''}`).join(', ')}`, { source: 'user' });
    const docs = live.map(asManifest);
    if (flags.output === 'json') {
      io.stdout.write(JSON.stringify(name ? docs[0] : docs, null, 2) + '\n');
    } else if (flags.output === 'yaml') {
      const YAML = require('yaml') as typeof import('yaml');
      io.stdout.write(docs.map((d) => YAML.stringify(d)).join('---\n'));
    } else {
      const rows = [['NAME', 'READY', 'MANAGED', 'LOCATION', 'URL']];
      for (const r of live) {
        const managed = r.labels[LABEL_MANAGED_BY] === 'runctl' ? `set:${r.labels[LABEL_SET] ?? '?'}` : '-';
        rows.push([r.name, r.status?.ready?.reason ?? '-', managed, r.identity.region ?? 'global', String(r.status?.fields?.url ?? '')]);
      }
      const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
      for (const row of rows) io.stdout.write(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
      if (live.length === 0) io.stdout.write(`No ${kind} resources found.\n`);
    }
    return 0;
  });
}
