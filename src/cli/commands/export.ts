/**
 * `export KIND [NAME...]` / `export --all`: live resources as minimal manifests, on stdout
 * or one file per resource under `--out DIR`. What a manifest cannot express goes in a
 * comment at the top of its YAML (on stderr for JSON), and `--set` names the set whose
 * labels `apply --adopt` would write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunctlError } from '../../engine/types';
import { exportFileName, exportResources, headerLines, unexportable, type ExportedResource } from '../../lib/actions/export';
import type { Io } from '../../lib/io';
import { findKind } from '../../lib/registry';
import { withSession, type GlobalFlags } from './common';

export interface ExportFlags extends GlobalFlags {
  all?: boolean;
  out?: string;
  references?: boolean;
}

const comment = (lines: string[]) => lines.map((l) => `# ${l}\n`).join('');

function yamlDoc(e: ExportedResource, set: string): string {
  const YAML = require('yaml') as typeof import('yaml');
  return comment(headerLines(e, set)) + YAML.stringify(e.manifest, { lineWidth: 0 });
}

export async function exportCommand(kindName: string | undefined, names: string[], flags: ExportFlags, io: Io): Promise<number> {
  if (flags.all && kindName) throw new RunctlError('Usage', 'give either a KIND (runctl export services) or --all, not both', { source: 'user' });
  if (!flags.all && !kindName) throw new RunctlError('Usage', 'name a kind (runctl export services [NAME...]) or pass --all', { source: 'user' });
  const kinds = kindName ? [findKind(kindName).kind] : undefined;
  const format = flags.output === 'json' ? 'json' : 'yaml';
  const set = flags.set ?? 'default';
  // --region narrows where to look; it is not a default written into the manifests.
  return withSession({ ...flags, region: undefined }, io, async (o) => {
    const exported = await exportResources(o, { kinds, names, region: flags.region, references: flags.references });
    if (format === 'json') {
      // JSON has no comments: what is left out goes to stderr.
      for (const e of exported) if (e.unexpressed.length || e.differs?.length) io.stderr.write(comment(headerLines(e, set)));
    }
    if (flags.out) {
      fs.mkdirSync(flags.out, { recursive: true });
      for (const e of exported) {
        const file = path.join(flags.out, exportFileName(e, format));
        fs.writeFileSync(file, format === 'json' ? JSON.stringify(e.manifest, null, 2) + '\n' : yamlDoc(e, set));
        io.stderr.write(`wrote ${file}\n`);
      }
    } else if (format === 'json') {
      io.stdout.write(JSON.stringify(exported.map((e) => e.manifest), null, 2) + '\n');
    } else {
      io.stdout.write(exported.map((e) => yamlDoc(e, set)).join('---\n'));
    }
    const adopt = exported.filter((e) => e.adoption.action === 'label' || e.adoption.action === 'take-over');
    if (adopt.length) io.stderr.write(`${adopt.length} of ${exported.length} resources are not managed by runctl set "${set}": apply --adopt labels them (${adopt.map((e) => e.key).join(', ')})\n`);
    // Names given: only those were asked for, and they were found.
    const skipped = names.length ? [] : await unexportable(o, { kinds, region: flags.region });
    for (const line of skipped) io.stderr.write(`not exported: ${line}\n`);
    if (!exported.length) io.stderr.write(`No ${kinds?.[0] ?? ''}${kinds ? ' ' : ''}resources found.\n`);
    return 0;
  });
}
