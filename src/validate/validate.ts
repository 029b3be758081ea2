/**
 * Validation of a manifest set without any API call: schemas, duplicates, references,
 * cycles, and the controllers' own checks. All problems are collected, each with a
 * stable code, `file:line:column`, the resource and the field path.
 */
import { buildGraph, edgeKey, findCycles } from './graph';
import { scanReferences } from './references';
import { keyOf, type Diagnostic, type FieldPath, type LoadedManifest, type Manifest, type SourcePos } from '../util/types';
import { keyPositionOf } from '../load/positions';
import { checkLocationFlags, type LocationFlags } from './locations';
import { formatPath, parsePath } from './paths';
import { translateErrors } from './schema-errors';
import { knownKinds, schemaFor, schemaRegistry, type SchemaRegistry } from './schemas';
import { didYouMean, suggest } from './suggest';

export { knownKinds, schemaFor };

/** A controller's extra check for its kind (`Controller.validate`). */
export type ExtraCheck = (m: Manifest, all: Manifest[]) => Diagnostic[];

export interface ValidateOptions {
  /** Checks beyond the schemas, keyed by kind; their diagnostics get `pos` and `resource` filled in. */
  extraChecks?: Map<string, ExtraCheck>;
  /** Where the schemas are. @default `<package root>/schemas` */
  schemaDir?: string;
  /** The command's explicit `--project` / `--region`: values contradicting a manifest are `Usage` problems. */
  locationFlags?: LocationFlags;
  /**
   * Check only what identifies resources (`delete -f`): references to resources outside
   * the given files are not resolved, so they are no DanglingReference. @default false
   */
  identitiesOnly?: boolean;
}

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The resource key of a manifest, when it has a kind and a name. */
function resourceOf(m: unknown): string | undefined {
  if (!isObject(m) || typeof m.kind !== 'string' || !isObject(m.metadata) || typeof m.metadata.name !== 'string') return undefined;
  return keyOf(m as Manifest);
}

/** Validate a manifest set; an empty result means it is valid. */
export function validateManifests(loaded: LoadedManifest[], opts: ValidateOptions = {}): Diagnostic[] {
  const reg = schemaRegistry(opts.schemaDir);
  const diags: Diagnostic[] = [];
  const schemaValid: LoadedManifest[] = [];
  for (const lm of loaded) {
    const found = checkDocument(reg, lm);
    diags.push(...found);
    if (found.length === 0) schemaValid.push(lm);
  }
  diags.push(...checkDuplicates(loaded));
  if (!opts.identitiesOnly) diags.push(...checkReferences(loaded, opts.schemaDir));
  diags.push(...checkCycles(loaded, opts.schemaDir));
  diags.push(...checkLocationFlags(loaded, opts.locationFlags));
  if (opts.extraChecks) diags.push(...runExtraChecks(schemaValid, loaded, opts.extraChecks));
  return sortDiagnostics(diags, loaded);
}

function diag(lm: LoadedManifest, code: Diagnostic['code'], message: string, path: FieldPath, pos?: SourcePos): Diagnostic {
  const d: Diagnostic = { code, message, pos: pos ?? lm.positionOf(path), resource: resourceOf(lm.manifest) };
  if (path.length) d.path = formatPath(path);
  if (!d.resource) delete d.resource;
  return d;
}

/** Kind and schema checks of one document. */
function checkDocument(reg: SchemaRegistry, lm: LoadedManifest): Diagnostic[] {
  const m = lm.manifest as unknown;
  if (!isObject(m)) return [diag(lm, 'SchemaViolation', 'a manifest must be a mapping', [], lm.pos)];
  if (m.kind === undefined) return [diag(lm, 'SchemaViolation', "missing required field 'kind'", ['kind'], lm.pos)];
  const kinds = [...reg.kinds.keys()].sort();
  const schema = typeof m.kind === 'string' ? reg.kinds.get(m.kind) : undefined;
  if (!schema) {
    const text = typeof m.kind === 'string' ? `'${m.kind}'` : JSON.stringify(m.kind);
    const hint = typeof m.kind === 'string' ? didYouMean(m.kind, kinds) : '';
    return [diag(lm, 'UnknownKind', `unknown kind ${text}${hint}; known kinds: ${kinds.join(', ')}`, ['kind'])];
  }
  if (schema.validate(m)) return [];
  const problems = translateErrors(schema.validate.errors ?? [], { root: m, subValidator: reg.subValidator });
  return problems.map((p) =>
    diag(lm, p.code, p.message, p.path, p.at === 'key' ? keyPositionOf(lm, p.path) : lm.positionOf(p.path)),
  );
}

