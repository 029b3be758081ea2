/**
 * References between resources.
 *
 * Two forms (DESIGN.md):
 * - `${Kind/name.path}` inside any string value, e.g.
 *   `${GpuModel/ollama-gemma.status.url}/api/generate`. `$${` writes a literal `${`.
 * - plain-name fields (`service: jokes`) and `Kind/name` fields, found through the
 *   schemas' `x-runctl-reference` marks — the engine knows no kind's fields itself.
 */
import type { FieldPath, Manifest } from '../util/types';
import { schemaRegistry, type PatternSegment, type ReferenceField } from './schemas';

/** What a plan shows for a value that exists only once a dependency is applied. */
export const UNKNOWN = '(known after apply)';

export interface Reference {
  kind: string;
  name: string;
  /** The referenced field, e.g. `status.url` (only for `${...}` references). */
  path?: string;
  /** Where the reference is written in the referencing manifest. */
  field: FieldPath;
  /** The `${...}` text, for `${...}` references. */
  expr?: string;
  /**
   * The reference must name a resource in the set but does not order operations
   * (schema mark `dependency: false`, e.g. a Service's `rollout.slo`).
   */
  weak?: boolean;
  /** The resource may be outside the set (schema mark `optional: true`): no DanglingReference. */
  optional?: boolean;
  /** Schema mark `through`: a dotted path of the referenced manifest whose `Kind/name` value is a dependency. */
  through?: string;
}

/** A malformed `${...}` (or `Kind/name`) reference. */
export interface ReferenceSyntaxError {
  field: FieldPath;
  message: string;
}

/** The roots a `${...}` path may start with. */
export const REFERENCE_ROOTS = ['spec', 'status', 'metadata'];

const CONTENT = /^([A-Za-z][A-Za-z0-9]*)\/([A-Za-z0-9][A-Za-z0-9_-]*)(?:\.(.*))?$/;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

type Token =
  | { type: 'text'; text: string }
  | { type: 'ref'; expr: string; kind: string; name: string; path: string }
  | { type: 'error'; message: string };

/** Split a string into literal text and `${...}` references. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let buf = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      buf += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0) {
        out.push({ type: 'error', message: `unterminated reference '${text.slice(i)}': missing '}' (write $\${ for a literal '\${')` });
        buf += text.slice(i);
        break;
      }
      if (buf) out.push({ type: 'text', text: buf });
      buf = '';
      out.push(parseRef(text.slice(i, end + 1)));
      i = end + 1;
    } else {
      buf += text[i++];
    }
  }
  if (buf) out.push({ type: 'text', text: buf });
  return out;
}

function parseRef(expr: string): Token {
  const m = CONTENT.exec(expr.slice(2, -1).trim());
  if (!m) {
    return { type: 'error', message: `invalid reference '${expr}': expected \${Kind/name.path}, e.g. \${Service/jokes.status.url} (write $\${ for a literal '\${')` };
  }
  const [, kind, name, path] = m;
  if (path === undefined) {
    return { type: 'error', message: `reference '${expr}' names no field: write \${${kind}/${name}.status.FIELD} or .spec.FIELD` };
  }
  const segs = path.split('.');
  if (!segs.every((s) => SEGMENT.test(s))) {
    return { type: 'error', message: `invalid field path '${path}' in reference '${expr}'` };
  }
  if (!REFERENCE_ROOTS.includes(segs[0])) {
    return { type: 'error', message: `reference '${expr}' must point into spec., status. or metadata. (got '${segs[0]}')` };
  }
  return { type: 'ref', expr, kind, name, path };
}

/** Every reference in a manifest, and every malformed `${...}`. */
export function scanReferences(m: Manifest, opts: { schemaDir?: string } = {}): { refs: Reference[]; errors: ReferenceSyntaxError[] } {
  const refs: Reference[] = [];
  const errors: ReferenceSyntaxError[] = [];
  const visit = (value: unknown, field: FieldPath): void => {
    if (typeof value === 'string') {
      for (const t of tokenize(value)) {
        if (t.type === 'ref') refs.push({ kind: t.kind, name: t.name, path: t.path, field, expr: t.expr });
        else if (t.type === 'error') errors.push({ field, message: t.message });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...field, i]));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, [...field, k]);
    }
  };
  visit(m, []);
  const kind = typeof m?.kind === 'string' ? m.kind : undefined;
  const fields = kind ? schemaRegistry(opts.schemaDir).kinds.get(kind)?.references ?? [] : [];
  for (const f of fields) refs.push(...markedReferences(m, f));
  return { refs, errors };
}

