/**
 * Source positions of fields inside a parsed YAML document, so every diagnostic can say
 * `file:line:column` of the value a person has to fix.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { FieldPath, LoadedManifest, Manifest, SourcePos } from '../util/types';

/** Where one path lands: the value node and, inside a mapping, the key node. */
interface Hit {
  key?: Node;
  value?: Node | null;
}

export interface Locator {
  /** Value position (key position for collections and empty values); falls back to the closest ancestor. */
  valueAt(path: FieldPath): SourcePos;
  /** Position of the field's key; falls back like `valueAt`. */
  keyAt(path: FieldPath): SourcePos;
}

const KEY_LOCATOR = Symbol.for('runctl.keyLocator');

/** Attach the key locator to a loaded manifest (non-enumerable: it is not data). */
export function attachLocator(lm: LoadedManifest, loc: Locator): void {
  Object.defineProperty(lm, KEY_LOCATOR, { value: loc, enumerable: false });
}

const MANIFEST_SOURCE = Symbol.for('runctl.manifestSource');

/**
 * Remember where a manifest was loaded from, on the manifest object itself (a
 * non-enumerable symbol: not data, not serialised, not copied by spreads), so steps
 * after validation (planning) can still name `file:line:column`.
 */
export function attachSource(lm: LoadedManifest): void {
  Object.defineProperty(lm.manifest, MANIFEST_SOURCE, { value: lm, enumerable: false, configurable: true });
}

/**
 * Position of the value at `path` in the file a manifest came from; undefined for
 * manifests not from the loader (saved plans, tests building objects).
 */
export function manifestPosition(m: Manifest, path: FieldPath): SourcePos | undefined {
  const lm = (m as any)[MANIFEST_SOURCE] as LoadedManifest | undefined;
  return lm?.positionOf(path);
}

/**
 * Position of the key of the field at `path` (`imagee:` rather than its value), for
 * manifests from the loader; other manifests fall back to `positionOf`.
 */
export function keyPositionOf(lm: LoadedManifest, path: FieldPath): SourcePos {
  const loc = (lm as any)[KEY_LOCATOR] as Locator | undefined;
  return loc ? loc.keyAt(path) : lm.positionOf(path);
}

/** Build a locator for one document. */
export function makeLocator(doc: Document, lines: LineCounter, file: string, docPos: SourcePos): Locator {
  const at = (offset: number | undefined): SourcePos => {
    if (offset === undefined) return docPos;
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const walk = (path: FieldPath): Hit[] => {
    const hits: Hit[] = [];
    let node: unknown = doc.contents;
    for (const seg of path) {
      node = deref(node, doc);
      let hit: Hit | undefined;
      if (isMap(node)) {
        const pair = findPair(node.items as Pair[], seg, doc);
        if (pair) hit = { key: pair.key as Node, value: pair.value as Node | null };
      } else if (isSeq(node)) {
        const i = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
        if (i >= 0 && i < node.items.length) hit = { value: node.items[i] as Node };
      }
      if (!hit) break;
      hits.push(hit);
      node = hit.value;
    }
    return hits;
  };
  const keyOrValue = (hit: Hit): SourcePos => at((hit.key ?? hit.value)?.range?.[0]);
  return {
    valueAt(path) {
      const hits = walk(path);
      const last = hits[hits.length - 1];
      if (!last) return path.length === 0 ? at((doc.contents as Node | null)?.range?.[0]) : docPos;
      const v = last.value;
      // An implicit null (`key:` and nothing) has an empty range after the colon.
      const scalarValue = v && (isScalar(v) || isAlias(v)) && v.range && v.range[1] > v.range[0];
      if (hits.length === path.length && scalarValue) return at(v.range![0]);
      return keyOrValue(last);
    },
    keyAt(path) {
      const hits = walk(path);
      const last = hits[hits.length - 1];
      return last ? keyOrValue(last) : docPos;
    },
  };
}

function deref(node: unknown, doc: Document): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** The pair for `key` in a mapping, looking through `<<` merge keys. */
function findPair(items: Pair[], key: string | number, doc: Document): Pair | undefined {
  const want = String(key);
  for (const pair of items) {
    if (isPair(pair) && isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === want) return pair;
  }
  for (const pair of items) {
    // With `merge: true` the parser gives `<<` keys a symbol value; `source` keeps the text.
    if (!isPair(pair) || !isScalar(pair.key) || pair.key.source !== '<<') continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const src of sources) {
      const target = deref(src, doc);
      if (isMap(target)) {
        const found = findPair(target.items as Pair[], key, doc);
        if (found) return found;
      }
    }
  }
  return undefined;
}
