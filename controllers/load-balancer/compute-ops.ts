/**
 * Helpers for Compute Engine v1 writes through the REST clients: waiting for global and
 * regional operations (and failing on an operation that ends DONE with `error`),
 * request IDs, and self-link handling (references come back as absolute self-links,
 * gcp-apis.md §3.2). A library, not a controller.
 */
import { createHash } from 'node:crypto';
import type { protos } from '@google-cloud/compute';
import type { ObserveContext } from '../../src/engine/controller';
import { RunctlError } from '../../src/engine/types';
import { digest } from '../shared/digest';

/** Where an operation lives: global unless `region` is set. */
export interface OpScope {
  project: string;
  region?: string;
}

/**
 * A UUID (version 8, name-based) from the given parts. The same parts always give the
 * same ID, so a retried call is recognised by the server as the same request.
 */
export function requestIdOf(...parts: unknown[]): string {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const PREFIXES = ['https://www.googleapis.com/compute/v1/', 'https://compute.googleapis.com/compute/v1/'];

/** `https://www.googleapis.com/compute/v1/projects/p/global/x/y` → `projects/p/global/x/y`. */
export function relPath(link: string | null | undefined): string {
  if (!link) return '';
  for (const p of PREFIXES) if (link.startsWith(p)) return link.slice(p.length);
  return link.replace(/^\/+/, '');
}

/** The last path segment of a self-link or path. */
export function lastSegment(link: string | null | undefined): string {
  return relPath(link).split('/').pop() ?? '';
}

/** The region segment of a regional self-link, or undefined for a global one. */
export function regionOf(link: string | null | undefined): string | undefined {
  const parts = relPath(link).split('/');
  const i = parts.indexOf('regions');
  return i >= 0 ? parts[i + 1] : undefined;
}

/** A Compute resource name of at most 63 characters: long names keep a hash of the whole. */
export function fitName(name: string): string {
  if (name.length <= 63) return name;
  return `${name.slice(0, 54).replace(/-+$/, '')}-${digest(name)}`;
}

type Operation = protos.google.cloud.compute.v1.IOperation;

/** The Compute operation inside a client's LRO result (`[wrapper, ...]`). */
function operationOf(result: unknown): Operation | null | undefined {
  const wrapper: unknown = Array.isArray(result) ? result[0] : result;
  const latest = typeof wrapper === 'object' && wrapper !== null ? (wrapper as { latestResponse?: unknown }).latestResponse : undefined;
  // The client's wrapper (or, without one, the result itself) holds a Compute Operation.
  return (latest ?? wrapper) as Operation | null | undefined;
}

/**
 * Wait until a Compute operation is DONE and throw when it ended with an error. The
 * client's wrapper `name` is the numeric id, so this waits on `latestResponse.name`;
 * `wait` may return before DONE (it blocks at most two minutes), hence the loop.
 */
export async function waitOperation(ctx: ObserveContext, result: unknown, scope: OpScope, what: string): Promise<Operation | null | undefined> {
  let op = operationOf(result);
  while (op && op.status !== 'DONE') {
    if (ctx.signal?.aborted) throw new RunctlError('ApiError', `${what}: cancelled while waiting for operation ${op.name}`);
    if (scope.region) {
      [op] = await ctx.clients.compute('RegionOperationsClient').wait({ project: scope.project, region: scope.region, operation: op.name });
    } else {
      [op] = await ctx.clients.compute('GlobalOperationsClient').wait({ project: scope.project, operation: op.name });
    }
  }
  const errors = op?.error?.errors ?? [];
  if (errors.length) {
    const detail = errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`.trim()).join('; ');
    throw new RunctlError('ApiError', `${what} failed: ${detail}`, { source: 'system' });
  }
  return op;
}
