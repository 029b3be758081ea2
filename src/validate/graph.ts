/**
 * The dependency graph of a manifest set: an edge A -> B when A references B (and the
 * reference orders operations). Creates and updates run level by level; deletes run the
 * levels in reverse.
 */
import { findReferences, type Reference } from './references';
import { keyOf, type Manifest, type ResourceKey } from '../util/types';

export interface Graph {
  /** Every resource key, in first-seen order. */
  nodes: string[];
  /** key -> the keys it depends on (only keys in the set). */
  deps: Map<string, Set<string>>;
  /** key -> the keys that depend on it. */
  dependents: Map<string, Set<string>>;
  /**
   * Topological layers: level 0 depends on nothing, level n only on levels < n. Keys
   * sorted within a level. Keys on (or behind) a cycle are in no level; `findCycles`
   * names the cycles.
   */
  levels: string[][];
  /** The reference behind each edge, keyed `from -> to`, for diagnostics. */
  edges: Map<string, Reference>;
}

/** The key of an edge in `Graph.edges`. */
export const edgeKey = (from: string, to: string): string => `${from} -> ${to}`;

/** Build the graph from references (weak references and references leaving the set add no edge). */
export function buildGraph(manifests: Manifest[], opts: { schemaDir?: string } = {}): Graph {
  const nodes: string[] = [];
  const deps = new Map<string, Set<string>>();
  const dependents = new Map<string, Set<string>>();
  const edges = new Map<string, Reference>();
  const usable = manifests.filter((m) => typeof m?.kind === 'string' && typeof m?.metadata?.name === 'string');
  for (const m of usable) {
    const k = keyOf(m);
    if (deps.has(k)) continue;
    nodes.push(k);
    deps.set(k, new Set());
    dependents.set(k, new Set());
  }
  const byKey = new Map(usable.map((m) => [keyOf(m), m]));
  for (const m of usable) {
    const from = keyOf(m);
    for (const found of findReferences(m, opts)) {
      const ref = found.weak && found.through ? throughReference(found, byKey) ?? found : found;
      const to = `${ref.kind}/${ref.name}`;
      if (ref.weak || !deps.has(to)) continue;
      deps.get(from)!.add(to);
      dependents.get(to)!.add(from);
      if (!edges.has(edgeKey(from, to))) edges.set(edgeKey(from, to), ref);
    }
  }
  return { nodes, deps, dependents, levels: layers(nodes, deps), edges };
}

/**
 * The dependency a weak reference carries through its target (schema mark `through`): the
 * `Kind/name` the referenced manifest holds at that path, as a strong reference.
 */
function throughReference(ref: Reference, byKey: Map<string, Manifest>): Reference | undefined {
  const target = byKey.get(`${ref.kind}/${ref.name}`);
  let value: unknown = target;
  for (const part of ref.through!.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  if (slash <= 0 || value.includes('${') || !byKey.has(value)) return undefined;
  return { kind: value.slice(0, slash), name: value.slice(slash + 1), field: ref.field };
}

function layers(nodes: string[], deps: Map<string, Set<string>>): string[][] {
  const levels: string[][] = [];
  const placed = new Set<string>();
  let remaining = [...nodes];
  for (;;) {
    const level = remaining.filter((k) => [...deps.get(k)!].every((d) => placed.has(d))).sort();
    if (level.length === 0) return levels;
    levels.push(level);
    level.forEach((k) => placed.add(k));
    remaining = remaining.filter((k) => !placed.has(k));
  }
}

/**
 * Every dependency cycle, each as the keys along it starting from its smallest key
 * (`['A', 'B']` means A -> B -> A; a self-reference is `['A']`). One cycle per strongly
 * connected component, sorted.
 */
export function findCycles(g: Pick<Graph, 'nodes' | 'deps'>): string[][] {
  const cycles: string[][] = [];
  for (const scc of stronglyConnected(g)) {
    const start = [...scc].sort()[0];
    if (scc.size === 1 && !g.deps.get(start)?.has(start)) continue;
    cycles.push(shortestCycle(g, start, scc));
  }
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Tarjan's algorithm, iterative so deep chains cannot overflow the stack. */
function stronglyConnected(g: Pick<Graph, 'nodes' | 'deps'>): Array<Set<string>> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: Array<Set<string>> = [];
  let next = 0;
  for (const root of g.nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; it: Iterator<string> }> = [];
    const enter = (node: string): void => {
      index.set(node, next);
      low.set(node, next++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, it: [...(g.deps.get(node) ?? [])].sort()[Symbol.iterator]() });
    };
    enter(root);
    while (work.length) {
      const top = work[work.length - 1];
      const step = top.it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const scc = new Set<string>();
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.add(w);
        } while (w !== top.node);
        out.push(scc);
      }
    }
  }
  return out;
}

/** Breadth-first search for the shortest path from `start` back to itself inside `scc`. */
function shortestCycle(g: Pick<Graph, 'deps'>, start: string, scc: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const d of [...(g.deps.get(node) ?? [])].sort()) {
      if (!scc.has(d)) continue;
      if (d === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(prev.get(path[0])!);
        return path;
      }
      if (!prev.has(d)) {
        prev.set(d, node);
        queue.push(d);
      }
    }
  }
  return [start];
}

/** Every key that depends, directly or through others, on any of `keys` (not `keys` themselves). */
export function transitiveDependents(g: Pick<Graph, 'dependents'>, keys: Iterable<ResourceKey>): Set<string> {
  const start = new Set(keys);
  const out = new Set<string>();
  const queue = [...start];
  while (queue.length) {
    for (const d of g.dependents.get(queue.shift()!) ?? []) {
      if (out.has(d) || start.has(d)) continue;
      out.add(d);
      queue.push(d);
    }
  }
  return out;
}

/** The direct dependencies of `keys` that are outside `keys` (to observe for reference values). */
export function outsideDependencies(manifests: Manifest[], keys: Set<string>): Set<string> {
  const graph = buildGraph(manifests);
  const out = new Set<string>();
  for (const k of keys) for (const d of graph.deps.get(k) ?? []) if (!keys.has(d)) out.add(d);
  return out;
}
