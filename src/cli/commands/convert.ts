/**
 * `convert -f KNATIVE.yaml`: runctl manifests on stdout (or one file per resource under
 * `--out DIR`), and on stderr every field that was not carried, as file:line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convertFiles, findingLine } from '../../lib/actions/convert';
import type { Io } from '../../lib/io';

export interface ConvertFlags {
  filename: string[];
  output?: string;
  out?: string;
}

export async function convertCommand(flags: ConvertFlags, io: Io): Promise<number> {
  const { manifests, findings } = convertFiles(flags.filename, io.cwd);
  const notCarried = findings.filter((f) => f.severity === 'not-carried');
  const ignored = findings.filter((f) => f.severity === 'ignored');
  const YAML = require('yaml') as typeof import('yaml');
  const header = [
    ...(notCarried.length ? ['Not carried (runctl has no field for these; the live service keeps them only if set outside runctl):', ...notCarried.map((f) => `  ${findingLine(f)}`)] : []),
    ...(ignored.length ? ['Ignored (client or server bookkeeping, output-only):', ...ignored.map((f) => `  ${findingLine(f)}`)] : []),
  ]
    .map((l) => `# ${l}\n`)
    .join('');
  const text = (m: object) => (flags.output === 'json' ? JSON.stringify(m, null, 2) + '\n' : YAML.stringify(m, { lineWidth: 0 }));
  if (flags.out) {
    fs.mkdirSync(flags.out, { recursive: true });
    for (const m of manifests) {
      const file = path.join(flags.out, `${m.kind.toLowerCase()}-${m.metadata.name}.${flags.output === 'json' ? 'json' : 'yaml'}`);
      fs.writeFileSync(file, (flags.output === 'json' ? '' : header) + text(m));
      io.stderr.write(`wrote ${file}\n`);
    }
  } else if (flags.output === 'json') io.stdout.write(JSON.stringify(manifests, null, 2) + '\n');
  else io.stdout.write(header + manifests.map((m) => YAML.stringify(m, { lineWidth: 0 })).join('---\n'));
  for (const f of notCarried) io.stderr.write(`warning: ${findingLine(f)} [NotConverted]\n`);
  if (ignored.length) io.stderr.write(`${ignored.length} bookkeeping or output-only field(s) ignored (listed at the top of the output)\n`);
  io.stderr.write(`converted ${manifests.length} manifest(s)${notCarried.length ? `; ${notCarried.length} field(s) not carried` : ''}\n`);
  return 0;
}
