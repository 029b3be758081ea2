/**
 * Checks on a parsed YAML document before it becomes data: only the plain YAML types
 * (tags such as `!!binary`, `!!js/function` or `!custom` are refused rather than
 * silently turned into strings or byte arrays), and a bounded nesting depth (so a
 * hostile file gets "nesting too deep", not a stack overflow anywhere downstream).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/** Deepest nesting of mappings and lists accepted; manifests need about ten. */
export const MAX_DEPTH = 64;

const CORE = 'tag:yaml.org,2002:';
/** Tags of the YAML core schema's plain types (and merge keys, `<<`). */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq', 'merge'].map((t) => CORE + t));

/** A problem found, at a source offset. */
export interface YamlProblem {
  kind: 'UnknownTag' | 'NestingTooDeep';
  message: string;
  offset: number;
}

/** `!!binary` for `tag:yaml.org,2002:binary`; other tags as written. */
function shortTag(tag: string): string {
  return tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
}

/**
 * Walk the document without recursion: one problem per tagged node (an unknown tag on a
 * collection is reported once, not again for what it contains), and the first node
 * deeper than MAX_DEPTH.
 */
export function checkDocument(doc: Document): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 0 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (!node || isAlias(node)) continue;
    if (isPair(node)) {
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    const n = node as Node;
    const offset = n.range?.[0] ?? 0;
    if (n.tag && n.tag !== '!' && !PLAIN_TAGS.has(n.tag)) {
      problems.push({
        kind: 'UnknownTag',
        message: `unknown YAML tag ${shortTag(n.tag)}: manifests hold plain strings, numbers, booleans, lists and mappings; remove the tag (quote the value if it is text)`,
        offset,
      });
      continue;
    }
    if (isScalar(n)) continue;
    if (isMap(n) || isSeq(n)) {
      if (depth + 1 > MAX_DEPTH) {
        problems.push({ kind: 'NestingTooDeep', message: `nesting too deep: more than ${MAX_DEPTH} levels of lists and mappings`, offset });
        // One report per document: everything below is deeper still.
        return problems;
      }
      for (let i = n.items.length - 1; i >= 0; i--) stack.push({ node: n.items[i], depth: depth + 1 });
    }
  }
  return problems;
}

/** True for the error a parser or a recursive walk raises on runaway nesting. */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError || /Maximum call stack size exceeded/.test(String((err as Error)?.message ?? err));
}
