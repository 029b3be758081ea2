/**
 * Compute Engine state and the small formats every resource shares: relative paths and
 * self-links, numeric ids, RFC 3339 timestamps, fingerprints and test-range IP addresses.
 * All of it lives in `core.ns('compute')` and is plain JSON, so it persists as is.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';

/** Prefix of every self-link the real API returns. */
export const SELF_LINK_BASE = 'https://www.googleapis.com/compute/v1/';

/** A pending write of a long-running operation: a resource value, or null to delete it. */
export interface PendingWrite {
  path: string;
  value: Record<string, any> | null;
}

/** A Compute operation with what it will do when it is done. */
export interface OpRecord {
  /** The public `compute#operation` JSON. */
  op: Record<string, any>;
  /** Simulated time (ms) at which the operation is done. */
  doneAt: number;
  /** Applied when the operation completes without error. */
  writes: PendingWrite[];
  /** Set when the operation is to fail (fault injection). */
  failure?: { grpcCode: number; message: string; reason?: string };
}

/** Everything the Compute module stores. */
export interface ComputeState {
  /** Resources by relative path, e.g. `projects/p/global/backendServices/bs`. */
  resources: Record<string, Record<string, any>>;
  /** Operations by relative path, e.g. `projects/p/global/operations/operation-...`. */
  ops: Record<string, OpRecord>;
  /** `project/requestId` → operation path, for idempotent retries. */
  requests: Record<string, string>;
  /** Next reserved-address and ephemeral-address counters. */
  nextAddress: number;
  nextEphemeral: number;
}

/** The Compute namespace of the emulator state. */
export function computeState(core: EmulatorCore): ComputeState {
  const st = core.ns<ComputeState>('compute', () => ({ resources: {}, ops: {}, requests: {}, nextAddress: 0, nextEphemeral: 0 }));
  st.resources ??= {};
  st.ops ??= {};
  st.requests ??= {};
  st.nextAddress ??= 0;
  st.nextEphemeral ??= 0;
  return st;
}

/** Self-link of a relative path. */
export function selfLink(rel: string): string {
  return SELF_LINK_BASE + rel;
}

/** Relative path of a self-link (or the input when it is already relative). */
export function relOf(link: string): string {
  return link.startsWith(SELF_LINK_BASE) ? link.slice(SELF_LINK_BASE.length) : link;
}

/** The collection of a relative path (`backendServices`, `networkEndpointGroups`, ...). */
export function collectionOf(rel: string): string {
  const seg = rel.split('/');
  return seg[2] === 'global' ? seg[3] : seg[4];
}

/** The project of a relative path. */
export function projectOf(rel: string): string {
  return rel.split('/')[1];
}

/** Parent path of a collection: `projects/p/global/C` or `projects/p/regions/r/C`. */
export function collectionPath(project: string, collection: string, region?: string): string {
  return region ? `projects/${project}/regions/${region}/${collection}` : `projects/${project}/global/${collection}`;
}

/** A uint64 id as the API renders it: a decimal string. */
export function newId(): string {
  // 63 bits keeps it a valid int64 too, and the top bit set keeps it ~19 digits like the real ids.
  const n = randomBytes(8).readBigUInt64BE() & ((1n << 63n) - 1n);
  return (n | (1n << 62n)).toString();
}

/** RFC 3339 with the Pacific offset Compute uses (fixed at -08:00). */
export function computeTime(ms: number): string {
  return new Date(ms - 8 * 3600_000).toISOString().replace('Z', '-08:00');
}

/** A fresh resource fingerprint (8 bytes, base64, like the real ones). */
export function newFingerprint(): string {
  return randomBytes(8).toString('base64');
}

/** The label fingerprint: a hash of the labels; the empty map has Google's well-known value. */
export function labelFingerprint(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '42WmSpB8rSM=';
  const canonical = JSON.stringify(keys.map((k) => [k, labels![k]]));
  return createHash('sha256').update(canonical).digest().subarray(0, 8).toString('base64');
}

/** Next reserved global address from a documentation-like test range (34.120.0.0/16). */
export function allocateAddress(st: ComputeState, ipVersion?: string): string {
  const n = st.nextAddress++;
  if (ipVersion === 'IPV6') return `2600:1901:0:${(n + 1).toString(16)}::`;
  return `34.120.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
}

/** Next ephemeral address for a forwarding rule without `IPAddress` (34.149.0.0/16). */
export function allocateEphemeral(st: ComputeState): string {
  const n = st.nextEphemeral++;
  return `34.149.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
}

/** A copy without the internal `_*` bookkeeping fields. */
export function publicView(res: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(res)) if (!k.startsWith('_')) out[k] = v;
  return out;
}

/** Deep copy of JSON data. */
export function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}
