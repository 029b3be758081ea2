/**
 * Saved plans (`plan --out FILE`, `apply FILE`): what makes a saved plan run exactly what
 * the reviewer saw.
 *
 * - Every entry carries the resolved manifest and the desired state its changes were
 *   computed from (`PlanEntry.manifest`, `.desired`); `apply FILE` executes those, never
 *   the manifests re-read or re-resolved. The one exception is a value shown as
 *   `(known after apply)`: it is resolved, while the plan runs, from what this same plan
 *   created (`PendingField`).
 * - The file is sealed with a SHA-256 digest over a canonical JSON of everything else in
 *   it, plus one digest per part (target, set, each entry), so a refusal can name what
 *   was edited (the target, the set, which resource was added, removed or changed).
 * - The target's full identity (mode, endpoint, project and region flags, the projects)
 *   is recorded and compared before anything is read.
 *
 * The digest detects edits and corruption; it is not a signature (anyone who can write
 * the file can recompute it). The guarantees that hold even against a forged file are
 * the engine's own: every write sends the etag the plan recorded, and every delete
 * re-reads ownership right before deleting (see `delete-guard.ts`).
 */
import { createHash } from 'node:crypto';
import type { TargetInfo } from './controller';
import { PLAN_FORMAT, type PendingField, type Plan, type PlanEntry, type PlanTarget } from './plan';
import { resolveReferences, tokenize, type Reference } from '../validate/references';
import { RunctlError, type FieldPath, type Manifest } from './types';

/** Per-part digests of a saved plan, so a refusal can say what was edited. */
export interface PartDigests {
  target: string;
  set: string;
  /** By entry key (`Kind/name`). */
  entries: Record<string, string>;
}

/** A plan as saved to a file. */
export interface SavedPlan extends Plan {
  /** The plan's first line as printed when it was made. */
  header: string;
  digests: PartDigests;
  /** `sha256:<hex>` over the canonical JSON of every other field. */
  digest: string;
}

/**
 * JSON with object keys sorted at every level and `undefined` dropped: the same value
 * always gives the same text, whatever order its keys were written in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** `sha256:<hex>` of a value's canonical JSON. */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

/** The target identity a plan records. */
export function planTarget(info: TargetInfo, projects: string[]): PlanTarget {
  return {
    mode: info.mode,
    description: info.description,
    endpoint: info.endpoint ?? info.description,
    project: info.project,
    region: info.region,
    projects: [...new Set(projects)].sort(),
  };
}

function partDigests(plan: Plan): PartDigests {
  const entries: Record<string, string> = {};
  for (const e of plan.entries) entries[e.key] = digestOf(e);
  return { target: digestOf(plan.target), set: digestOf(plan.set), entries };
}

/** Seal a plan for saving: the JSON-normalised plan, its header, part digests and digest. */
export function sealPlan(plan: Plan, header: string): SavedPlan {
  // Normalise through JSON first, exactly as the file will be read back.
  const body = JSON.parse(JSON.stringify({ ...plan, header })) as Plan & { header: string };
  const unsealed = { ...body, digests: partDigests(body) };
  return { ...unsealed, digest: digestOf(unsealed) };
}

function edited(file: string, what: string): RunctlError {
  return new RunctlError(
    'PlanEdited',
    `the saved plan ${file} was edited or is corrupted (${what}); it is refused and nothing was changed. Run "runctl plan --out ${file}" again and review the new plan`,
    { source: 'user' },
  );
}

/** What differs between a saved plan and its part digests, as precisely as they allow. */
function whatChanged(plan: Plan, parts: PartDigests | undefined): string {
  if (!parts || typeof parts !== 'object' || !parts.entries || typeof parts.entries !== 'object') return 'its digests are missing or malformed';
  if (digestOf(plan.target) !== parts.target) return 'the target was changed';
  if (digestOf(plan.set) !== parts.set) return 'the set was changed';
  const entries = Array.isArray(plan.entries) ? plan.entries : [];
  const seen = new Set<string>();
  for (const e of entries) {
    const key = String(e?.key);
    if (seen.has(key)) return `an entry for ${key} appears twice`;
    seen.add(key);
    if (!(key in parts.entries)) return `an entry for ${key} was added`;
    if (digestOf(e) !== parts.entries[key]) return `the entry for ${key} was changed`;
  }
  for (const key of Object.keys(parts.entries)) if (!seen.has(key)) return `the entry for ${key} was removed`;
  return 'its digest does not match its content';
}

