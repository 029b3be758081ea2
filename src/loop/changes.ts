/**
 * What a manifest edit touches: the documents added, changed or removed between two
 * valid sets, and everything that depends on them (references may resolve to new
 * values), so `watch` re-plans only those.
 */
import { buildGraph, transitiveDependents } from '../validate/graph';
import { findReferences } from '../validate/references';
import { keyOf, type Manifest } from '../engine/types';

export interface SetChange {
  /** Keys new in the second set. */
  added: string[];
  /** Keys in both whose document differs. */
  changed: string[];
  /** Keys gone from the second set. */
  removed: string[];
}

/** Canonical JSON (sorted keys), so key order in YAML is not a change. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Compare two manifest sets by key. Sorted output. */
export function diffSets(before: Manifest[], after: Manifest[]): SetChange {
  const old = new Map(before.map((m) => [keyOf(m), canonical(m)]));
  const now = new Map(after.map((m) => [keyOf(m), canonical(m)]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const [k, text] of now) {
    if (!old.has(k)) added.push(k);
    else if (old.get(k) !== text) changed.push(k);
  }
  const removed = [...old.keys()].filter((k) => !now.has(k));
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}

/**
 * Keys of `manifests` to re-plan for `touched` keys (changed or removed): the touched
 * keys still present, plus every resource that depends on any touched key.
 */
export function affectedKeys(manifests: Manifest[], touched: Iterable<string>): Set<string> {
  const present = new Set(manifests.map(keyOf));
  const start = new Set(touched);
  const graph = buildGraph(manifests);
  const out = new Set([...start].filter((k) => present.has(k)));
  // A removed key is no node of the new graph; what still names it (a weak reference)
  // may plan differently now, so it counts as touched too.
  for (const m of manifests) {
    if (findReferences(m).some((r) => !present.has(`${r.kind}/${r.name}`) && start.has(`${r.kind}/${r.name}`))) out.add(keyOf(m));
  }
  for (const k of transitiveDependents(graph, out)) out.add(k);
  return out;
}
