/**
 * Schema validators compiled at build time (ajv's standalone code) instead of at every
 * start: compiling the kinds' schemas was about 90 ms of each `validate`, `diff` and
 * `apply` (a third of a `validate`).
 *
 * The validators must behave exactly like run-time compiled ones, errors included, and
 * `schema-errors.ts` finds a failed branch's schema by object identity (ajv's verbose
 * errors carry schema objects). Plain standalone code inlines copies of the schemas, so
 * the generated module is instead a factory: every schema object it needs is looked up
 * in the documents the registry loaded, by document id and path. The one custom
 * keyword with code (`x-runctl-duration`) is passed in the same way.
 *
 * The module carries a stamp of what it was made from (the schema files, ajv and
 * ajv-formats versions); a registry whose files differ compiles as before.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020';
import { packageRoot } from '../package-root';
import { createAjv, durationWithin } from './ajv';
import { readSchemaFiles, schemaId } from './schema-files';

/** Bumped when the generated module's shape changes. */
const FORMAT = 1;

/** Where the build writes the validators. */
export function standalonePath(root: string = packageRoot()): string {
  return path.join(root, 'dist', 'generated', 'schemas.js');
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Identifies a set of schema files (and the compilers) a generated module is valid for. */
export function schemaStamp(files: Array<{ file: string; text: string }>): string {
  const h = createHash('sha256').update(`${FORMAT}\0ajv ${versionOf('ajv')}\0ajv-formats ${versionOf('ajv-formats')}\0`);
  for (const f of files) h.update(`${f.file}\0${f.text}\0`);
  return h.digest('hex');
}

/** Resolves a schema object by document id and property path (the registry's loaded documents). */
type SchemaAt = (doc: string, keys: string[]) => unknown;

interface GeneratedModule {
  stamp: string;
  create(schemaAt: SchemaAt, keywords: Record<string, unknown>): Record<string, ValidateFunction>;
}

/**
 * The precompiled validators (schema id -> function) for documents whose stamp is
 * `stamp`, or undefined when there is no generated module or it was made from others.
 */
export function loadPrecompiled(
  dir: string,
  stamp: string,
  docs: Map<string, Record<string, any>>,
  file: string = standalonePath(),
): Map<string, ValidateFunction> | undefined {
  void dir;
  let mod: GeneratedModule;
  try {
    if (!fs.existsSync(file)) return undefined;
    mod = require(file) as GeneratedModule;
  } catch {
    return undefined;
  }
  if (mod.stamp !== stamp || typeof mod.create !== 'function') return undefined;
  const schemaAt: SchemaAt = (doc, keys) => {
    let node: any = docs.get(doc);
    for (const k of keys) node = node?.[k];
    if (node === undefined) throw new Error(`precompiled schemas: nothing at ${doc} ${keys.join('/')}`);
    return node;
  };
  try {
    return new Map(Object.entries(mod.create(schemaAt, { 'x-runctl-duration': durationWithin })));
  } catch {
    return undefined;
  }
}

/**
 * Compile the kinds' schemas of `dir` and write them as a standalone module (for
 * `scripts/gen-startup.js`). Returns the file written and its size.
 */
export function writeStandalone(dir: string, root: string = packageRoot()): { file: string; bytes: number } {
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  const { _Code } = require('ajv/dist/compile/codegen/code') as typeof import('ajv/dist/compile/codegen/code');
  const files = readSchemaFiles(dir);
  const ajv = createAjv(true, true);
  // Where each object node of each document is, to name it in the generated code.
  const where = new Map<object, [string, string[]]>();
  const index = (node: unknown, doc: string, keys: string[]): void => {
    if (!node || typeof node !== 'object') return;
    if (!where.has(node)) where.set(node, [doc, keys]);
    for (const [k, v] of Object.entries(node)) index(v, doc, [...keys, k]);
  };
  const exportsById: Record<string, string> = {};
  for (const { file, schema } of files) {
    const id = schemaId(file, schema);
    ajv.addSchema(schema, id);
    index(schema, stripFragment(id), []);
    if (typeof schema.properties?.kind?.const === 'string') exportsById[id] = id;
  }
  for (const id of Object.keys(exportsById)) ajv.getSchema(id);
  // Point the code's schema constants at the loaded documents, and the custom keyword
  // at the function passed in, instead of inlined copies.
  const values = (ajv as unknown as { scope: { _values: Record<string, Map<unknown, { value?: { ref: unknown; code?: unknown } }>> } }).scope._values;
  for (const name of values.schema?.values() ?? []) {
    const at = name.value && where.get(name.value.ref as object);
    if (at) name.value!.code = new _Code(`schemaAt(${JSON.stringify(at[0])}, ${JSON.stringify(at[1])})`);
  }
  for (const name of values.keyword?.values() ?? []) {
    if (name.value?.ref === durationWithin) name.value.code = new _Code(`keywords["x-runctl-duration"]`);
  }
  const code = standaloneCode(ajv, exportsById);
  const text = [
    '// Generated by scripts/gen-startup.js from schemas/*.schema.json (src/validate/schema-standalone.ts). Do not edit.',
    "'use strict';",
    `exports.stamp = ${JSON.stringify(schemaStamp(files))};`,
    'exports.create = function create(schemaAt, keywords) {',
    'const exports = {};',
    '// Function keywords are called with the ajv instance as `this` (x-runctl-duration does not use it).',
    'const self = undefined;',
    code,
    'return exports;',
    '};',
    '',
  ].join('\n');
  const out = standalonePath(root);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  return { file: out, bytes: text.length };
}

function stripFragment(uri: string): string {
  const i = uri.indexOf('#');
  return i < 0 ? uri : uri.slice(0, i);
}
