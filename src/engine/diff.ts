/**
 * Semantic diff of desired against live, in manifest form. Only what the manifest
 * declares is compared: a field the manifest leaves out stays as the server has it.
 * Both sides must already be normalised by the controller (defaults, quantities,
 * sorted sets), so equality here is plain deep equality.
 */
import { compare, type Operation } from 'fast-json-patch';
import type { FieldChange } from './controller';

export interface DiffOptions {
  /**
   * Dotted paths of maps compared whole: keys on the live side that the manifest does
   * not name show as removals (e.g. `env`). Lists are always compared whole.
   */
  exact?: string[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Restrict `live` to the shape `desired` declares. */
export function projectDeclared(desired: unknown, live: unknown, exact: Set<string> = new Set(), at = ''): unknown {
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return live;
    if (exact.has(at)) return live;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(desired)) {
      if (desired[key] === undefined) continue;
      if (key in live && live[key] !== undefined) out[key] = projectDeclared(desired[key], live[key], exact, at ? `${at}.${key}` : key);
    }
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live)) {
    return live.map((item, i) => (i < desired.length ? projectDeclared(desired[i], item, exact, at) : item));
  }
  return live;
}

/** Drop undefined values so they neither show as changes nor as JSON nulls. */
export function prune<T>(v: T): T {
  if (Array.isArray(v)) return v.map(prune) as unknown as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = prune(val);
    return out as T;
  }
  return v;
}

function pointerToPath(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(obj: unknown, segs: string[]): unknown {
  let cur: unknown = obj;
  for (const s of segs) {
    if (cur === undefined || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** A JSON Patch turning projected live into desired, and the same as field changes. */
export function diffDeclared(
  desired: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  options: DiffOptions = {},
  prefix = 'spec',
): { patch: Operation[]; changes: FieldChange[] } {
  const want = prune(desired);
  const have = prune((projectDeclared(want, live ?? {}, new Set(options.exact ?? [])) ?? {}) as Record<string, unknown>);
  const patch = compare(have, want);
  const changes: FieldChange[] = patch.map((op) => {
    const segs = pointerToPath(op.path);
    const path = [prefix, ...segs].filter(Boolean).join('.');
    const old = getAt(have, segs);
    if (op.op === 'remove') return { path, op: 'remove', old };
    const value = (op as { value?: unknown }).value;
    return old === undefined ? { path, op: 'add', new: value } : { path, op: 'replace', old, new: value };
  });
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { patch: patch.map((op) => ({ ...op, path: `/${prefix}${op.path}` })) as Operation[], changes };
}

/** Deep equality on JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return compare({ v: prune(a) } as object, { v: prune(b) } as object).length === 0;
}

/** Read a dotted path (`spec.image`) from an object. */
export function getPath(obj: unknown, dotted: string): unknown {
  return getAt(obj, dotted.split('.').filter(Boolean));
}

/** Write a dotted path, creating objects on the way. */
export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const segs = dotted.split('.').filter(Boolean);
  let cur = obj;
  for (const s of segs.slice(0, -1)) {
    const next = cur[s];
    const child: Record<string, unknown> = isPlainObject(next) ? next : {};
    cur[s] = child;
    cur = child;
  }
  const last = segs[segs.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}
