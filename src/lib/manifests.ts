/**
 * Loading a manifest set with all its diagnostics: every problem of every file is
 * collected and reported together, once. Used by every verb that reads `-f` and by the
 * loops (`watch` reads files, `sync` a Git tree) alike.
 */
import type { Diagnostic, Manifest } from '../util/types';
import { RunctlError } from '../util/types';
import { loadManifests, type LoadResult } from '../load/loader';
import type { LocationFlags } from '../validate/locations';
import { validateManifests } from '../validate/validate';
import { withLocalPaths } from '../validate/local-paths';
import type { Io } from './io';
import { extraChecks } from './registry';

/** A loaded set: usable only when `diagnostics` is empty. */
export interface LoadedSet {
  manifests: Manifest[];
  diagnostics: Diagnostic[];
}

/** What a verb checks beyond the manifests themselves. */
export interface LoadOptions {
  /** Explicit `--project` / `--region`: a value contradicting a manifest is refused. */
  flags?: LocationFlags;
  /** `delete -f`: only identities matter; references outside the files are not resolved. */
  identitiesOnly?: boolean;
  /**
   * `diff`/`apply`: standard input (`-f -`) that holds no manifest at all is an error
   * (an upstream command that printed nothing), unless `--allow-empty`.
   */
  refuseEmptyStdin?: boolean;
  /** Directory that paths in manifests read from standard input are relative to. @default process.cwd() */
  cwd?: string;
}

/**
 * Validate what the loader produced: the same checks for `apply`, `watch` and `sync`,
 * with every diagnostic collected.
 */
export function checkLoaded(loaded: LoadResult, opts: Pick<LoadOptions, 'flags' | 'identitiesOnly' | 'cwd'> = {}): LoadedSet {
  const diagnostics = [...loaded.diagnostics];
  // Schema checks on the documents that parsed; a file that did not parse adds no noise.
  if (!loaded.diagnostics.some((d) => d.code === 'YamlSyntax') || loaded.resources.length) {
    diagnostics.push(...validateManifests(loaded.resources, { extraChecks: extraChecks(), locationFlags: opts.flags, identitiesOnly: opts.identitiesOnly }));
  }
  // Local file paths (a Secret's value.fromFile) are relative to their manifest's file.
  const cwd = opts.cwd ?? process.cwd();
  return { manifests: loaded.resources.map((r) => (diagnostics.length ? r.manifest : withLocalPaths(r, cwd))), diagnostics };
}

/** Read `-f` paths (files, directories, `-` for stdin) and validate them; diagnostics are returned, not thrown. */
export async function loadAndValidate(paths: string[], io: Io, opts: LoadOptions = {}): Promise<LoadedSet> {
  if (!paths.length) throw new RunctlError('Usage', 'no manifests given: use -f PATH (a file, a directory, or - for stdin)', { source: 'user' });
  const loaded = await loadManifests(paths, { stdin: io.stdin, cwd: io.cwd });
  // A path that is missing or cannot be read is a mistake on the command line, not a
  // problem in a manifest: one error, with one code, as kubectl reports a bad -f.
  const unreadable = loaded.diagnostics.filter((d) => d.code === 'Usage');
  if (unreadable.length) throw new RunctlError('Usage', unreadable.map((d) => d.message).join('; '), { source: 'user' });
  if (opts.refuseEmptyStdin && loaded.emptyStdin) {
    throw new RunctlError('NoManifests', 'standard input (-f -) held no manifests; if an empty set is meant, pass --allow-empty', { source: 'user' });
  }
  return checkLoaded(loaded, { cwd: io.cwd, ...opts });
}

/** Load, validate, and throw one error carrying all diagnostics when any. */
export async function loadValid(paths: string[], io: Io, opts: LoadOptions = {}): Promise<Manifest[]> {
  const set = await loadAndValidate(paths, io, opts);
  if (set.diagnostics.length) {
    const n = set.diagnostics.length;
    if (set.diagnostics.every((d) => d.code === 'Usage')) {
      throw new RunctlError('Usage', `${n === 1 ? 'a flag contradicts' : `flags contradict ${n} values in`} the manifests; nothing was changed`, { source: 'user', diagnostics: set.diagnostics });
    }
    throw new RunctlError('SchemaViolation', `${n} problem${n === 1 ? '' : 's'} in the manifests; nothing was changed`, { source: 'user', diagnostics: set.diagnostics });
  }
  return set.manifests;
}
