/**
 * Validation of a loaded manifest set, shared by `watch` (files) and `sync` (a Git
 * tree): the same checks as `apply`, with every diagnostic collected.
 */
import { extraChecks } from '../cli/manifests';
import type { Diagnostic, Manifest } from '../engine/types';
import type { LoadResult } from '../load/loader';
import type { LocationFlags } from '../validate/locations';
import { validateManifests } from '../validate/validate';

export interface CheckedSet {
  manifests: Manifest[];
  diagnostics: Diagnostic[];
}

/** Validate what the loader produced; the set is usable only when `diagnostics` is empty. */
export function checkLoaded(loaded: LoadResult, flags?: LocationFlags): CheckedSet {
  const diagnostics = [...loaded.diagnostics];
  // Schema checks on the documents that parsed; a file that did not parse adds no noise.
  if (!loaded.diagnostics.some((d) => d.code === 'YamlSyntax') || loaded.resources.length) {
    diagnostics.push(...validateManifests(loaded.resources, { extraChecks: extraChecks(), locationFlags: flags }));
  }
  return { manifests: loaded.resources.map((r) => r.manifest), diagnostics };
}
