/** What a manifest edit touches: set differences and the keys `watch` re-plans. */
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/engine/types';
import { affectedKeys, canonical, diffSets } from '../../src/loop/changes';
import { outsideDependencies } from '../../src/validate/graph';

const svc = (name: string, spec: Record<string, unknown> = {}): Manifest => ({
  apiVersion: 'runctl.dev/v1alpha1',
  kind: 'Service',
  metadata: { name },
  spec: { image: `img/${name}:1`, ...spec },
});
/** `b` reads a's URL, `c` reads b's: a chain a <- b <- c. */
const a = svc('a');
const b = svc('b', { env: { A: '${Service/a.status.url}' } });
const c = svc('c', { env: { B: '${Service/b.status.url}' } });
const lone = svc('lone');

describe('diffSets', () => {
  const cases: Array<{ name: string; reason: string; before: Manifest[]; after: Manifest[]; want: ReturnType<typeof diffSets> }> = [
    { name: 'identical', reason: 'nothing to re-plan', before: [a, b], after: [a, b], want: { added: [], changed: [], removed: [] } },
    {
      name: 'key order',
      reason: 'YAML key order is not a change',
      before: [{ ...a, spec: { image: 'x', port: 1 } }],
      after: [{ ...a, spec: { port: 1, image: 'x' } }],
      want: { added: [], changed: [], removed: [] },
    },
    { name: 'added', reason: 'a new document', before: [a], after: [a, lone], want: { added: ['Service/lone'], changed: [], removed: [] } },
    { name: 'removed', reason: 'a deleted document', before: [a, lone], after: [a], want: { added: [], changed: [], removed: ['Service/lone'] } },
    { name: 'changed', reason: 'a field edit', before: [a], after: [svc('a', { port: 9000 })], want: { added: [], changed: ['Service/a'], removed: [] } },
    {
      name: 'annotation',
      reason: 'metadata counts too (paused, ignore-changes)',
      before: [a],
      after: [{ ...a, metadata: { name: 'a', annotations: { 'runctl.dev/paused': 'true' } } }],
      want: { added: [], changed: ['Service/a'], removed: [] },
    },
  ];
  for (const t of cases) {
    it(`${t.name}: ${t.reason}`, () => expect(diffSets(t.before, t.after)).toEqual(t.want));
  }
});

describe('affectedKeys', () => {
  const cases: Array<{ name: string; reason: string; set: Manifest[]; touched: string[]; want: string[] }> = [
    { name: 'leaf', reason: 'nothing depends on c', set: [a, b, c, lone], touched: ['Service/c'], want: ['Service/c'] },
    { name: 'root', reason: 'b reads a, c reads b: both re-plan', set: [a, b, c, lone], touched: ['Service/a'], want: ['Service/a', 'Service/b', 'Service/c'] },
    { name: 'middle', reason: 'only what depends on b, not what b depends on', set: [a, b, c, lone], touched: ['Service/b'], want: ['Service/b', 'Service/c'] },
    { name: 'removed', reason: 'a removed key is not planned (prune handles it)', set: [a, lone], touched: ['Service/gone'], want: [] },
    { name: 'unrelated', reason: 'an independent resource stays out', set: [a, b, lone], touched: ['Service/lone'], want: ['Service/lone'] },
  ];
  for (const t of cases) {
    it(`${t.name}: ${t.reason}`, () => expect([...affectedKeys(t.set, t.touched)].sort()).toEqual(t.want));
  }
});

describe('outsideDependencies', () => {
  it('names the dependencies to read so references resolve, and nothing planned already', () => {
    expect([...outsideDependencies([a, b, c], new Set(['Service/c']))]).toEqual(['Service/b']);
    expect([...outsideDependencies([a, b, c], new Set(['Service/b', 'Service/c']))]).toEqual(['Service/a']);
    expect([...outsideDependencies([a, b, c], new Set(['Service/a']))]).toEqual([]);
  });
});

describe('canonical', () => {
  it('sorts keys at every depth and drops undefined, keeping list order', () => {
    expect(canonical({ b: [2, 1], a: { d: 1, c: undefined, b: null } })).toBe('{"a":{"b":null,"d":1},"b":[2,1]}');
  });
});
