import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findReferences } from '../../src/validate/references';
import { parseManifests } from '../../src/load/loader';
import { knownKinds, schemaFor, validateManifests } from '../../src/validate/validate';
import { schemaRegistry } from '../../src/validate/schemas';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'schemas');
const files = readdirSync(DIR).filter((f) => f.endsWith('.schema.json')).sort();
const load = (f: string) => JSON.parse(readFileSync(path.join(DIR, f), 'utf8'));

/** Visit every subschema with its JSON pointer; `constraint` is true inside if/then/else. */
function visit(node: any, at: string, fn: (s: any, at: string, constraint: boolean) => void, constraint = false): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  fn(node, at, constraint);
  for (const [k, v] of Object.entries<any>(node.properties ?? {})) visit(v, `${at}/properties/${k}`, fn, constraint);
  for (const [k, v] of Object.entries<any>(node.patternProperties ?? {})) visit(v, `${at}/patternProperties/${k}`, fn, constraint);
  for (const [k, v] of Object.entries<any>(node.$defs ?? {})) visit(v, `${at}/$defs/${k}`, fn, constraint);
  for (const kw of ['additionalProperties', 'items', 'propertyNames', 'not']) visit(node[kw], `${at}/${kw}`, fn, constraint);
  for (const kw of ['anyOf', 'oneOf', 'allOf']) (node[kw] ?? []).forEach((s: any, i: number) => visit(s, `${at}/${kw}/${i}`, fn, constraint));
  for (const kw of ['if', 'then', 'else']) visit(node[kw], `${at}/${kw}`, fn, true);
}

describe('schemas', () => {
  it.each(files)('%s has the right $schema and $id', (file) => {
    const s = load(file);
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.$id).toBe(`https://runctl.dev/schemas/v1alpha1/${file}`);
  });

  it.each(files)('%s describes every property and closes every object', (file) => {
    const undocumented: string[] = [];
    const open: string[] = [];
    visit(load(file), '#', (s, at, constraint) => {
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) if (!v.description) undocumented.push(`${at}/properties/${k}`);
      for (const [k, v] of Object.entries<any>(s.patternProperties ?? {})) if (!v.description) undocumented.push(`${at}/patternProperties/${k}`);
      if (typeof s.additionalProperties === 'object' && !s.additionalProperties.description) undocumented.push(`${at}/additionalProperties`);
      if (!constraint && s.properties && s.additionalProperties !== false) open.push(at);
    });
    expect(undocumented).toEqual([]);
    expect(open).toEqual([]);
  });

  it('has one kind schema per kind, each with apiVersion, kind, metadata (name, labels, annotations) and spec', () => {
    const kinds = files.map(load).filter((s) => s.properties?.kind?.const);
    expect(kinds.map((s) => s.properties.kind.const).sort()).toEqual(knownKinds());
    for (const s of kinds) {
      expect(s.properties.apiVersion.const).toBe('runctl.dev/v1alpha1');
      expect(s.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
      expect(Object.keys(s.properties.metadata.properties)).toEqual(['name', 'labels', 'annotations']);
      expect(s.properties.metadata.properties.name.pattern).toBeTruthy();
      // Resource IDs are labels (63); a DomainMapping's name is a domain (253, RFC 1035); a secret ID is up to 255.
      const longest: Record<string, number> = { DomainMapping: 253, Secret: 255 };
      expect(s.properties.metadata.properties.name.maxLength).toBeLessThanOrEqual(longest[s.properties.kind.const] ?? 63);
    }
  });

  it('marks references only to known kinds', () => {
    const kinds = new Set(knownKinds());
    for (const k of schemaRegistry().kinds.values()) {
      for (const r of k.references) {
        for (const target of r.mark.kinds ?? [r.mark.kind]) expect(kinds.has(target!), `${k.kind}: ${target}`).toBe(true);
      }
    }
  });

  it('finds the reference fields the design names', () => {
    const fields = (kind: string) => schemaRegistry().kinds.get(kind)!.references.map((r) => r.pattern.map((p) => p ?? '*').join('.'));
    expect(fields('Service')).toEqual(['spec.env.*.secret', 'spec.serviceAccount', 'spec.invokers.*', 'spec.vpc.connector', 'spec.volumes.*.volume', 'spec.rollout.slo']);
    expect(fields('LoadBalancer')).toEqual(['spec.defaultService', 'spec.routes.*.service']);
    expect(fields('Slo')).toEqual(['spec.service']);
    expect(fields('GpuModel')).toEqual(['spec.invokers.*', 'spec.invokers.*']); // Service/NAME and ServiceAccount/NAME
  });
});

describe('generated types', () => {
  it('controllers/generated/manifests.ts matches the schemas (run node scripts/gen-types.js)', async () => {
    const { generate, OUT_FILE } = createRequire(__filename)('../../scripts/gen-types.js');
    const fresh: string = await generate(DIR);
    expect(fresh).toContain('export interface ServiceSpec');
    expect(readFileSync(OUT_FILE, 'utf8')).toBe(fresh);
  });
});

describe('schema discovery', () => {
  it('learns a new kind from a schema file alone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runctl-schemas-'));
    try {
      copyFileSync(path.join(DIR, 'common.schema.json'), path.join(dir, 'common.schema.json'));
      copyFileSync(path.join(DIR, 'service.schema.json'), path.join(dir, 'service.schema.json'));
      const widget = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://runctl.dev/schemas/v1alpha1/widget.schema.json',
        type: 'object',
        additionalProperties: false,
        required: ['apiVersion', 'kind', 'metadata', 'spec'],
        properties: {
          apiVersion: { description: 'v', const: 'runctl.dev/v1alpha1' },
          kind: { description: 'k', const: 'Widget' },
          metadata: { type: 'object', description: 'm', additionalProperties: false, properties: { name: { type: 'string', description: 'n' } } },
          spec: {
            type: 'object',
            description: 's',
            additionalProperties: false,
            properties: { target: { type: 'string', description: 't', 'x-runctl-reference': { kind: 'Service' } } },
          },
        },
      };
      writeFileSync(path.join(dir, 'widget.schema.json'), JSON.stringify(widget));
      expect(knownKinds(dir)).toEqual(['Service', 'Widget']);
      expect(schemaFor('Widget', dir)?.$id).toBe(widget.$id);
      const text = 'apiVersion: runctl.dev/v1alpha1\nkind: Widget\nmetadata: {name: w}\nspec: {target: jokes, colour: red}\n';
      const { resources } = parseManifests(text, 'w.yaml');
      expect(findReferences(resources[0].manifest, { schemaDir: dir }).map((r) => `${r.kind}/${r.name}`)).toEqual(['Service/jokes']);
      expect(validateManifests(resources, { schemaDir: dir }).map((d) => [d.code, d.path])).toEqual([
        ['DanglingReference', 'spec.target'],
        ['UnknownField', 'spec.colour'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