/** The references of a manifest (both forms; malformed ones are left out). */
export function findReferences(m: Manifest, opts: { schemaDir?: string } = {}): Reference[] {
  return scanReferences(m, opts).refs;
}

/** Values at the places a schema marks as references. */
function markedReferences(m: Manifest, f: ReferenceField): Reference[] {
  const out: Reference[] = [];
  const weak = {
    ...(f.mark.dependency === false ? { weak: true } : {}),
    ...(f.mark.optional ? { optional: true } : {}),
    ...(f.mark.through ? { through: f.mark.through } : {}),
  };
  for (const { value, field } of matchPattern(m, f.pattern)) {
    if (typeof value !== 'string' || value.includes('${')) continue;
    if (f.mark.format === 'kind/name') {
      const slash = value.indexOf('/');
      const kind = value.slice(0, slash);
      if (slash > 0 && (!f.mark.kinds || f.mark.kinds.includes(kind))) {
        out.push({ kind, name: value.slice(slash + 1), field, ...weak });
      }
    } else if (f.mark.kind) {
      out.push({ kind: f.mark.kind, name: value, field, ...weak });
    }
  }
  return out;
}

/** The values (and their paths) at the places a field pattern matches. */
export function matchPattern(root: unknown, pattern: PatternSegment[]): Array<{ value: unknown; field: FieldPath }> {
  let level: Array<{ value: unknown; field: FieldPath }> = [{ value: root, field: [] }];
  for (const seg of pattern) {
    const next: typeof level = [];
    for (const { value, field } of level) {
      if (!value || typeof value !== 'object') continue;
      if (seg === null) {
        if (Array.isArray(value)) value.forEach((v, i) => next.push({ value: v, field: [...field, i] }));
        else for (const [k, v] of Object.entries(value)) next.push({ value: v, field: [...field, k] });
      } else if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, seg)) {
        next.push({ value: (value as Record<string, unknown>)[seg], field: [...field, seg] });
      }
    }
    level = next;
  }
  return level;
}

/**
 * A deep copy of `value` with every `${...}` replaced by what `lookup` returns. A string
 * that is one whole reference takes the looked-up value as is (a number stays a number);
 * embedded references are stringified. When `lookup` returns undefined the reference's
 * text becomes `(known after apply)` and the reference is listed in `unknown`.
 * Malformed `${...}` text is left as written (validation reports it).
 */
export function resolveReferences<T>(
  value: T,
  lookup: (ref: { kind: string; name: string; path: string }) => unknown,
): { value: T; unknown: Reference[] } {
  const unknown: Reference[] = [];
  const walk = (v: unknown, field: FieldPath): unknown => {
    if (typeof v === 'string') return resolveString(v, field, lookup, unknown);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...field, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // defineProperty, not assignment: a key named `__proto__` (YAML allows it) must stay
      // an own property instead of replacing the copy's prototype.
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: walk(x, [...field, k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return { value: walk(value, []) as T, unknown };
}

function resolveString(
  text: string,
  field: FieldPath,
  lookup: (ref: { kind: string; name: string; path: string }) => unknown,
  unknown: Reference[],
): unknown {
  if (!text.includes('${')) return text;
  const tokens = tokenize(text);
  if (tokens.some((t) => t.type === 'error')) return text;
  const values = tokens.map((t) => {
    if (t.type !== 'ref') return t.type === 'text' ? t.text : '';
    const got = lookup({ kind: t.kind, name: t.name, path: t.path });
    if (got === undefined) {
      unknown.push({ kind: t.kind, name: t.name, path: t.path, field, expr: t.expr });
      return UNKNOWN;
    }
    return got;
  });
  if (tokens.length === 1 && tokens[0].type === 'ref') return values[0];
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('');
}
