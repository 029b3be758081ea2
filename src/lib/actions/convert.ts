/**
 * `convert -f KNATIVE.yaml`: Cloud Run's Knative YAML (gcloud's export format) as runctl
 * manifests, with every field that could not be carried named by file:line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunctlError } from '../../engine/types';
import { convertKnative, type ConvertedManifest, type Finding } from '../knative';

export interface ConvertOutcome {
  manifests: ConvertedManifest[];
  findings: Finding[];
}

/** Files named by `-f` (a directory: its *.yaml / *.yml files), read and converted. */
export function convertFiles(paths: string[], cwd: string): ConvertOutcome {
  const out: ConvertOutcome = { manifests: [], findings: [] };
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    if (!fs.existsSync(abs)) throw new RunctlError('Usage', `${p}: no such file or directory`, { source: 'user' });
    const files = fs.statSync(abs).isDirectory()
      ? fs.readdirSync(abs).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(abs, f))
      : [abs];
    for (const f of files) {
      let converted;
      try {
        converted = convertKnative(fs.readFileSync(f, 'utf8'), path.relative(cwd, f) || f);
      } catch (e) {
        throw new RunctlError('YamlSyntax', e instanceof Error ? e.message : String(e), { source: 'user' });
      }
      out.manifests.push(...converted.manifests);
      out.findings.push(...converted.findings);
    }
  }
  return out;
}

/** A finding as one line: `file:line:col: path: message`. */
export function findingLine(f: Finding): string {
  return `${f.pos.file}:${f.pos.line}:${f.pos.col}: ${f.path}: ${f.message}`;
}
