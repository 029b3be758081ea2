/**
 * Local file paths in manifests (fields a schema marks `"x-runctl-path":
 * "relative-to-manifest"`, e.g. a Secret's `value.fromFile`) are relative to the file
 * the manifest was read from, as kustomize and Helm resolve theirs: `apply -f
 * manifests/` from any directory reads the same file. They are made absolute once, when
 * the set is loaded, so every later step (plans saved and applied elsewhere, watch,
 * sync) reads the same file without knowing where the manifest was.
 */
import * as path from 'node:path';
import type { LoadedManifest, Manifest } from '../util/types';
import { matchPattern } from './references';
import { schemaRegistry } from './schemas';

/** The manifest with every marked path absolute (relative to its file; standard input: to `cwd`). */
export function withLocalPaths(lm: LoadedManifest, cwd: string): Manifest {
  const m = lm.manifest;
  const patterns = schemaRegistry().kinds.get(m?.kind)?.localPaths ?? [];
  if (!patterns.length) return m;
  const base = lm.file === '-' ? cwd : path.dirname(path.resolve(cwd, lm.file));
  const copy = JSON.parse(JSON.stringify(m)) as Manifest;
  for (const pattern of patterns) {
    for (const { value, field } of matchPattern(copy, pattern)) {
      if (typeof value !== 'string' || !value || value.includes('${') || path.isAbsolute(value)) continue;
      let parent: any = copy;
      for (const seg of field.slice(0, -1)) parent = parent[seg];
      parent[field[field.length - 1]] = path.resolve(base, value);
    }
  }
  return copy;
}