/**
 * Check a saved plan file's format and digest. Returns the plan; refuses (`PlanEdited`)
 * every edit, naming the first differing part it can.
 */
export function verifySavedPlan(raw: unknown, file: string): SavedPlan {
  const saved = raw as Partial<SavedPlan> | undefined;
  if (!saved || typeof saved !== 'object' || Array.isArray(saved)) throw edited(file, 'it is not a JSON object');
  if ((saved.format as string) === 'runctl.plan/v1') {
    throw new RunctlError('StalePlan', `${file} was saved by an older runctl (format runctl.plan/v1, which does not record what it executes); run "runctl plan --out ${file}" again`, { source: 'user' });
  }
  if (saved.format !== PLAN_FORMAT) throw new RunctlError('Usage', `${file} is not a runctl plan (format ${String(saved.format)})`, { source: 'user' });
  const { digest, ...rest } = saved;
  if (typeof digest !== 'string' || digestOf(rest) !== digest) throw edited(file, whatChanged(saved as Plan, saved.digests));
  return saved as SavedPlan;
}

function describeTarget(t: { description: string; endpoint?: string; project?: string; region?: string }): string {
  const parts = [t.endpoint && t.endpoint !== t.description ? t.endpoint : undefined, t.project && `project ${t.project}`, t.region && `region ${t.region}`].filter(Boolean);
  return `${t.description}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Refuse (`WrongTarget`) a saved plan made against another target than this run's. */
export function checkTarget(plan: Plan, info: TargetInfo, file: string): void {
  const t = plan.target;
  const differs: string[] = [];
  if (t.mode !== info.mode) differs.push('target kind');
  if (t.endpoint !== (info.endpoint ?? info.description)) differs.push('endpoint');
  if ((t.project ?? '') !== (info.project ?? '')) differs.push('project');
  if ((t.region ?? '') !== (info.region ?? '')) differs.push('region');
  if (!differs.length) return;
  throw new RunctlError(
    'WrongTarget',
    `the saved plan ${file} was made for ${describeTarget(t)}, but this run targets ${describeTarget(info)} (different ${differs.join(', ')}); it is refused and nothing was changed`,
    { source: 'user' },
  );
}

/** The value at a field path (array indexes included). */
function valueAt(root: unknown, field: FieldPath): unknown {
  let cur: unknown = root;
  for (const seg of field) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Replace the value at an existing field path. */
function setAt(root: unknown, field: FieldPath, value: unknown): void {
  const parent = valueAt(root, field.slice(0, -1));
  if (parent && typeof parent === 'object') (parent as Record<string | number, unknown>)[field[field.length - 1]] = value;
}

/**
 * The fields of `m` whose references were unknown when planned: their text as written
 * and the values of their other references then.
 */
export function pendingFields(m: Manifest, unknown: Reference[], lookup: (ref: { kind: string; name: string; path: string }) => unknown): PendingField[] {
  const out: PendingField[] = [];
  const seen = new Set<string>();
  for (const r of unknown) {
    const id = JSON.stringify(r.field);
    if (seen.has(id)) continue;
    seen.add(id);
    const template = valueAt(m, r.field);
    if (typeof template !== 'string') continue;
    const known: Record<string, unknown> = {};
    for (const t of tokenize(template)) {
      if (t.type !== 'ref') continue;
      const v = lookup(t);
      if (v !== undefined) known[t.expr] = v;
    }
    out.push({ field: r.field, template, known });
  }
  return out;
}

/**
 * Fill a saved entry's pending fields: each reference from the values recorded when
 * planned, else from `created` (status of what this plan created or changed). Returns
 * the manifest and the references still unknown.
 */
export function resolvePending(
  entry: PlanEntry,
  created: (ref: { kind: string; name: string; path: string }) => unknown,
): { manifest: Manifest; missing: string[] } {
  const manifest = JSON.parse(JSON.stringify(entry.manifest)) as Manifest;
  const missing: string[] = [];
  for (const p of entry.pending ?? []) {
    const { value, unknown } = resolveReferences(p.template, (ref) => {
      const expr = tokenize(p.template).find((t) => t.type === 'ref' && t.kind === ref.kind && t.name === ref.name && t.path === ref.path);
      const recorded = expr?.type === 'ref' ? p.known[expr.expr] : undefined;
      return recorded !== undefined ? recorded : created(ref);
    });
    missing.push(...unknown.map((u) => u.expr ?? `${u.kind}/${u.name}.${u.path}`));
    setAt(manifest, p.field, value);
  }
  return { manifest, missing };
}
