/**
 * Turns ajv errors into problems a person understands: "must be ≤ 1000 (got 5000)",
 * "unknown field 'imagee' (did you mean 'image'?)", "missing required field 'image'".
 *
 * ajv reports every failed branch of an `anyOf`/`oneOf`, which buries the real mistake.
 * We re-run each branch on its own (see `SchemaRegistry.subValidator`), drop the errors
 * of all branches, and report either the branch the value was evidently meant for (its
 * type matched) or one line from the schema's `x-runctl-message`.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ErrorCode, FieldPath } from '../util/types';
import { parseDuration } from '../util/duration';
import { pointerToPath } from './paths';
import { didYouMean } from './suggest';

/** One translated problem; `path` is where it is, `at` which token to point at. */
export interface SchemaProblem {
  code: ErrorCode;
  message: string;
  path: FieldPath;
  /** `key`: point at the field name (unknown fields); `value`: at the value. */
  at: 'key' | 'value';
}

type Err = ErrorObject & { parentSchema?: any; schema?: any; data?: unknown };

export interface TranslateContext {
  root: unknown;
  subValidator(node: object): ValidateFunction | undefined;
  /**
   * `x-runctl-message` of composites by instancePath: a pattern error inside the chosen
   * branch of `Cpu`'s anyOf reads better with the composite's hint than with a regex.
   */
  hints?: Map<string, string>;
}

const COMPOSITES = new Set(['anyOf', 'oneOf', 'if']);

/** Translate a validator's errors (ajv `verbose: true`, `allErrors: true`). */
export function translateErrors(errors: Err[], ctx: TranslateContext): SchemaProblem[] {
  const pending = [...errors];
  const out: SchemaProblem[] = [];
  // Outermost composites first: shallower paths, and later in the list at equal depth.
  const composites = errors
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => COMPOSITES.has(e.keyword))
    .sort((a, b) => depth(a.e) - depth(b.e) || b.i - a.i);
  for (const { e } of composites) {
    if (!pending.includes(e)) continue; // consumed by an outer composite
    const branches = rerunBranches(e, ctx);
    for (const b of branches) for (const be of b.errors) removeMatch(pending, be);
    pending.splice(pending.indexOf(e), 1);
    out.push(...collapse(e, branches, ctx));
  }
  for (const e of pending) {
    const p = translateOne(e, ctx);
    if (p) out.push(p);
  }
  return collapseUnknownFields(dedupe(out));
}

/** More unknown fields than this in one mapping are one problem (the mapping is wrong as a whole). */
export const MAX_UNKNOWN_FIELDS_LISTED = 3;

/**
 * A mapping with many unknown fields is one mistake (a value pasted in the wrong place,
 * a list of bytes where a mapping was meant), reported once at the mapping instead of
 * once per key.
 */
function collapseUnknownFields(list: SchemaProblem[]): SchemaProblem[] {
  const groups = new Map<string, SchemaProblem[]>();
  for (const p of list) {
    if (p.code !== 'UnknownField') continue;
    const parent = JSON.stringify(p.path.slice(0, -1));
    groups.set(parent, [...(groups.get(parent) ?? []), p]);
  }
  const out: SchemaProblem[] = [];
  const done = new Set<string>();
  for (const p of list) {
    const parent = JSON.stringify(p.path.slice(0, -1));
    const group = p.code === 'UnknownField' ? groups.get(parent)! : undefined;
    if (!group || group.length <= MAX_UNKNOWN_FIELDS_LISTED) {
      out.push(p);
      continue;
    }
    if (done.has(parent)) continue;
    done.add(parent);
    const names = group.map((g) => `'${String(g.path[g.path.length - 1])}'`);
    const shown = names.slice(0, MAX_UNKNOWN_FIELDS_LISTED).join(', ');
    out.push({ code: 'UnknownField', message: `${group.length} unknown fields (${shown}, ...): is this value in the right place?`, path: p.path.slice(0, -1), at: 'value' });
  }
  return out;
}

const depth = (e: Err): number => (e.instancePath ? e.instancePath.split('/').length : 0);

interface Branch {
  schema: any;
  errors: Err[];
}

/** Validate the composite's data against each branch (then/else for `if`) on its own. */
function rerunBranches(e: Err, ctx: TranslateContext): Branch[] {
  const schemas: any[] =
    e.keyword === 'if'
      ? [e.parentSchema?.[(e.params as any).failingKeyword]].filter(Boolean)
      : Array.isArray(e.schema)
        ? e.schema
        : [];
  return schemas.map((schema) => {
    const v = schema && typeof schema === 'object' ? ctx.subValidator(schema) : undefined;
    if (!v || v(e.data)) return { schema, errors: [] };
    const errors = (v.errors ?? []).map((be) => ({ ...be, instancePath: e.instancePath + be.instancePath }) as Err);
    return { schema, errors };
  });
}

function sameError(a: Err, b: Err): boolean {
  return (
    a.instancePath === b.instancePath &&
    a.keyword === b.keyword &&
    a.parentSchema === b.parentSchema &&
    JSON.stringify(a.params) === JSON.stringify(b.params)
  );
}

function removeMatch(list: Err[], e: Err): void {
  const i = list.findIndex((x) => sameError(x, e));
  if (i >= 0) list.splice(i, 1);
}

