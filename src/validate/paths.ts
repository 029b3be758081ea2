/**
 * Field paths: `['spec', 'volumes', 0, 'volume']` <-> `spec.volumes[0].volume`.
 * Keys that are not plain identifiers are quoted: `metadata.labels["app.kubernetes.io/name"]`.
 */
import type { FieldPath } from '../util/types';

const PLAIN = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Render a field path the way diagnostics show it. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Parse a dotted path back into segments. Accepts what `formatPath` writes and also the
 * loose `spec.volumes.0.volume` form (all-digit segments become indexes).
 */
export function parsePath(text: string): FieldPath {
  const out: FieldPath = [];
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(m[2]) as string);
    else if (m[3] !== undefined) out.push(/^\d+$/.test(m[3]) ? Number(m[3]) : m[3]);
  }
  return out;
}

/** Decode an ajv instancePath (JSON pointer), turning indexes into array data into numbers. */
export function pointerToPath(pointer: string, root: unknown): FieldPath {
  const out: FieldPath = [];
  let node: any = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = node && typeof node === 'object' ? node[seg] : undefined;
    }
  }
  return out;
}
