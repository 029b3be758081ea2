/**
 * `runctl export`: after the full manifests/ is applied, `export --all --out DIR` writes
 * one minimal manifest per resource that `diff` finds identical (exit 0) and that
 * `apply` writes nothing for; every field it prints was in the originals or is a
 * documented server-chosen one. Through the CLI against a standalone emulator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';

const REPO = path.resolve(__dirname, '../..');

/** Every leaf path of a value (`spec.scaling.maxInstances`, list items by index). */
function leaves(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${prefix}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

describe('export --all after manifests/ is applied', () => {
  let h: Harness;
  let out: string;
  const originals = new Map<string, Record<string, any>>();
  beforeAll(async () => {
    h = await startHarness();
    const dir = path.join(h.dir, 'manifests');
    fs.cpSync(path.join(REPO, 'manifests'), dir, { recursive: true });
    for (const f of fs.readdirSync(dir).filter((x) => /\.ya?ml$/.test(x))) {
      for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
        const m = d.toJS();
        originals.set(`${m.kind}/${m.metadata.name}`, m);
      }
    }
    const applied = await h.cli(['apply', '-f', dir]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    out = path.join(h.dir, 'exported');
    const r = await h.cli(['export', '--all', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => h?.close());

  const exported = () =>
    fs.readdirSync(out).map((f) => ({ file: f, text: fs.readFileSync(path.join(out, f), 'utf8'), doc: YAML.parse(fs.readFileSync(path.join(out, f), 'utf8')) }));

  it('writes one file per resource of the originals, named by kind and name', () => {
    const files = exported();
    expect(files.map((f) => `${f.doc.kind}/${f.doc.metadata.name}`).sort()).toEqual([...originals.keys()].sort());
    for (const f of files) expect(f.file).toBe(`${f.doc.kind.toLowerCase()}-${f.doc.metadata.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '_')}.yaml`);
  });

  it('diff finds them identical and apply writes nothing', async () => {
    const diff = await h.cli(['diff', '-f', out]);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    await h.resetStats();
    const applied = await h.cli(['apply', '-f', out]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await h.stats()).writes).toBe(0);
  });

  it('prints no status, no runctl labels and no field the originals did not write, beyond documented server-chosen ones', () => {
    // Server-chosen: where a kind lives (region) and names Google gives (a revision, an image digest tag).
    const SERVER_CHOSEN = new Set(['spec.region', 'spec.location']);
    for (const { doc, text } of exported()) {
      const key = `${doc.kind}/${doc.metadata.name}`;
      expect(doc.status, key).toBeUndefined();
      expect(text, key).not.toMatch(/managed-by|runctl-set/);
      expect(text, key).toMatch(/^# /);
      const original = originals.get(key)!;
      const allowed = new Set(leaves(original).filter((p) => p.startsWith('spec.') || p.startsWith('metadata.')).map((p) => p.replace(/\[\d+\]/g, '[]')));
      const extra = leaves(doc)
        .filter((p) => p.startsWith('spec.') || p.startsWith('metadata.'))
        .map((p) => p.replace(/\[\d+\]/g, '[]'))
        .filter((p) => !allowed.has(p) && !SERVER_CHOSEN.has(p));
      expect(extra, `${key}:\n${text}`).toEqual([]);
    }
  });

  it('export KIND NAME... prints those on stdout (yaml and json) with the Volumes they mount, and a name that does not exist is an error', async () => {
    const y = await h.cli(['export', 'services', 'jokes', 'gradio']);
    expect(y.code, y.stderr).toBe(0);
    const docs = YAML.parseAllDocuments(y.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Service/gradio', 'Service/jokes', 'Volume/gradio-data']);
    // The bucket runctl made is exported as its Volume lists it (created and owned), not as a bare mount.
    expect(docs[2].spec).toEqual(originals.get('Volume/gradio-data')!.spec);
    const j = await h.cli(['export', 'service', 'jokes', '-o', 'json']);
    expect(JSON.parse(j.stdout).map((m: any) => m.metadata.name)).toEqual(['jokes']);
    const diff = await h.cli(['diff', '-f', '-'], { stdin: j.stdout });
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    const missing = await h.cli(['export', 'service', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope not found/);
  });

  it('--region narrows the regional kinds', async () => {
    const r = await h.cli(['export', 'services', '--region', 'europe-west4', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const all = await h.cli(['export', 'gpumodels', '--region', 'europe-west4', '-o', 'json']);
    expect(JSON.parse(all.stdout).map((m: any) => m.metadata.name)).toEqual(['ollama-gemma']);
  });
});
