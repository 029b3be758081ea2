/**
 * Loading manifests: files, directories and standard input, multi-document YAML, with
 * source positions kept for every field. Problems become diagnostics — the loader never
 * throws on bad input, and reports the problems of every file, not just the first.
 */
import { promises as fsp } from 'node:fs';
import { isCollection, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { Diagnostic, FieldPath, LoadedManifest, Manifest, SourcePos } from '../engine/types';
import { expandPaths, type Source } from './files';
import { attachLocator, attachSource, makeLocator } from './positions';

export { keyPositionOf, manifestPosition } from './positions';

/** Limits that keep a hostile or mistaken input from exhausting memory. */
export const LOAD_LIMITS = {
  /** Largest file (or standard input) read, in bytes. */
  maxBytes: 8 * 1024 * 1024,
  /** Most alias dereferences per document (YAML "billion laughs"). */
  maxAliasCount: 100,
  /** Most documents per file. */
  maxDocuments: 10_000,
};

export interface LoadIo {
  /** Read for the path `-`. @default process.stdin */
  stdin?: NodeJS.ReadableStream;
  /** Relative paths resolve against this. @default process.cwd() */
  cwd?: string;
}

export interface LoadResult {
  resources: LoadedManifest[];
  diagnostics: Diagnostic[];
}

/** Load every manifest named by `paths` (files, directories, `-`). */
export async function loadManifests(paths: string[], io: LoadIo = {}): Promise<LoadResult> {
  const cwd = io.cwd ?? process.cwd();
  const resources: LoadedManifest[] = [];
  const diagnostics: Diagnostic[] = [];
  const { sources, missing } = await expandPaths(paths, cwd);
  for (const p of missing) diagnostics.push({ code: 'Usage', message: `${p}: no such file or directory` });
  for (const src of sources) {
    const text = await readSource(src, io, diagnostics);
    if (text === undefined) continue;
    const parsed = parseManifests(text, src.display);
    resources.push(...parsed.resources);
    diagnostics.push(...parsed.diagnostics);
  }
  return { resources, diagnostics };
}

async function readSource(src: Source, io: LoadIo, diagnostics: Diagnostic[]): Promise<string | undefined> {
  const tooBig = (): undefined => {
    diagnostics.push({
      code: 'InvalidValue',
      message: `${src.display}: larger than ${LOAD_LIMITS.maxBytes} bytes; refusing to read it`,
      pos: { file: src.display, line: 1, col: 1 },
    });
    return undefined;
  };
  try {
    if (src.abs === '-') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of io.stdin ?? process.stdin) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        size += buf.length;
        if (size > LOAD_LIMITS.maxBytes) return tooBig();
        chunks.push(buf);
      }
      return Buffer.concat(chunks).toString('utf8');
    }
    const stat = await fsp.stat(src.abs);
    if (stat.size > LOAD_LIMITS.maxBytes) return tooBig();
    return await fsp.readFile(src.abs, 'utf8');
  } catch (err) {
    diagnostics.push({ code: 'Usage', message: `${src.display}: cannot read: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * Parse the text of one file (exported for callers holding text already, e.g. `sync`
 * reading a Git tree). `file` is the name diagnostics show.
 */
export function parseManifests(text: string, file: string): LoadResult {
  const resources: LoadedManifest[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, merge: true, prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const pos = (offset: number): SourcePos => ({ file, ...lines.linePos(offset) });
  if (list.length > LOAD_LIMITS.maxDocuments) {
    diagnostics.push({ code: 'InvalidValue', message: `more than ${LOAD_LIMITS.maxDocuments} documents in one file`, pos: pos(0) });
    return { resources, diagnostics };
  }
  for (const doc of list) {
    if (doc.errors.length > 0) {
      // Later errors in the same document are nearly always knock-on effects of the first.
      const err = doc.errors[0];
      diagnostics.push({ code: 'YamlSyntax', message: cleanMessage(err.message), pos: pos(err.pos[0]) });
      continue;
    }
    const contents = doc.contents as Node | null;
    if (contents === null || contents === undefined) continue; // empty document: `---` alone, comments
    const docPos = pos(contents.range?.[0] ?? doc.range[0]);
    const complexKey = findCollectionKey(doc);
    if (complexKey !== undefined) {
      // `? [a, b]: x` is valid YAML but not JSON; toJS would stringify it with a warning.
      diagnostics.push({ code: 'YamlSyntax', message: 'mapping keys must be plain scalars (a list or mapping was used as a key)', pos: pos(complexKey) });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: LOAD_LIMITS.maxAliasCount });
    } catch (err) {
      diagnostics.push({ code: 'YamlSyntax', message: cleanMessage((err as Error).message), pos: docPos });
      continue;
    }
    if (value === null || value === undefined) continue;
    // A list of manifests is what `runctl get KIND -o json` prints: each item is a document.
    const items = Array.isArray(value) && value.length && value.every(isMapping) ? value : [value];
    items.forEach((item, i) => {
      if (!isMapping(item)) {
        diagnostics.push({
          code: 'SchemaViolation',
          message: `a manifest must be a mapping with apiVersion, kind, metadata and spec (got ${Array.isArray(item) ? 'a list' : JSON.stringify(item)})`,
          pos: docPos,
        });
        return;
      }
      const manifest = item as unknown as Manifest & { status?: unknown };
      // `status` is output only (`get -o yaml` prints it): accepted and ignored, as kubectl does.
      delete manifest.status;
      resources.push(toLoaded(manifest, doc, lines, file, docPos, items === value ? [i] : []));
    });
  }
  return { resources, diagnostics };
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toLoaded(manifest: Manifest, doc: Document, lines: LineCounter, file: string, docPos: SourcePos, prefix: FieldPath = []): LoadedManifest {
  const base = makeLocator(doc, lines, file, docPos);
  const locator = prefix.length ? { valueAt: (p: FieldPath) => base.valueAt([...prefix, ...p]), keyAt: (p: FieldPath) => base.keyAt([...prefix, ...p]) } : base;
  const pos = prefix.length ? locator.valueAt([]) : docPos;
  const lm: LoadedManifest = { manifest, file, pos, positionOf: (path) => locator.valueAt(path) };
  attachLocator(lm, locator);
  attachSource(lm);
  return lm;
}

/** yaml's messages end with "at line L, column C:" and a code excerpt; we print positions ourselves. */
function cleanMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

/** Offset of the first mapping key that is a collection, if any. */
function findCollectionKey(doc: Document): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Pair(_key, pair) {
      if (isCollection(pair.key)) {
        found = (pair.key as Node).range?.[0] ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
