/**
 * Load and validate manifests for a command; print every diagnostic of every file
 * together and fail once.
 */
import { CONTROLLERS } from '../../controllers/index';
import { loadManifests } from '../load/loader';
import type { LocationFlags } from '../validate/locations';
import { validateManifests } from '../validate/validate';
import { formatDiagnostic, RunctlError, type Diagnostic, type Manifest } from '../engine/types';
import { redact } from '../engine/redact';
import type { Io } from './io';

export interface LoadedSet {
  manifests: Manifest[];
  diagnostics: Diagnostic[];
}

/** Per-kind checks beyond the schemas, from the controllers. */
export function extraChecks(): Map<string, (m: Manifest, all: Manifest[]) => Diagnostic[]> {
  const checks = new Map<string, (m: Manifest, all: Manifest[]) => Diagnostic[]>();
  for (const c of CONTROLLERS) if (c.validate) checks.set(c.kind, c.validate.bind(c));
  return checks;
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
}

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
  const diagnostics = [...loaded.diagnostics];
  if (!loaded.diagnostics.some((d) => d.code === 'YamlSyntax') || loaded.resources.length) {
    diagnostics.push(...validateManifests(loaded.resources, { extraChecks: extraChecks(), locationFlags: opts.flags, identitiesOnly: opts.identitiesOnly }));
  }
  return { manifests: loaded.resources.map((r) => r.manifest), diagnostics };
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

export function printDiagnostics(ds: Diagnostic[], io: Io): void {
  for (const d of ds) io.stderr.write(`${redact(formatDiagnostic(d))}\n`);
}
