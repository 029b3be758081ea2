/**
 * `get KIND [NAME] [-o yaml|json]` and `get [KIND] -f PATH`: live state in manifest form,
 * with status, found in every region of the projects the manifests or defaults name.
 */
import type { LiveResource } from '../../engine/controller';
import { LABEL_MANAGED_BY, LABEL_SET, RunctlError } from '../../engine/types';
import { getResources } from '../../lib/actions/get';
import type { Io } from '../../lib/io';
import { loadValid } from '../../lib/manifests';
import { findKind } from '../../lib/registry';
import { withSession, type GlobalFlags } from './common';

export interface GetFlags extends GlobalFlags {
  /** Manifests naming the resources to get (`get -f PATH`). */
  filename?: string[];
}

export async function getCommand(kindName: string | undefined, name: string | undefined, flags: GetFlags, io: Io): Promise<number> {
  const manifests = flags.filename?.length ? await loadValid(flags.filename, io, { flags, identitiesOnly: true }) : undefined;
  if (!manifests && !kindName) throw new RunctlError('Usage', 'name a kind (runctl get services) or give manifests (runctl get -f PATH)', { source: 'user' });
  if (manifests && name) throw new RunctlError('Usage', 'give either a NAME or -f PATH, not both', { source: 'user' });
  const only = kindName ? findKind(kindName).kind : undefined;
  return withSession(flags, io, async (o) => {
    const structured = flags.output === 'json' || flags.output === 'yaml';
    const { live, docs, missing } = await getResources(o, { manifests, kind: only, name, asManifests: structured });
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
  const text = rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n').join('');
  // What controllers say to do next (e.g. a domain's DNS records), after the table.
  const notes = live.filter((r) => r.status?.notes?.length).map((r) => `\n${r.kind}/${r.name}:\n${r.status!.notes!.map((n) => `  ${n}\n`).join('')}`);
  return text + notes.join('');
}
