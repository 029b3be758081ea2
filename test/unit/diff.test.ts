import { describe, expect, it } from 'vitest';
import { diffDeclared, getPath, projectDeclared, setPath } from '../../src/engine/diff';

describe('diffDeclared', () => {
  const cases: Array<{ reason: string; desired: any; live: any; exact?: string[]; want: Array<[string, string]> }> = [
    { reason: 'identical is no change', desired: { image: 'a', port: 8080 }, live: { image: 'a', port: 8080 }, want: [] },
    { reason: 'fields the manifest leaves out are not removals', desired: { image: 'a' }, live: { image: 'a', timeout: '300s', ingress: 'all' }, want: [] },
    { reason: 'a changed scalar is a replace', desired: { image: 'b' }, live: { image: 'a' }, want: [['spec.image', 'replace']] },
    { reason: 'a field missing live is an add', desired: { image: 'a', port: 9000 }, live: { image: 'a' }, want: [['spec.port', 'add']] },
    { reason: 'nested undeclared keys are ignored', desired: { scaling: { minInstances: 1 } }, live: { scaling: { minInstances: 1, maxInstances: 100 } }, want: [] },
    { reason: 'nested declared keys compare', desired: { scaling: { minInstances: 2 } }, live: { scaling: { minInstances: 1, maxInstances: 100 } }, want: [['spec.scaling.minInstances', 'replace']] },
    { reason: 'exact maps show removed keys', desired: { env: { A: '1' } }, live: { env: { A: '1', B: '2' } }, exact: ['env'], want: [['spec.env.B', 'remove']] },
    { reason: 'non-exact maps do not', desired: { env: { A: '1' } }, live: { env: { A: '1', B: '2' } }, want: [] },
    { reason: 'lists compare whole: a removed element shows', desired: { invokers: ['a'] }, live: { invokers: ['a', 'b'] }, want: [['spec.invokers.1', 'remove']] },
  ];
  it.each(cases)('$reason', ({ desired, live, exact, want }) => {
    const { changes, patch } = diffDeclared(desired, live, { exact });
    expect(changes.map((c) => [c.path, c.op])).toEqual(want);
    expect(patch.length).toBe(want.length);
  });

  it('reports old and new values', () => {
    const { changes } = diffDeclared({ image: 'b' }, { image: 'a' });
    expect(changes[0]).toEqual({ path: 'spec.image', op: 'replace', old: 'a', new: 'b' });
  });

  it('projects live onto the declared shape', () => {
    expect(projectDeclared({ a: { b: 1 } }, { a: { b: 2, c: 3 }, d: 4 })).toEqual({ a: { b: 2 } });
  });

  it('reads and writes dotted paths', () => {
    const o: Record<string, any> = {};
    setPath(o, 'a.b.c', 1);
    expect(getPath(o, 'a.b.c')).toBe(1);
    setPath(o, 'a.b.c', undefined);
    expect(getPath(o, 'a.b')).toEqual({});
  });
});
