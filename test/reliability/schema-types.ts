/**
 * The JSON types the manifest schemas (`schemas/*.json`) allow at a field, and values
 * of any other type: the oracle for "a wrong type at any field is refused", derived
 * from the schemas' `type`, `const` and `enum` only (never from runctl's validator).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';

const SCHEMAS = path.resolve(__dirname, '../../schemas');
type Schema = Record<string, any>;
type Path = Array<string | number>;

const files = new Map<string, Schema>();
function file(name: string): Schema {
  let s = files.get(name);
  if (!s) {
    s = JSON.parse(fs.readFileSync(path.join(SCHEMAS, name), 'utf8')) as Schema;
    files.set(name, s);
  }
  return s;
}

const FILE_OF_KIND: Record<string, string> = {
  Service: 'service.schema.json',
  Volume: 'volume.schema.json',
  LoadBalancer: 'load-balancer.schema.json',
  GpuModel: 'gpu-model.schema.json',
  Slo: 'slo.schema.json',
  Policy: 'policy.schema.json',
};

/** Follow `$ref`s (`#/$defs/X` or `common.schema.json#/$defs/X`) to the schema they name. */
function deref(s: Schema, inFile: string): { s: Schema; inFile: string } {
  while (s && typeof s.$ref === 'string') {
    const [f, pointer] = s.$ref.split('#');
    inFile = f || inFile;
    s = pointer.split('/').filter(Boolean).reduce((o: Schema, k: string) => o?.[k], file(inFile));
  }
  return { s, inFile };
}

/** Every alternative a schema admits (`oneOf`/`anyOf`, each dereferenced), or itself. */
function alternatives(s: Schema, inFile: string): Array<{ s: Schema; inFile: string }> {
  const d = deref(s, inFile);
  const alts = [...(d.s?.oneOf ?? []), ...(d.s?.anyOf ?? [])];
  if (!alts.length) return [d];
  return alts.flatMap((a: Schema) => alternatives(a, d.inFile)).map((a) => (d.s.type && !a.s.type ? { s: { ...a.s, type: d.s.type }, inFile: a.inFile } : a));
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

function typesOf(s: Schema): Set<string> | 'any' {
  if (Array.isArray(s.type)) return new Set(s.type);
  if (typeof s.type === 'string') return new Set([s.type]);
  if ('const' in s) return new Set([typeOf(s.const)]);
  if (Array.isArray(s.enum)) return new Set(s.enum.map(typeOf));
  return 'any';
}

/** The schemas that apply at `p` (several when alternatives branch). */
function schemasAt(kind: string, p: Path): Array<{ s: Schema; inFile: string }> {
  let cur = [{ s: file(FILE_OF_KIND[kind]), inFile: FILE_OF_KIND[kind] }];
  for (const seg of p) {
    cur = cur.flatMap((c) => alternatives(c.s, c.inFile)).flatMap(({ s, inFile }) => {
      const next = typeof seg === 'number' ? s.items : s.properties?.[seg] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined) ?? (s.patternProperties ? Object.values(s.patternProperties)[0] : undefined);
      return next ? [{ s: next as Schema, inFile }] : [];
    });
  }
  return cur;
}

/** JSON types allowed at `p` of a manifest of `kind`, or 'any' when the schemas do not say. */
export function allowedTypes(kind: string, p: Path): Set<string> | 'any' {
  if (!FILE_OF_KIND[kind]) return 'any';
  const at = schemasAt(kind, p).flatMap((c) => alternatives(c.s, c.inFile));
  if (!at.length) return 'any';
  const out = new Set<string>();
  for (const a of at) {
    const t = typesOf(a.s);
    if (t === 'any') return 'any';
    t.forEach((x) => out.add(x));
  }
  return out;
}

/** Every path of a JSON value (objects' keys, arrays' indices), the root excluded. */
export function pathsOf(v: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...pathsOf(x, [...prefix, i])]);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...pathsOf(x, [...prefix, k])]);
  return [];
}

/** A copy of `v` with the value at `p` replaced. */
export function setAt(v: any, p: Path, value: unknown): any {
  const copy = structuredClone(v);
  let o = copy;
  for (const seg of p.slice(0, -1)) o = o[seg];
  o[p[p.length - 1]] = value;
  return copy;
}

/** Values of a JSON type none of `allowed` admits. */
export function wrongValue(allowed: Set<string>): fc.Arbitrary<unknown> {
  const number = allowed.has('number');
  const choices: Array<fc.Arbitrary<unknown>> = [];
  if (!allowed.has('string')) choices.push(fc.string({ maxLength: 20 }));
  if (!allowed.has('integer') && !number) choices.push(fc.integer());
  if (!number) choices.push(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)));
  if (!allowed.has('boolean')) choices.push(fc.boolean());
  if (!allowed.has('array')) choices.push(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }));
  if (!allowed.has('object')) choices.push(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }));
  if (!allowed.has('null')) choices.push(fc.constant(null));
  return fc.oneof(...choices);
}
