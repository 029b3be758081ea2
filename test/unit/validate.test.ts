import fc from 'fast-check';
import * as path from 'node:path';
import { CONTROLLERS } from '../../controllers/index';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Diagnostic } from '../../src/engine/types';
import { loadManifests, parseManifests } from '../../src/load/loader';
import { knownKinds, schemaFor, validateManifests } from '../../src/validate/validate';

const ROOT = path.resolve(__dirname, '..', '..');

/** What the CLI's `validate -f` does: load, then validate. */
async function check(...files: string[]): Promise<Diagnostic[]> {
  const { resources, diagnostics } = await loadManifests(files, { cwd: ROOT });
  return [...diagnostics, ...validateManifests(resources)];
}

const brief = (d: Diagnostic) => ({
  code: d.code,
  at: d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}` : undefined,
  resource: d.resource,
  path: d.path,
});

describe('validate: fixtures', () => {
  it('accepts the valid examples, which cover every kind', async () => {
    const dir = path.join('test', 'fixtures', 'valid');
    const { resources } = await loadManifests([dir], { cwd: ROOT });
    expect(await check(dir)).toEqual([]);
    expect(new Set(resources.map((r) => r.manifest.kind))).toEqual(new Set(knownKinds()));
  });

  const f = (name: string): string => path.join('test', 'fixtures', 'invalid', name);
  const cases: Array<{ reason: string; file: string; want: Array<ReturnType<typeof brief>> }> = [
    {
      reason: 'a string where an integer belongs',
      file: 'wrong-type.yaml',
      want: [{ code: 'SchemaViolation', at: `${f('wrong-type.yaml')}:7:19`, resource: 'Service/jokes', path: 'spec.scaling.maxInstances' }],
    },
    {
      reason: 'a misspelt field',
      file: 'unknown-field.yaml',
      want: [{ code: 'UnknownField', at: `${f('unknown-field.yaml')}:6:3`, resource: 'Service/jokes', path: 'spec.cpuThrotling' }],
    },
    {
      reason: 'no image',
      file: 'missing-required.yaml',
      want: [{ code: 'SchemaViolation', at: `${f('missing-required.yaml')}:4:1`, resource: 'Service/jokes', path: 'spec.image' }],
    },
    {
      reason: 'maxInstances above 1000',
      file: 'out-of-range.yaml',
      want: [{ code: 'SchemaViolation', at: `${f('out-of-range.yaml')}:6:44`, resource: 'Service/jokes', path: 'spec.scaling.maxInstances' }],
    },
    {
      reason: 'a kind with no schema',
      file: 'unknown-kind.yaml',
      want: [{ code: 'UnknownKind', at: `${f('unknown-kind.yaml')}:2:7`, resource: 'Servce/jokes', path: 'kind' }],
    },
    {
      reason: 'the same Service twice: both places reported',
      file: 'duplicate-name.yaml',
      want: [
        { code: 'DuplicateResource', at: `${f('duplicate-name.yaml')}:3:18`, resource: 'Service/jokes', path: 'metadata.name' },
        { code: 'DuplicateResource', at: `${f('duplicate-name.yaml')}:10:9`, resource: 'Service/jokes', path: 'metadata.name' },
      ],
    },
    {
      reason: 'a ${...} reference and a plain-name reference to resources not in the set',
      file: 'missing-reference.yaml',
      want: [
        { code: 'DanglingReference', at: `${f('missing-reference.yaml')}:7:17`, resource: 'Service/jokes', path: 'spec.env.OLLAMA_URI' },
        { code: 'DanglingReference', at: `${f('missing-reference.yaml')}:9:16`, resource: 'Service/jokes', path: 'spec.volumes[0].volume' },
      ],
    },
    {
      reason: 'two Services referencing each other',
      file: 'cycle.yaml',
      want: [{ code: 'DependencyCycle', at: `${f('cycle.yaml')}:15:19`, resource: 'Service/backend', path: 'spec.env.CALLBACK_URL' }],
    },
    {
      reason: 'an unclosed flow mapping',
      file: 'malformed.yaml',
      want: [{ code: 'YamlSyntax', at: `${f('malformed.yaml')}:4:1`, resource: undefined, path: undefined }],
    },
  ];
  for (const c of cases) {
    it(`reports ${c.reason}`, async () => {
      expect((await check(f(c.file))).map(brief)).toEqual(c.want);
    });
  }

  it('reports every problem of every file at once, in file order', async () => {
    const files = cases.map((c) => f(c.file));
    const { resources, diagnostics } = await loadManifests(files, { cwd: ROOT });
    const got = validateManifests(resources);
    // Each file's own problems are all there (plus duplicates across files: Service/jokes).
    for (const c of cases.filter((c) => c.file !== 'malformed.yaml')) {
      for (const w of c.want) expect(got.map(brief), c.reason).toContainEqual(w);
    }
    expect(diagnostics.map((d) => d.code)).toEqual(['YamlSyntax']);
    const order = got.map((d) => [files.indexOf(d.pos!.file), d.pos!.line, d.pos!.col]);
    const sorted = [...order].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    expect(order).toEqual(sorted);
  });

  it('names the cycle and suggests close names', async () => {
    const [cycle] = await check(f('cycle.yaml'));
    expect(cycle.message).toContain('Service/backend → Service/frontend → Service/backend');
    const [, volume] = await check(f('missing-reference.yaml'));
    expect(volume.message).toContain('Volume/gradio-data');
    const [unknown] = await check(f('unknown-field.yaml'));
    expect(unknown.message).toContain("'cpuThrottling'");
  });
});

/** Validate inline YAML (one or more documents). */
function validateText(text: string): Diagnostic[] {
  const { resources, diagnostics } = parseManifests(text, 'm.yaml');
  expect(diagnostics).toEqual([]);
  return validateManifests(resources);
}

const HEAD = (kind: string, name: string) => `apiVersion: runctl.dev/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}}\n`;
const SERVICE = (spec: string, name = 'jokes') => `${HEAD('Service', name)}spec:\n  image: img\n${spec}`;

describe('validate: schema problems', () => {
  const cases: Array<{ reason: string; text: string; want: Array<[string, string | undefined]> }> = [
    { reason: 'missing apiVersion', text: `kind: Volume\nmetadata: {name: v}\nspec: {memory: {}}\n`, want: [['SchemaViolation', 'apiVersion']] },
    { reason: 'wrong apiVersion', text: `apiVersion: v1\nkind: Volume\nmetadata: {name: v}\nspec: {memory: {}}\n`, want: [['SchemaViolation', 'apiVersion']] },
    { reason: 'missing kind', text: `apiVersion: runctl.dev/v1alpha1\nmetadata: {name: v}\n`, want: [['SchemaViolation', 'kind']] },
    { reason: 'missing metadata.name', text: `${HEAD('Volume', 'v').replace('{name: v}', '{labels: {}}')}spec: {memory: {}}\n`, want: [['SchemaViolation', 'metadata.name']] },
    { reason: 'a Service ID ending in a hyphen', text: `${HEAD('Service', 'jokes-')}spec: {image: img}\n`, want: [['SchemaViolation', 'metadata.name']] },
    { reason: 'a Service ID of 50 characters', text: `${HEAD('Service', `a${'b'.repeat(49)}`)}spec: {image: img}\n`, want: [['SchemaViolation', 'metadata.name']] },
    { reason: 'an env value that is a number', text: SERVICE('  env: {WORKERS: 4}\n'), want: [['SchemaViolation', 'spec.env.WORKERS']] },
    { reason: 'a misspelt secret field', text: SERVICE('  env: {K: {secret: s, versoin: 1}}\n'), want: [['UnknownField', 'spec.env.K.versoin']] },
    { reason: 'a reserved env name', text: SERVICE('  env: {PORT: "1"}\n'), want: [['SchemaViolation', 'spec.env.PORT']] },
    { reason: 'a cpu quantity with a bad unit', text: SERVICE('  resources: {cpu: 2x}\n'), want: [['SchemaViolation', 'spec.resources.cpu']] },
    { reason: 'cpu 0', text: SERVICE('  resources: {cpu: 0}\n'), want: [['SchemaViolation', 'spec.resources.cpu']] },
    { reason: 'a timeout above an hour', text: SERVICE('  timeout: 1h1s\n'), want: [['SchemaViolation', 'spec.timeout']] },
    { reason: 'a timeout that is not a duration', text: SERVICE('  timeout: 300\n'), want: [['SchemaViolation', 'spec.timeout']] },
    { reason: 'an unknown binaryAuthorization', text: SERVICE('  binaryAuthorization: always\n'), want: [['SchemaViolation', 'spec.binaryAuthorization']] },
    { reason: 'a breakglass typo', text: SERVICE('  binaryAuthorization: {breakglass: x}\n'), want: [['SchemaViolation', 'spec.binaryAuthorization.breakglassJustification'], ['UnknownField', 'spec.binaryAuthorization.breakglass']] },
    { reason: 'a traffic target naming neither revision nor latest', text: SERVICE('  traffic: [{percent: 100}]\n'), want: [['SchemaViolation', 'spec.traffic[0]']] },
    { reason: 'a label key in upper case', text: `${HEAD('Volume', 'v').replace('{name: v}', '{name: v, labels: {App: x}}')}spec: {memory: {}}\n`, want: [['SchemaViolation', 'metadata.labels.App']] },
    { reason: 'a misspelt runctl annotation', text: `${HEAD('Volume', 'v').replace('{name: v}', '{name: v, annotations: {runctl.dev/pause: "true"}}')}spec: {memory: {}}\n`, want: [['UnknownField', 'metadata.annotations["runctl.dev/pause"]']] },
    { reason: 'a Volume with no source', text: `${HEAD('Volume', 'v')}spec: {}\n`, want: [['SchemaViolation', 'spec']] },
    { reason: 'a Volume with two sources', text: `${HEAD('Volume', 'v')}spec: {memory: {}, nfs: {server: s, path: /p}}\n`, want: [['SchemaViolation', 'spec']] },
    { reason: 'an Slo goal of 1', text: `${SERVICE('')}---\n${HEAD('Slo', 's')}spec: {service: jokes, availability: {goal: 1, window: 28d}}\n`, want: [['SchemaViolation', 'spec.availability.goal']] },
    { reason: 'an Slo window of 45 days', text: `${SERVICE('')}---\n${HEAD('Slo', 's')}spec: {service: jokes, availability: {goal: 0.9, window: 45d}}\n`, want: [['SchemaViolation', 'spec.availability.window']] },
    { reason: 'a notify target without email:', text: `${SERVICE('')}---\n${HEAD('Slo', 's')}spec: {service: jokes, latency: {threshold: 1s, goal: 0.9, window: 1d}, alerts: [{burnRate: 2, lookback: 1h, notify: [a@b.c]}]}\n`, want: [['SchemaViolation', 'spec.alerts[0].notify[0]']] },
    { reason: 'REQUIRE_ATTESTATION without attestors', text: `${HEAD('Policy', 'default')}spec: {defaultRule: {evaluationMode: REQUIRE_ATTESTATION}}\n`, want: [['SchemaViolation', 'spec.defaultRule']] },
    { reason: 'attestors without REQUIRE_ATTESTATION', text: `${HEAD('Policy', 'default')}spec: {defaultRule: {evaluationMode: ALWAYS_ALLOW, requireAttestationsBy: [projects/p/attestors/a]}}\n`, want: [['SchemaViolation', 'spec.defaultRule']] },
    { reason: 'an unknown GPU', text: `${HEAD('GpuModel', 'g')}spec: {image: i, runtime: custom, gpu: {type: nvidia-t4}}\n`, want: [['SchemaViolation', 'spec.gpu.type']] },
    { reason: 'a GpuModel invoker of the wrong kind', text: `${HEAD('GpuModel', 'g')}spec: {image: i, runtime: custom, gpu: {type: nvidia-l4}, invokers: [Volume/v]}\n`, want: [['SchemaViolation', 'spec.invokers[0]']] },
    { reason: 'an ollama GpuModel without a model', text: `${HEAD('GpuModel', 'g')}spec: {image: i, runtime: ollama, gpu: {type: nvidia-l4}}\n`, want: [['SchemaViolation', 'spec']] },
    { reason: 'a route with neither host nor paths', text: `${SERVICE('')}---\n${HEAD('LoadBalancer', 'lb')}spec: {defaultService: jokes, routes: [{service: jokes}]}\n`, want: [['SchemaViolation', 'spec.routes[0]']] },
  ];
  for (const c of cases) {
    it(`reports ${c.reason}`, () => {
      expect(validateText(c.text).map((d) => [d.code, d.path])).toEqual(c.want);
    });
  }

  it('writes messages a person understands', () => {
    const msg = (text: string) => validateText(text).map((d) => d.message);
    expect(msg(SERVICE('  scaling: {maxInstances: 5000}\n'))).toEqual(['must be ≤ 1000 (got 5000)']);
    expect(msg(`${HEAD('Service', 'jokes')}spec: {imagee: img}\n`)).toEqual([
      "missing required field 'image'",
      "unknown field 'imagee' (did you mean 'image'?)",
    ]);
    expect(msg(SERVICE('  ingress: al\n'))[0]).toContain("(did you mean 'all'?)");
    expect(msg(SERVICE('  timeout: 2h\n'))).toEqual(['must be at most 3600s (got 2h)']);
    expect(msg(SERVICE('  env: {WORKERS: 4}\n'))[0]).toMatch(/must be a string.*\(got 4\)/);
    expect(msg(`kind: Servce\nmetadata: {name: x}\n`)[0]).toContain("unknown kind 'Servce' (did you mean 'Service'?)");
  });
});

describe('validate: references and cycles', () => {
  it('reports malformed ${...} as InvalidValue at the string', () => {
    const got = validateText(SERVICE('  env:\n    A: ${HOME}\n    B: ${Service/jokes}\n    C: ${Service/jokes.url}\n    D: "${Service/jokes.status.url"\n    E: $${HOME}\n'));
    expect(got.map((d) => [d.code, d.path, d.pos?.line])).toEqual([
      ['InvalidValue', 'spec.env.A', 7],
      ['InvalidValue', 'spec.env.B', 8],
      ['InvalidValue', 'spec.env.C', 9],
      ['InvalidValue', 'spec.env.D', 10],
    ]);
  });

  it('reports a self-reference as a cycle', () => {
    const got = validateText(SERVICE('  env: {SELF: "${Service/jokes.status.url}"}\n'));
    expect(got.map((d) => [d.code, d.message])).toEqual([['DependencyCycle', 'dependency cycle: Service/jokes → Service/jokes']]);
  });

  it('does not count weak references (rollout.slo, GpuModel invokers) as cycle edges', () => {
    const text = [
      SERVICE('  env: {U: "${GpuModel/g.status.url}"}\n  rollout: {strategy: canary, steps: [100], slo: s}\n'),
      `${HEAD('GpuModel', 'g')}spec: {image: i, runtime: ollama, model: 'gemma3:4b', gpu: {type: nvidia-l4}, invokers: [Service/jokes]}\n`,
      `${HEAD('Slo', 's')}spec: {service: jokes, availability: {goal: 0.9, window: 1d}}\n`,
    ].join('---\n');
    expect(validateText(text)).toEqual([]);
  });

  it('still requires weak references to exist', () => {
    const got = validateText(SERVICE('  rollout: {strategy: canary, steps: [100], slo: nope}\n'));
    expect(got.map((d) => [d.code, d.path])).toEqual([['DanglingReference', 'spec.rollout.slo']]);
  });
});

describe('validate: extra checks', () => {
  const text = `${SERVICE('  scaling: {maxInstances: 3}\n')}---\n${HEAD('Service', 'broken')}spec: {}\n`;
  const { resources } = parseManifests(text, 'm.yaml');

  it('fills in pos and resource from the path, and only runs on schema-valid manifests', () => {
    const seen: string[] = [];
    const extraChecks = new Map([
      [
        'Service',
        (m: any, all: any[]): Diagnostic[] => {
          seen.push(`${m.metadata.name}/${all.length}`);
          return [{ code: 'InvalidValue', message: 'too many', path: 'spec.scaling.maxInstances' }];
        },
      ],
    ]);
    const got = validateManifests(resources, { extraChecks });
    expect(seen).toEqual(['jokes/2']);
    expect(got.map(brief)).toEqual([
      { code: 'InvalidValue', at: 'm.yaml:6:27', resource: 'Service/jokes', path: 'spec.scaling.maxInstances' },
      { code: 'SchemaViolation', at: 'm.yaml:11:1', resource: 'Service/broken', path: 'spec.image' },
    ]);
  });

  it('turns a throwing check into an Internal diagnostic', () => {
    const extraChecks = new Map([['Service', (): Diagnostic[] => { throw new Error('boom'); }]]);
    const got = validateManifests(resources, { extraChecks });
    expect(got.map((d) => [d.code, d.resource])).toContainEqual(['Internal', 'Service/jokes']);
  });
});

describe('schemaFor / knownKinds', () => {
  it('discovers kinds from the schema files', () => {
    // Every registered kind has its schema, and every schema its controller.
    expect(knownKinds()).toEqual(CONTROLLERS.map((c) => c.kind).sort());
    expect(schemaFor('Service')?.$id).toBe('https://runctl.dev/schemas/v1alpha1/service.schema.json');
    expect(schemaFor('Nope')).toBeUndefined();
  });
});

describe('validate: robustness', () => {
  it('never throws, and every diagnostic has a code, a position and a message', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 12 }),
        fc.constantFrom('${Service/a.status.url}', '${oops', 'jokes', 'Service/jokes', '5m', '512Mi'),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('image', 'service', 'volumes', 'env', 'scaling', 'gpu', 'x', 'memory', 'routes'), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    const doc = fc.record({
      apiVersion: fc.constantFrom('runctl.dev/v1alpha1', 'v1'),
      kind: fc.constantFrom(...knownKinds(), 'Nope'),
      metadata: fc.record({ name: fc.constantFrom('a', 'jokes', 'B-') }),
      spec: value,
    });
    const codes = new Set(['SchemaViolation', 'UnknownKind', 'UnknownField', 'DuplicateResource', 'DanglingReference', 'DependencyCycle', 'InvalidValue']);
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), (docs) => {
        const text = docs.map((d) => stringify(d)).join('---\n');
        const { resources } = parseManifests(text, 'p.yaml');
        for (const d of validateManifests(resources)) {
          expect(codes.has(d.code), d.code).toBe(true);
          expect(d.pos?.file).toBe('p.yaml');
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
