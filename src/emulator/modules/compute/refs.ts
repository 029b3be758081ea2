/**
 * References between Compute resources. The API accepts full URLs or partial paths
 * (`projects/p/global/...`, `global/...`, `regions/r/...`) and always returns full
 * self-links; a referenced resource must exist (404 otherwise) and be done creating.
 */
import type { ComputeState } from './state';
import { selfLink, collectionOf } from './state';
import { invalid, notFound, notReady } from './errors';

const URL_PREFIXES = [
  'https://www.googleapis.com/compute/v1/',
  'https://compute.googleapis.com/compute/v1/',
  'http://www.googleapis.com/compute/v1/',
  '//compute.googleapis.com/',
];

const GLOBAL_RE = /^projects\/[a-z0-9:.-]+\/global\/[A-Za-z]+\/[a-z0-9-]+$/;
const REGIONAL_RE = /^projects\/[a-z0-9:.-]+\/(regions|zones)\/[a-z0-9-]+\/[A-Za-z]+\/[a-z0-9-]+$/;

/** The relative path a reference names, or undefined when it is malformed. */
export function parseRef(value: string, project: string): string | undefined {
  let v = value.trim();
  for (const p of URL_PREFIXES) {
    if (v.startsWith(p)) {
      v = v.slice(p.length);
      break;
    }
  }
  if (/^(global|regions|zones)\//.test(v)) v = `projects/${project}/${v}`;
  return GLOBAL_RE.test(v) || REGIONAL_RE.test(v) ? v : undefined;
}

/** Whether a path is the target of an insert that has not completed yet. */
export function pendingInsert(st: ComputeState, rel: string): boolean {
  for (const rec of Object.values(st.ops)) {
    if (rec.op.status === 'DONE' || rec.failure) continue;
    if (rec.writes.some((w) => w.path === rel && w.value !== null) && !st.resources[rel]) return true;
  }
  return false;
}

/**
 * Resolve a reference field: check its shape and collection, check the resource exists,
 * and return its self-link.
 */
export function resolveRef(st: ComputeState, project: string, field: string, value: unknown, collections: string[]): string {
  if (typeof value !== 'string' || !value) throw invalid(field, value, 'The URL is malformed.');
  const rel = parseRef(value, project);
  if (!rel) throw invalid(field, value, 'The URL is malformed.');
  if (!collections.includes(collectionOf(rel))) {
    throw invalid(field, value, `Expected a reference to a resource of type ${collections.join(' or ')}.`);
  }
  if (!st.resources[rel]) throw pendingInsert(st, rel) ? notReady(rel) : notFound(rel);
  return selfLink(rel);
}