const presenceOnly = (s: any): boolean => !!s && typeof s === 'object' && Object.keys(s).every((k) => k === 'required');

/** The problems to report for one failed composite. */
function collapse(e: Err, branches: Branch[], ctx: TranslateContext): SchemaProblem[] {
  const hint: string | undefined = e.parentSchema?.['x-runctl-message'];
  const path = pointerToPath(e.instancePath, ctx.root);
  const single = (message: string): SchemaProblem[] => [{ code: 'SchemaViolation', message, path, at: 'value' }];
  if (e.keyword === 'if') {
    if (hint) return single(hint);
    return branches.flatMap((b) => translateErrors(b.errors, ctx));
  }
  if (branches.length === 0 || branches.every((b) => presenceOnly(b.schema))) {
    return single(hint ?? `must match exactly one of the allowed forms`);
  }
  const mismatched = (b: Branch): boolean =>
    b.errors.some((be) => be.instancePath === e.instancePath && ['type', 'const', 'enum'].includes(be.keyword));
  const candidates = branches.filter((b) => b.errors.length > 0 && !mismatched(b));
  if (candidates.length === 0) {
    if (e.keyword === 'oneOf' && branches.some((b) => b.errors.length === 0)) {
      return single(hint ?? 'matches more than one of the allowed forms');
    }
    return single(`${hint ?? 'does not match any allowed form'} (got ${got(e.data)})`);
  }
  const best = candidates.reduce((a, b) => (b.errors.length < a.errors.length ? b : a));
  const hints = new Map(ctx.hints ?? []);
  if (hint && !hints.has(e.instancePath)) hints.set(e.instancePath, hint);
  return translateErrors(best.errors, { ...ctx, hints });
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

/** Describe a value for "(got ...)". */
export function got(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function translateOne(e: Err, ctx: TranslateContext): SchemaProblem | undefined {
  const path = pointerToPath(e.instancePath, ctx.root);
  const p = e.params as Record<string, any>;
  const hint: string | undefined = e.parentSchema?.['x-runctl-message'] ?? ctx.hints?.get(e.instancePath);
  const v = (message: string): SchemaProblem => ({ code: 'SchemaViolation', message, path, at: 'value' });
  if (e.propertyName !== undefined) return undefined; // reported by its `propertyNames` error
  switch (e.keyword) {
    case 'required':
      return { code: 'SchemaViolation', message: `missing required field '${p.missingProperty}'`, path: [...path, p.missingProperty], at: 'value' };
    case 'additionalProperties': {
      const known = Object.keys(e.parentSchema?.properties ?? {});
      const name = String(p.additionalProperty);
      // A field another kind has (the schema names it): say where it belongs instead of guessing a typo.
      const elsewhere: string | undefined = e.parentSchema?.['x-runctl-unknown-fields']?.[name];
      const why = elsewhere ? `: ${elsewhere}` : didYouMean(name, known);
      return { code: 'UnknownField', message: `unknown field '${name}'${why}`, path: [...path, name], at: 'key' };
    }
    case 'propertyNames': {
      const why = e.schema?.['x-runctl-message'] ?? 'is not an allowed name';
      return { code: 'SchemaViolation', message: `invalid key '${p.propertyName}': ${why}`, path: [...path, p.propertyName], at: 'key' };
    }
    case 'type': {
      const want = String(p.type).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      return v(`must be ${want} (got ${got(e.data)})`);
    }
    case 'const':
      return v(`must be ${JSON.stringify(p.allowedValue)} (got ${got(e.data)})`);
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const typo = typeof e.data === 'string' ? didYouMean(e.data, allowed) : '';
      return v(`must be one of ${allowed.join(', ')} (got ${got(e.data)})${typo}`);
    }
    case 'pattern':
    case 'format':
      return v(`${hint ?? (e.keyword === 'format' ? `must be a valid ${p.format}` : `must match ${p.pattern}`)} (got ${got(e.data)})`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return v(`must be ${p.comparison.replace('>=', '≥').replace('<=', '≤')} ${p.limit} (got ${got(e.data)})`);
    case 'minLength':
      return v(`must be at least ${p.limit} character${p.limit === 1 ? '' : 's'} long (got ${String(e.data).length})`);
    case 'maxLength':
      return v(`must be at most ${p.limit} characters long (got ${String(e.data).length})`);
    case 'minItems':
      return v(`must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`);
    case 'maxItems':
      return v(`must have at most ${p.limit} item${p.limit === 1 ? '' : 's'} (got ${(e.data as unknown[]).length})`);
    case 'maxProperties':
      return v(`must have at most ${p.limit} entries`);
    case 'uniqueItems':
      return v(`must not repeat items (items ${p.j} and ${p.i} are the same)`);
    case 'x-runctl-duration':
      return v(durationMessage(e.schema, e.data));
    default:
      return v(`${e.message ?? 'is invalid'} (got ${got(e.data)})`);
  }
}

function durationMessage(bounds: { minimum?: string; maximum?: string }, data: unknown): string {
  const secs = parseDuration(String(data)) ?? 0;
  const max = bounds.maximum !== undefined ? parseDuration(bounds.maximum) : undefined;
  if (max !== undefined && secs > max) return `must be at most ${bounds.maximum} (got ${data})`;
  return `must be at least ${bounds.minimum ?? '0s'} (got ${data})`;
}

function dedupe(list: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const key = JSON.stringify([p.path, p.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
