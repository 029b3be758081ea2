/**
 * The schema registry: every `*.schema.json` in `schemas/`, compiled once with ajv.
 *
 * Kinds are discovered, not listed: a schema whose `properties.kind.const` is set
 * describes that kind. Adding a kind means adding a schema file (and a controller);
 * nothing here changes.
 */
import * as path from 'node:path';
import type Ajv2020 from 'ajv/dist/2020';
import type { AnySchema, ValidateFunction } from 'ajv/dist/2020';
import { createAjv } from './ajv';
import { readSchemaFiles, schemaId } from './schema-files';
import { loadPrecompiled, schemaStamp } from './schema-standalone';
import { packageRoot } from '../package-root';

/** The custom annotation marking a reference field in a schema. */
export interface ReferenceMark {
  /** Plain-name form: the value is the name of a resource of this kind. */
  kind?: string;
  /** `kind/name` form: the value is `Kind/name`, with Kind one of `kinds`. */
  format?: 'kind/name';
  kinds?: string[];
  /**
   * `false`: the reference must exist in the set but does not order operations
   * (the referencing resource needs nothing from the referenced one's live state).
   * @default true
   */
  dependency?: boolean;
  /**
   * `true`: the value names a resource of this kind when the set has one (an edge then);
   * otherwise it names something outside the set, which is not an error (a Service's env
   * secret that is managed elsewhere). @default false
   */
  optional?: boolean;
  /**
   * With `dependency: false`: the referencing resource still depends on whatever the
   * referenced resource names at this path, when that is a `Kind/name` of the set (a
   * GpuModel invoker `Service/jokes` waits for jokes' `serviceAccount: ServiceAccount/x`,
   * which must exist before it is bound, without waiting for jokes itself).
   */
  through?: string;
}

/** `null` in a field pattern matches any array index or map key. */
export type PatternSegment = string | null;

/** A reference field of a kind: where it is, and what it refers to. */
export interface ReferenceField {
  pattern: PatternSegment[];
  mark: ReferenceMark;
}

/** One kind's schema. */
export interface KindSchema {
  kind: string;
  /** File name in the schema directory, e.g. `service.schema.json`. */
  file: string;
  schema: Record<string, any>;
  validate: ValidateFunction;
  references: ReferenceField[];
  /**
   * Fields holding a local file path relative to the manifest's own file (schema mark
   * `"x-runctl-path": "relative-to-manifest"`), resolved to absolute paths when loaded.
   */
  localPaths: PatternSegment[][];
}

export interface SchemaRegistry {
  dir: string;
  kinds: Map<string, KindSchema>;
  /**
   * A validator for any subschema of the loaded documents, found by object identity
   * (ajv's verbose errors carry the schema objects). Used to re-run the branches of a
   * failed `anyOf`/`oneOf` on their own, so errors can be attributed to one branch.
   */
  subValidator(node: object): ValidateFunction | undefined;
}

/** The directory the schemas ship in. */
export function defaultSchemaDir(): string {
  return path.join(packageRoot(), 'schemas');
}

const registries = new Map<string, SchemaRegistry>();

/** The registry for a schema directory, built on first use and cached. */
export function schemaRegistry(dir: string = defaultSchemaDir()): SchemaRegistry {
  const key = path.resolve(dir);
  let reg = registries.get(key);
  if (!reg) {
    reg = buildRegistry(key);
    registries.set(key, reg);
  }
  return reg;
}

/** Kinds with a schema, sorted. */
export function knownKinds(dir?: string): string[] {
  return [...schemaRegistry(dir).kinds.keys()].sort();
}

/** The JSON Schema of a kind, or undefined for an unknown kind. */
export function schemaFor(kind: string, dir?: string): Record<string, any> | undefined {
  return schemaRegistry(dir).kinds.get(kind)?.schema;
}