/** The same Kind/name twice: one diagnostic at each place, naming the other. */
function checkDuplicates(loaded: LoadedManifest[]): Diagnostic[] {
  const byKey = new Map<string, LoadedManifest[]>();
  for (const lm of loaded) {
    const key = resourceOf(lm.manifest);
    if (key) byKey.set(key, [...(byKey.get(key) ?? []), lm]);
  }
  const out: Diagnostic[] = [];
  for (const [key, list] of byKey) {
    if (list.length < 2) continue;
    const where = list.map((lm) => lm.positionOf(['metadata', 'name']));
    list.forEach((lm, i) => {
      const others = where.filter((_, j) => j !== i).map((p) => `${p.file}:${p.line}:${p.col}`);
      out.push(diag(lm, 'DuplicateResource', `${key} is defined more than once (also at ${others.join(', ')})`, ['metadata', 'name'], where[i]));
    });
  }
  return out;
}

/** Malformed `${...}` (InvalidValue) and references to resources not in the set (DanglingReference). */
function checkReferences(loaded: LoadedManifest[], schemaDir?: string): Diagnostic[] {
  const keys = new Set(loaded.map((lm) => resourceOf(lm.manifest)).filter((k): k is string => !!k));
  const out: Diagnostic[] = [];
  for (const lm of loaded) {
    if (!isObject(lm.manifest)) continue;
    const { refs, errors } = scanReferences(lm.manifest, { schemaDir });
    for (const e of errors) out.push(diag(lm, 'InvalidValue', e.message, e.field));
    for (const r of refs) {
      const target = `${r.kind}/${r.name}`;
      if (keys.has(target) || r.optional) continue;
      const sameKind = [...keys].filter((k) => k.startsWith(`${r.kind}/`));
      const close = suggest(target, sameKind.length ? sameKind : keys);
      const hint = close ? ` (did you mean ${close}?)` : '';
      const what = r.expr ? `${r.expr}: ${target}` : target;
      out.push(diag(lm, 'DanglingReference', `${what} is not defined in these manifests${hint}`, r.field));
    }
  }
  return out;
}

/** One DependencyCycle per cycle, at the reference that leaves the cycle's first resource. */
function checkCycles(loaded: LoadedManifest[], schemaDir?: string): Diagnostic[] {
  const manifests = loaded.map((lm) => lm.manifest).filter(isObject) as Manifest[];
  const g = buildGraph(manifests, { schemaDir });
  const out: Diagnostic[] = [];
  for (const cycle of findCycles(g)) {
    const [first] = cycle;
    const lm = loaded.find((l) => resourceOf(l.manifest) === first)!;
    const ref = g.edges.get(edgeKey(first, cycle[1 % cycle.length]));
    const text = [...cycle, first].join(' → ');
    out.push(diag(lm, 'DependencyCycle', `dependency cycle: ${text}`, ref?.field ?? []));
  }
  return out;
}

function runExtraChecks(valid: LoadedManifest[], all: LoadedManifest[], checks: Map<string, ExtraCheck>): Diagnostic[] {
  const manifests = all.map((lm) => lm.manifest);
  const out: Diagnostic[] = [];
  for (const lm of valid) {
    const check = checks.get(lm.manifest.kind);
    if (!check) continue;
    let found: Diagnostic[];
    try {
      found = check(lm.manifest, manifests);
    } catch (err) {
      found = [{ code: 'Internal', message: `the ${lm.manifest.kind} check failed: ${(err as Error).message}` }];
    }
    for (const d of found) {
      out.push({ ...d, resource: d.resource ?? resourceOf(lm.manifest), pos: d.pos ?? lm.positionOf(d.path ? parsePath(d.path) : []) });
    }
  }
  return out;
}

/** File order (as loaded), then line and column; diagnostics without a position last. */
function sortDiagnostics(diags: Diagnostic[], loaded: LoadedManifest[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const lm of loaded) if (!fileOrder.has(lm.file)) fileOrder.set(lm.file, fileOrder.size);
  const rank = (d: Diagnostic): number[] =>
    d.pos ? [fileOrder.get(d.pos.file) ?? fileOrder.size, d.pos.line, d.pos.col] : [Infinity, 0, 0];
  return diags
    .map((d, i) => ({ d, i, r: rank(d) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map(({ d }) => d);
}
