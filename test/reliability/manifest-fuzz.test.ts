/**
 * Hostile and broken manifests, generated with fast-check: malformed YAML, alias bombs,
 * very large and deeply nested documents, and a wrong type at any field of every
 * example manifest. runctl exits 1 with a clear message — never a stack trace, never a
 * hang, never a write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness';
import { allowedTypes, pathsOf, setAt, wrongValue } from './schema-types';

const ROOT = path.resolve(__dirname, '../..');
/** No single run may take longer than this: a hang fails the property. */
const HANG_MS = 10_000;

describe('hostile manifests', () => {
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  /** Apply `files` (name → text) in a fresh directory; the run must fail cleanly. */
  async function expectCleanFailure(files: Record<string, string>): Promise<string> {
    const dir = path.join(h.dir, `case-${++n}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      h.cli(['apply', '-f', dir, '--yes']),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`runctl did not finish within ${HANG_MS} ms`)), HANG_MS))),
    ]).finally(() => clearTimeout(timer));
    expect(r.code, r.stderr).toBe(1);
    // A clear message: an error line with a stable code, no stack trace, no crash.
    expect(r.stderr).toMatch(/^error: .+ \[[A-Za-z]+\]$/m);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error|TypeError|RangeError|ReferenceError/);
    expect(h.emu.core.stats.writes).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
    return r.stderr;
  }

  it('malformed YAML', async () => {
    const token = fc.constantFrom('{', '}', '[', ']', ': ', ':', '- ', '-', '&a ', '*a', '*b', '!!binary ', '!tag ', '|', '>', "'", '"', '\n', '  ', '\t', '---\n', '...\n', 'key', 'kind', 'apiVersion: runctl.dev/v1alpha1\n', '%YAML 1.2\n', '? ', '#', '@', '`', ',', '\u0000', '\uFEFF', 'é');
    await fc.assert(
      fc.asyncProperty(fc.array(token, { minLength: 1, maxLength: 60 }).map((t) => t.join('')), async (text) => {
        // Comments and empty documents only: an empty set, nothing to apply or refuse.
        const hasContent = (d: any) => {
          try {
            return d.errors?.length > 0 || d.toJS() != null;
          } catch {
            return true; // an unresolved alias: broken, and runctl must say so
          }
        };
        fc.pre(YAML.parseAllDocuments(text).some(hasContent));
        await expectCleanFailure({ 'bad.yaml': text });
      }),
      { numRuns: 60 },
    );
  });

  it('alias bombs ("billion laughs")', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 3, max: 12 }), fc.integer({ min: 2, max: 12 }), async (depth, fanout) => {
        const lines = ['apiVersion: runctl.dev/v1alpha1', 'kind: Service', 'metadata: {name: bomb}', 'x0: &x0 ["lol"]'];
        for (let i = 1; i <= depth; i++) lines.push(`x${i}: &x${i} [${Array.from({ length: fanout }, () => `*x${i - 1}`).join(', ')}]`);
        lines.push(`spec: {image: gcr.io/p/i:1, args: *x${depth}}`);
        const err = await expectCleanFailure({ 'bomb.yaml': lines.join('\n') + '\n' });
        // A real bomb is stopped at the aliases; a small one expands and fails validation.
        if (fanout ** depth >= 10_000) expect(err).toMatch(/alias/i);
      }),
      { numRuns: 12 },
    );
  });

  it('deeply nested documents', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 200, max: 60_000 }), fc.constantFrom('flow-seq', 'flow-map', 'block'), async (depth, style) => {
        let nested: string;
        if (style === 'flow-seq') nested = '['.repeat(depth) + ']'.repeat(depth);
        else if (style === 'flow-map') nested = '{a: '.repeat(depth) + '1' + '}'.repeat(depth);
        else {
          const d = Math.min(depth, 1500);
          nested = '\n' + Array.from({ length: d }, (_, i) => `${' '.repeat(2 * (i + 2))}a:`).join('\n') + ' 1';
        }
        await expectCleanFailure({ 'deep.yaml': `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: deep}\nspec:\n  image: gcr.io/p/i:1\n  env: ${nested}\n` });
      }),
      { numRuns: 12 },
    );
  });

  it('very large documents and sets', async () => {
    // A file over the size limit: refused before it is parsed.
    const huge = `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: huge}\nspec: {image: "${'x'.repeat(9 * 1024 * 1024)}"}\n`;
    expect(await expectCleanFailure({ 'huge.yaml': huge })).toMatch(/larger than/);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1000, max: 3000 }), fc.integer({ min: 1, max: 200_000 }), async (docs, stringLength) => {
        // Thousands of documents, each with a long string where a number belongs.
        const one = (i: number) => `apiVersion: runctl.dev/v1alpha1\nkind: Service\nmetadata: {name: big-${i}}\nspec: {image: gcr.io/p/i:1, port: "${'9'.repeat(i === 0 ? stringLength : 3)}x"}\n`;
        await expectCleanFailure({ 'big.yaml': Array.from({ length: docs }, (_, i) => one(i)).join('---\n') });
      }),
      { numRuns: 4 },
    );
  });

  it('a wrong type at any field of any example manifest', async () => {
    const examples = fs
      .readdirSync(path.join(ROOT, 'manifests'))
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(ROOT, 'manifests', f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() })));
    // Every (document, field) whose schema type is known: those are where a wrong type must be refused.
    const targets = examples.flatMap((e, i) => pathsOf(e.doc).map((p) => ({ i, p, allowed: allowedTypes(e.doc.kind, p) })).filter((t) => t.allowed !== 'any'));
    expect(targets.length).toBeGreaterThan(50);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets).chain((t) => wrongValue(t.allowed as Set<string>).map((v) => ({ ...t, v }))),
        async ({ i, p, v }) => {
          const files: Record<string, string> = {};
          examples.forEach((e, j) => (files[`${j}-${e.file}`] = YAML.stringify(j === i ? setAt(e.doc, p, v) : e.doc)));
          const err = await expectCleanFailure(files);
          // The message points at the document that is wrong.
          expect(err).toContain(`${i}-${examples[i].file}`);
        },
      ),
      { numRuns: 80 },
    );
  });
});