function buildRegistry(dir: string): SchemaRegistry {
  const read = readSchemaFiles(dir);
  const docs = new Map<string, Record<string, any>>();
  const loaded: Array<{ file: string; schema: Record<string, any> }> = [];
  for (const { file, schema } of read) {
    docs.set(stripFragment(schemaId(file, schema)), schema);
    loaded.push({ file, schema });
  }
  // Validators compiled at build time (scripts/gen-startup.js) when they were made from
  // exactly these files; otherwise compile now (about 100 ms).
  const precompiled = loadPrecompiled(dir, schemaStamp(read), docs);
  let compiler: Ajv2020 | undefined;
  const compiled = (id: string): ValidateFunction => {
    const ready = precompiled?.get(id);
    if (ready) return ready;
    if (!compiler) {
      compiler = createAjv();
      for (const { file, schema } of loaded) compiler.addSchema(schema as AnySchema, schemaId(file, schema));
    }
    return compiler.getSchema(id)!;
  };
  const where = new WeakMap<object, string>();
  for (const { file, schema } of loaded) indexNodes(schema, `${stripFragment(schema.$id ?? `file:///${file}`)}#`, where);
  // Branches compiled on their own lack their parent's `type`, which strict mode
  // rejects; the schemas pass strict mode as wholes (when compiled, here or at build).
  let lenient: Ajv2020 | undefined;
  const subValidator = (node: object): ValidateFunction | undefined => {
    const ref = where.get(node);
    if (ref === undefined) return undefined;
    if (!lenient) {
      lenient = createAjv(false);
      for (const { file, schema } of loaded) lenient.addSchema(schema as AnySchema, schema.$id ?? `file:///${file}`);
    }
    return lenient.getSchema(ref);
  };
  const kinds = new Map<string, KindSchema>();
  for (const { file, schema } of loaded) {
    const kind = schema.properties?.kind?.const;
    if (typeof kind !== 'string') continue;
    const validate = compiled(schemaId(file, schema));
    const references = collectReferenceFields(schema, docs);
    const localPaths = collectMarkedFields(schema, docs, 'x-runctl-path').map((f) => f.pattern);
    kinds.set(kind, { kind, file, schema, validate, references, localPaths });
  }
  return { dir, kinds, subValidator };
}

/** Record the `id#/json/pointer` of every object node in a schema document. */
function indexNodes(node: unknown, ref: string, where: WeakMap<object, string>): void {
  if (!node || typeof node !== 'object') return;
  where.set(node, ref);
  for (const [k, v] of Object.entries(node)) {
    const seg = encodeURIComponent(k.replace(/~/g, '~0').replace(/\//g, '~1'));
    indexNodes(v, `${ref}/${seg}`, where);
  }
}

function stripFragment(uri: string): string {
  const i = uri.indexOf('#');
  return i < 0 ? uri : uri.slice(0, i);
}

/** Resolve a `$ref` against a base URI within the registry's documents. */
function resolveRef(
  ref: string,
  base: string,
  docs: Map<string, Record<string, any>>,
): { schema: any; base: string } | undefined {
  const abs = new URL(ref, base).toString();
  const docUri = stripFragment(abs);
  let node: any = docs.get(docUri);
  const fragment = abs.slice(docUri.length + 1);
  for (const seg of fragment.split('/').filter(Boolean)) {
    node = node?.[decodeURIComponent(seg).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node === undefined ? undefined : { schema: node, base: docUri };
}

/**
 * Every place in a kind's documents that holds a reference, as a path pattern, found by
 * walking the schema (following `$ref`, properties, items, maps and combinators).
 */
export function collectReferenceFields(
  root: Record<string, any>,
  docs: Map<string, Record<string, any>>,
): ReferenceField[] {
  return collectMarkedFields(root, docs, 'x-runctl-reference') as ReferenceField[];
}

/** Every place in a kind's documents whose schema carries the keyword `keyword`, with the keyword's value. */
export function collectMarkedFields(
  root: Record<string, any>,
  docs: Map<string, Record<string, any>>,
  keyword: string,
): Array<{ pattern: PatternSegment[]; mark: any }> {
  const out: Array<{ pattern: PatternSegment[]; mark: any }> = [];
  const seen = new Set<string>();
  const walk = (schema: any, at: PatternSegment[], base: string, refs: Set<any>): void => {
    if (!schema || typeof schema !== 'object') return;
    const mark = schema[keyword];
    if (mark) {
      const key = JSON.stringify([at, mark]);
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ pattern: at, mark });
      }
    }
    if (typeof schema.$ref === 'string') {
      const target = resolveRef(schema.$ref, base, docs);
      if (target && !refs.has(target.schema)) walk(target.schema, at, target.base, new Set(refs).add(target.schema));
    }
    for (const [k, s] of Object.entries<any>(schema.properties ?? {})) walk(s, [...at, k], base, refs);
    for (const s of Object.values<any>(schema.patternProperties ?? {})) walk(s, [...at, null], base, refs);
    if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, [...at, null], base, refs);
    if (typeof schema.items === 'object') walk(schema.items, [...at, null], base, refs);
    for (const kw of ['allOf', 'anyOf', 'oneOf']) for (const s of schema[kw] ?? []) walk(s, at, base, refs);
    for (const kw of ['then', 'else']) walk(schema[kw], at, base, refs);
  };
  walk(root, [], stripFragment(root.$id ?? 'file:///schema'), new Set([root]));
  return out;
}
