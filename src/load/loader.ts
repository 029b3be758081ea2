/**
 * Loading manifests: files, directories and standard input, multi-document YAML, with
 * source positions kept for every field. Problems become diagnostics — the loader never
 * throws on bad input, and reports the problems of every file, not just the first.
 */
import { isCollection, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { Diagnostic, FieldPath, LoadedManifest, Manifest, SourcePos } from '../util/types';
import { expandPaths, type Source } from './files';
import { attachLocator, attachSource, makeLocator } from './positions';
import { decodeUtf8, readBytes, type ReadBudget } from './read';
import { checkDocument, isStackOverflow, MAX_DEPTH } from './yaml-checks';

export { keyPositionOf, manifestPosition } from './positions';

/** Limits that keep a hostile or mistaken input from exhausting memory. */
export const LOAD_LIMITS = {
  /** Largest file (or standard input) read, in bytes. */
  maxBytes: 8 * 1024 * 1024,
  /** Most bytes of a whole manifest set (every file of every -f together). */
  maxTotalBytes: 16 * 1024 * 1024,
  /** Deepest nesting of lists and mappings. */
  maxDepth: MAX_DEPTH,
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
  /** Standard input (`-f -`) was read and held no manifest at all (an empty pipe). */
  emptyStdin?: boolean;
}

/** Load every manifest named by `paths` (files, directories, `-`). */
export async function loadManifests(paths: string[], io: LoadIo = {}): Promise<LoadResult> {
  const cwd = io.cwd ?? process.cwd();
  const resources: LoadedManifest[] = [];
  const diagnostics: Diagnostic[] = [];
  const { sources, missing } = await expandPaths(paths, cwd);
  for (const p of missing) diagnostics.push({ code: 'Usage', message: `${p}: no such file or directory` });
  const budget: ReadBudget = { maxFileBytes: LOAD_LIMITS.maxBytes, maxTotalBytes: LOAD_LIMITS.maxTotalBytes, remaining: LOAD_LIMITS.maxTotalBytes };
  let emptyStdin: boolean | undefined;
  for (const src of sources) {
    let read;
    try {
      read = await readBytes(src, budget, io.stdin);
    } catch (err) {
      diagnostics.push({ code: 'Usage', message: `${src.display}: cannot read: ${(err as Error).message}` });
      continue;
    }
    if ('diagnostic' in read) {
      diagnostics.push(read.diagnostic);
      // Over the set's total: the rest is not read either (one message, not one per file).
      if (read.setFull) break;
      continue;
    }
    const parsed = parseManifestBytes(read.bytes, src.display);
    resources.push(...parsed.resources);
    diagnostics.push(...parsed.diagnostics);
    if (src.abs === '-') emptyStdin = !parsed.resources.length && !parsed.diagnostics.length;
  }
  return { resources, diagnostics, emptyStdin };
}

/** Parse the bytes of one file: strict UTF-8 first, then YAML (see parseManifests). */
export function parseManifestBytes(bytes: Buffer, file: string): LoadResult {
  const decoded = decodeUtf8(bytes, file);
  if ('diagnostic' in decoded) return { resources: [], diagnostics: [decoded.diagnostic] };
  return parseManifests(decoded.text, file);
}

/**
 * Parse the text of one file (exported for callers holding text already, e.g. `sync`
 * reading a Git tree). `file` is the name diagnostics show.
 */
export function parseManifests(text: string, file: string): LoadResult {
  const resources: LoadedManifest[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = new LineCounter();
  const pos = (offset: number): SourcePos => ({ file, ...lines.linePos(offset) });
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, merge: true, prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    if (!isStackOverflow(err)) throw err;
    return { resources, diagnostics: [{ code: 'NestingTooDeep', message: tooDeep, pos: pos(0) }] };
  }
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > LOAD_LIMITS.maxDocuments) {
    diagnostics.push({ code: 'InvalidValue', message: `more than ${LOAD_LIMITS.maxDocuments} documents in one file`, pos: pos(0) });
    return { resources, diagnostics };
  }
  for (const doc of list) {
    if (doc.errors.length > 0) {
      // Later errors in the same document are nearly always knock-on effects of the first.
      const err = doc.errors[0];
      if (isStackOverflow(err.message)) diagnostics.push({ code: 'NestingTooDeep', message: tooDeep, pos: pos(err.pos[0]) });
      else diagnostics.push({ code: 'YamlSyntax', message: cleanMessage(err.message), pos: pos(err.pos[0]) });
      continue;
    }
    const contents = doc.contents as Node | null;
    if (contents === null || contents === undefined) continue; // empty document: `---` alone, comments
    const docPos = pos(contents.range?.[0] ?? doc.range[0]);
    // Unknown tags and runaway nesting (first: the walks below recurse): the document is not turned into data at all
    // (one diagnostic per offending value, and none of the schema errors it would cause).
    const problems = checkDocument(doc);
    if (problems.length) {
      for (const p of problems) diagnostics.push({ code: p.kind, message: p.message, pos: pos(p.offset) });
      continue;
    }
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
      if (isStackOverflow(err)) diagnostics.push({ code: 'NestingTooDeep', message: tooDeep, pos: docPos });
      else diagnostics.push({ code: 'YamlSyntax', message: cleanMessage((err as Error).message), pos: docPos });
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

const tooDeep = `nesting too deep: more than ${MAX_DEPTH} levels of lists and mappings`;

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
