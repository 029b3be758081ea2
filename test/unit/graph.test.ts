import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, findCycles, transitiveDependents, type Graph } from '../../src/validate/graph';
import type { Manifest } from '../../src/engine/types';

const m = (kind: string, name: string, spec: Record<string, any> = {}): Manifest => ({
  apiVersion: 'runctl.dev/v1alpha1',
  kind,
  metadata: { name },
  spec,
});
const ref = (key: string, field = 'status.url'): string => `\${${key}.${field}}`;

/** The DESIGN.md example set. */
const design = [
  m('Service', 'jokes', {
    env: { OLLAMA_URI: `${ref('GpuModel/ollama-gemma')}/api/generate` },
    volumes: [{ volume: 'gradio-data', mountPath: '/data' }],
    rollout: { strategy: 'canary', steps: [10, 50, 100], slo: 'jokes-availability' },
  }),
  m('Volume', 'gradio-data', { gcs: { bucket: 'b' } }),
  m('LoadBalancer', 'gradio-lb', { defaultService: 'gradio', routes: [{ host: 'api.example.com', service: 'jokes' }] }),
  m('Service', 'gradio', {}),
  m('GpuModel', 'ollama-gemma', { invokers: ['Service/jokes'] }),
  m('Slo', 'jokes-availability', { service: 'jokes' }),
  m('Policy', 'default', {}),
];

const sets = (g: Graph, map: Map<string, Set<string>>) => Object.fromEntries(g.nodes.map((n) => [n, [...map.get(n)!].sort()]));

describe('buildGraph', () => {
  it('orders the DESIGN.md example in levels (weak references add no edge)', () => {
    const g = buildGraph(design);
    expect(g.levels).toEqual([
      ['GpuModel/ollama-gemma', 'Policy/default', 'Service/gradio', 'Volume/gradio-data'],
      ['Service/jokes'],
      ['LoadBalancer/gradio-lb', 'Slo/jokes-availability'],
    ]);
    expect(sets(g, g.deps)).toEqual({
      'Service/jokes': ['GpuModel/ollama-gemma', 'Volume/gradio-data'],
      'Volume/gradio-data': [],
      'LoadBalancer/gradio-lb': ['Service/gradio', 'Service/jokes'],
      'Service/gradio': [],
      'GpuModel/ollama-gemma': [],
      'Slo/jokes-availability': ['Service/jokes'],
      'Policy/default': [],
    });
    expect(sets(g, g.dependents)['Service/jokes']).toEqual(['LoadBalancer/gradio-lb', 'Slo/jokes-availability']);
    expect(findCycles(g)).toEqual([]);
  });

  it('a GpuModel invoker Service/NAME waits for that Service\'s ServiceAccount of the set, not for the Service', () => {
    const g = buildGraph([
      ...design.filter((x) => x.metadata.name !== 'jokes'),
      m('Service', 'jokes', { serviceAccount: 'ServiceAccount/tortune', env: { OLLAMA_URI: `${ref('GpuModel/ollama-gemma')}/api/generate` } }),
      m('ServiceAccount', 'tortune', {}),
    ]);
    expect([...g.deps.get('GpuModel/ollama-gemma')!]).toEqual(['ServiceAccount/tortune']);
    expect(findCycles(g)).toEqual([]);
    expect(g.levels[0]).toContain('ServiceAccount/tortune');
    expect(g.levels[1]).toContain('GpuModel/ollama-gemma');
  });

  it('ignores references to resources outside the set', () => {
    const g = buildGraph([m('Service', 'a', { env: { X: ref('Service/missing') } })]);
    expect(g.deps.get('Service/a')).toEqual(new Set());
    expect(g.levels).toEqual([['Service/a']]);
  });

  it('does not depend on input order', () => {
    const g1 = buildGraph(design);
    const g2 = buildGraph([...design].reverse());
    expect(g2.levels).toEqual(g1.levels);
  });

  it('leaves resources on or behind a cycle out of the levels', () => {
    const g = buildGraph([
      m('Service', 'a', { env: { X: ref('Service/b') } }),
      m('Service', 'b', { env: { X: ref('Service/a') } }),
      m('Slo', 's', { service: 'a' }),
      m('Service', 'c', {}),
    ]);
    expect(g.levels).toEqual([['Service/c']]);
    expect(findCycles(g)).toEqual([['Service/a', 'Service/b']]);
  });
});

describe('findCycles', () => {
  const graph = (edges: Record<string, string[]>) => {
    const nodes = Object.keys(edges);
    return { nodes, deps: new Map(nodes.map((n) => [n, new Set(edges[n])])) };
  };

  it('finds self-references, one cycle per strongly connected component, shortest from the smallest key', () => {
    expect(findCycles(graph({ a: ['a'] }))).toEqual([['a']]);
    expect(findCycles(graph({ c: ['a'], a: ['b'], b: ['c'], d: ['e'], e: ['d'], f: [] }))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: ['a'] }))).toEqual([['a', 'c']]);
  });

  it('finds a cycle exactly when levels cannot place every node', () => {
    const edgesArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })), { maxLength: 14 });
    fc.assert(
      fc.property(edgesArb, (edges) => {
        const spec = (i: number) => ({ env: Object.fromEntries(edges.filter(([f]) => f === i).map(([, t], j) => [`E${j}`, ref(`Service/s${t}`)])) });
        const g = buildGraph(Array.from({ length: 8 }, (_, i) => m('Service', `s${i}`, spec(i))));
        const placed = g.levels.flat();
        expect(findCycles(g).length > 0).toBe(placed.length < 8);
        // Every placed node's dependencies sit in earlier levels.
        const level = new Map(g.levels.flatMap((l, i) => l.map((k) => [k, i] as const)));
        for (const k of placed) for (const d of g.deps.get(k)!) expect(level.get(d)!).toBeLessThan(level.get(k)!);
        // Each reported cycle is a real cycle.
        for (const c of findCycles(g)) c.forEach((k, i) => expect(g.deps.get(k)!.has(c[(i + 1) % c.length])).toBe(true));
      }),
    );
  });
});

describe('transitiveDependents', () => {
  it('collects everything downstream, not the starting keys', () => {
    const g = buildGraph(design);
    expect([...transitiveDependents(g, ['GpuModel/ollama-gemma'])].sort()).toEqual([
      'LoadBalancer/gradio-lb',
      'Service/jokes',
      'Slo/jokes-availability',
    ]);
    expect([...transitiveDependents(g, ['Service/gradio', 'LoadBalancer/gradio-lb'])]).toEqual([]);
    expect([...transitiveDependents(g, ['Policy/default'])]).toEqual([]);
  });
});
