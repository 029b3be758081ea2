import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findReferences, resolveReferences, scanReferences, tokenize, UNKNOWN } from '../../src/validate/references';
import type { Manifest } from '../../src/engine/types';

const manifest = (kind: string, name: string, spec: Record<string, any>, metadata: Record<string, any> = {}): Manifest => ({
  apiVersion: 'runctl.dev/v1alpha1',
  kind,
  metadata: { name, ...metadata },
  spec,
});

describe('tokenize', () => {
  const cases: Array<{ reason: string; text: string; want: unknown[] }> = [
    { reason: 'plain text', text: 'hello', want: [{ type: 'text', text: 'hello' }] },
    {
      reason: 'a whole reference',
      text: '${GpuModel/ollama-gemma.status.url}',
      want: [{ type: 'ref', expr: '${GpuModel/ollama-gemma.status.url}', kind: 'GpuModel', name: 'ollama-gemma', path: 'status.url' }],
    },
    {
      reason: 'an embedded reference',
      text: 'http://${Service/a.status.host}:80/x',
      want: [
        { type: 'text', text: 'http://' },
        { type: 'ref', expr: '${Service/a.status.host}', kind: 'Service', name: 'a', path: 'status.host' },
        { type: 'text', text: ':80/x' },
      ],
    },
    { reason: 'an escaped ${', text: 'a $${HOME} b', want: [{ type: 'text', text: 'a ${HOME} b' }] },
    { reason: 'a lone $', text: 'cost: $5 {x}', want: [{ type: 'text', text: 'cost: $5 {x}' }] },
  ];
  for (const c of cases) it(`splits ${c.reason}`, () => expect(tokenize(c.text)).toEqual(c.want));

  it.each([
    ['${HOME}', 'not Kind/name.path'],
    ['${Service/a}', 'no field'],
    ['${Service/a.url}', 'root other than spec/status/metadata'],
    ['${Service/a.status..url}', 'empty path segment'],
    ['${Service/a.status.url', 'unterminated'],
    ['${}', 'empty'],
  ])('rejects %s (%s)', (text) => {
    expect(tokenize(text).some((t) => t.type === 'error')).toBe(true);
  });
});

describe('findReferences', () => {
  it('finds ${...} references anywhere and plain-name references through the schema marks', () => {
    const m = manifest(
      'Service',
      'jokes',
      {
        image: 'img',
        env: { A: '${GpuModel/g.status.url}/api', B: { secret: 's' } },
        volumes: [{ volume: 'data', mountPath: '/d' }, { volume: 'cache', mountPath: '/c' }],
        rollout: { strategy: 'canary', steps: [100], slo: 'avail' },
      },
      { annotations: { note: 'see ${Volume/data.spec.gcs.bucket}' } },
    );
    expect(findReferences(m)).toEqual([
      { kind: 'Volume', name: 'data', path: 'spec.gcs.bucket', field: ['metadata', 'annotations', 'note'], expr: '${Volume/data.spec.gcs.bucket}' },
      { kind: 'GpuModel', name: 'g', path: 'status.url', field: ['spec', 'env', 'A'], expr: '${GpuModel/g.status.url}' },
      // An env secret names a Secret of the set when there is one (optional: no DanglingReference otherwise).
      { kind: 'Secret', name: 's', field: ['spec', 'env', 'B', 'secret'], optional: true },
      { kind: 'Volume', name: 'data', field: ['spec', 'volumes', 0, 'volume'] },
      { kind: 'Volume', name: 'cache', field: ['spec', 'volumes', 1, 'volume'] },
      { kind: 'Slo', name: 'avail', field: ['spec', 'rollout', 'slo'], weak: true },
    ]);
  });

  it('reads Kind/name fields and load balancer routes', () => {
    const gpu = manifest('GpuModel', 'g', { invokers: ['Service/jokes', 'Service/other'] });
    expect(findReferences(gpu).map((r) => [r.kind, r.name, r.weak])).toEqual([
      ['Service', 'jokes', true],
      ['Service', 'other', true],
    ]);
    const lb = manifest('LoadBalancer', 'lb', { defaultService: 'web', routes: [{ host: 'a.b', service: 'api' }] });
    expect(findReferences(lb).map((r) => [r.kind, r.name, r.field.join('.')])).toEqual([
      ['Service', 'web', 'spec.defaultService'],
      ['Service', 'api', 'spec.routes.0.service'],
    ]);
  });

  it('ignores wrongly typed plain-name fields and unknown kinds (validation reports those)', () => {
    expect(findReferences(manifest('Slo', 's', { service: 42 }))).toEqual([]);
    expect(findReferences(manifest('Nope', 'x', { service: 'a' }))).toEqual([]);
  });

  it('lists malformed references separately', () => {
    const { refs, errors } = scanReferences(manifest('Service', 'a', { env: { A: '${oops}', B: '${Service/b.spec.image}' } }));
    expect(refs.map((r) => r.name)).toEqual(['b']);
    expect(errors.map((e) => e.field)).toEqual([['spec', 'env', 'A']]);
  });
});

