import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createAjv } from '../../src/validate/ajv';
import { loadPrecompiled, schemaStamp, standalonePath, writeStandalone } from '../../src/validate/schema-standalone';
import { readSchemaFiles, schemaId } from '../../src/validate/schema-files';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'schemas');
// Inside the package, so the generated module's require("ajv/...") resolves.
const TMP = fs.mkdtempSync(path.join(ROOT, '.standalone-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

const files = readSchemaFiles(DIR);
const docs = new Map(files.map(({ file, schema }) => [schemaId(file, schema).replace(/#.*$/, ''), schema]));
const { file: generated } = writeStandalone(DIR, TMP);
const precompiled = loadPrecompiled(DIR, schemaStamp(files), docs, generated)!;
const compiler = createAjv();
for (const { file, schema } of files) compiler.addSchema(schema, schemaId(file, schema));

/** Manifests to validate: the fixtures, valid and invalid, and mutations of the valid ones. */
function samples(): unknown[] {
  const out: unknown[] = [];
  for (const sub of ['valid', 'invalid']) {
    const dir = path.join(ROOT, 'test', 'fixtures', sub);
    for (const f of fs.readdirSync(dir)) {
      try {
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) out.push(doc.toJS());
      } catch {
        /* a malformed fixture: nothing to validate */
      }
    }
  }
  const mutations: Array<(m: any) => void> = [
    (m) => (m.spec.unknownField = 1),
    (m) => (m.metadata.name = 'Not A Name'),
    (m) => (m.spec = 'a string'),
    (m) => delete m.spec,
    (m) => (m.spec.timeout = '99999s'),
    (m) => (m.spec.timeout = 'soon'),
    (m) => (m.spec.scaling = { minInstances: -1, maxInstances: 'many' }),
    (m) => (m.spec.region = 42),
    (m) => (m.metadata.labels = { 'Bad Key': 'x' }),
  ];
  for (const base of [...out]) {
    if (!base || typeof base !== 'object' || !('spec' in base)) continue;
    for (const mutate of mutations) {
      const m = structuredClone(base) as any;
      mutate(m);
      out.push(m);
    }
  }
  return out;
}

describe('precompiled schema validators (ajv standalone)', () => {
  it('exist for every kind schema', () => {
    const kinds = files.filter((f) => typeof f.schema.properties?.kind?.const === 'string').map((f) => schemaId(f.file, f.schema));
    expect([...precompiled.keys()].sort()).toEqual(kinds.sort());
  });

  it('give the same verdict and the same errors as compiling, down to the schema objects', () => {
    let invalid = 0;
    for (const m of samples()) {
      for (const id of precompiled.keys()) {
        const pre = precompiled.get(id)!;
        const compiled = compiler.getSchema(id)!;
        const ok = pre(m);
        expect(ok).toBe(compiled(m));
        expect(pre.errors ?? null).toEqual(compiled.errors ?? null);
        // schema-errors.ts looks branches up by identity: the very same objects.
        (pre.errors ?? []).forEach((e, i) => {
          expect(e.parentSchema).toBe(compiled.errors![i].parentSchema);
          if (e.schema && typeof e.schema === 'object') expect(e.schema).toBe(compiled.errors![i].schema);
        });
        if (!ok) invalid++;
      }
    }
    expect(invalid).toBeGreaterThan(20);
  });

  it('are not used for schema files other than the ones they were made from', () => {
    const edited = files.map((f) => (f.file === 'service.schema.json' ? { ...f, text: `${f.text} ` } : f));
    expect(loadPrecompiled(DIR, schemaStamp(edited), docs, generated)).toBeUndefined();
    expect(loadPrecompiled(DIR, schemaStamp(files), docs, path.join(TMP, 'missing.js'))).toBeUndefined();
  });

  it('are written where the registry looks for them', () => {
    expect(standalonePath(TMP)).toBe(generated);
  });
});