describe('resolveReferences', () => {
  const live: Record<string, unknown> = {
    'GpuModel/g.status.url': 'https://g.run.app',
    'Service/a.status.port': 8080,
    'Service/a.status.tags': ['x', 'y'],
  };
  const lookup = (r: { kind: string; name: string; path: string }) => live[`${r.kind}/${r.name}.${r.path}`];

  it('replaces references, keeping the type of whole-string references', () => {
    const input = {
      url: '${GpuModel/g.status.url}/api/generate',
      port: '${Service/a.status.port}',
      tags: '${Service/a.status.tags}',
      text: 'port=${Service/a.status.port} tags=${Service/a.status.tags}',
      list: ['${Service/a.status.port}', 3, true, null],
      literal: '$${HOME}',
    };
    const { value, unknown } = resolveReferences(input, lookup);
    expect(value).toEqual({
      url: 'https://g.run.app/api/generate',
      port: 8080,
      tags: ['x', 'y'],
      text: 'port=8080 tags=["x","y"]',
      list: [8080, 3, true, null],
      literal: '${HOME}',
    });
    expect(unknown).toEqual([]);
    expect(input.port).toBe('${Service/a.status.port}');
  });

  it('marks values not known yet', () => {
    const { value, unknown } = resolveReferences({ env: { U: '${GpuModel/h.status.url}/api', W: '${GpuModel/h.status.url}' } }, lookup);
    expect(value).toEqual({ env: { U: `${UNKNOWN}/api`, W: UNKNOWN } });
    expect(unknown).toEqual([
      { kind: 'GpuModel', name: 'h', path: 'status.url', field: ['env', 'U'], expr: '${GpuModel/h.status.url}' },
      { kind: 'GpuModel', name: 'h', path: 'status.url', field: ['env', 'W'], expr: '${GpuModel/h.status.url}' },
    ]);
  });

  it('leaves malformed references as written', () => {
    expect(resolveReferences({ a: '${HOME} ${Service/a.status.port}' }, lookup).value).toEqual({ a: '${HOME} ${Service/a.status.port}' });
  });

  it('copies a key named __proto__ as an own property', () => {
    const v = JSON.parse('{"__proto__": {"a": 1}, "b": "${Service/a.status.port}"}') as Record<string, unknown>;
    const { value } = resolveReferences(v, () => 8080);
    expect(Object.getOwnPropertyNames(value)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as Record<string, unknown>).b).toBe(8080);
  });

  it('returns an equal deep copy of anything without references', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string().filter((s) => !s.includes('${')),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const { value, unknown } = resolveReferences(v, () => 'X');
        expect(value).toEqual(v);
        expect(unknown).toEqual([]);
        if (v && typeof v === 'object') expect(value).not.toBe(v);
      }),
    );
  });

  it('substitutes every embedded reference exactly once', () => {
    const parts = fc.array(fc.oneof(fc.constantFrom('${Service/a.status.port}'), fc.stringMatching(/^[a-z /:]{0,5}$/)), { maxLength: 6 });
    fc.assert(
      fc.property(parts, (ps) => {
        const text = ps.join('');
        const want = text.split('${Service/a.status.port}').join('8080');
        const got = resolveReferences(text, lookup).value;
        expect(String(got)).toBe(want);
      }),
    );
  });
});
