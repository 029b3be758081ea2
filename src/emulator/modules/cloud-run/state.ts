/**
 * Cloud Run state (namespace `run` of the emulator state) and the naming, time and
 * error helpers every handler shares. Everything stored is JSON: messages in their
 * canonical plain form (enum names, int64 strings, `{seconds, nanos}` timestamps).
 */
import type { EmulatorCore } from '../../core';
import type { ImageDenial } from '../../admission';
import { EmulatorError, Code } from '../../errors';

/** A message in its canonical plain form. */
export type Obj = Record<string, any>;

/** A stored service. */
export interface ServiceRecord {
  /** The Service exactly as GetService returns it. */
  service: Obj;
  /** Simulated ms at creation, and a tie-breaker: list order is newest first. */
  createMs: number;
  seq: number;
}

/** A stored revision. */
export interface RevisionRecord {
  /** The Revision exactly as GetRevision returns it. */
  revision: Obj;
  /** The template it was made from (without `revision`), to detect name collisions. */
  config: Obj;
  createMs: number;
  seq: number;
}

/** What an operation does when it completes. */
export type OperationKind = 'deploy' | 'delete-service' | 'delete-revision';

/** A stored long-running operation (its outcome is applied by the completer of its kind). */
export interface OperationRecord {
  name: string;
  kind: OperationKind;
  /** Stats name of the method that started it (fault rules with `operation: true` match it). */
  method: string;
  /** Resource name of the service or revision it works on. */
  target: string;
  done: boolean;
  /** Simulated ms when it is due. */
  doneAt: number;
  createMs: number;
  metadataType: 'Service' | 'Revision';
  metadata: Obj;
  response?: Obj;
  error?: { code: number; message: string };
  /** deploy: the service generation it rolls out and the revision it created, if any. */
  generation?: string;
  revision?: string;
  /** deploy: an admission check's denial of the new revision. */
  denial?: ImageDenial;
}

/** A service's IAM policy. */
export interface PolicyRecord {
  version: number;
  bindings: Obj[];
  auditConfigs?: Obj[];
  /** base64 of the policy etag bytes. */
  etag: string;
}

/** Everything the module keeps in `core.state.run`. */
export interface RunNamespace {
  services: Record<string, ServiceRecord>;
  revisions: Record<string, RevisionRecord>;
  operations: Record<string, OperationRecord>;
  policies: Record<string, PolicyRecord>;
  /** GPU quota (max instances) per region; unset = not enforced. */
  gpuQuota: Record<string, number>;
  /** Regions per project where Cloud Run was used (ListLocations' `initialized` label). */
  initialized: Record<string, string[]>;
  seq: number;
}

/** The module's state namespace. */
export function runNs(core: EmulatorCore): RunNamespace {
  const st = core.ns<RunNamespace>('run', () => ({
    services: {},
    revisions: {},
    operations: {},
    policies: {},
    gpuQuota: {},
    initialized: {},
    seq: 0,
  }));
  st.gpuQuota ??= {};
  st.initialized ??= {};
  return st;
}

/** A parsed `projects/{p}/locations/{l}/services/{s}` name. */
export interface ServiceName {
  project: string;
  location: string;
  service: string;
  /** `projects/{p}/locations/{l}` */
  parent: string;
  /** The full service name. */
  name: string;
}

/** `Violation in {field}: {description}` — the v2 API's INVALID_ARGUMENT wording. */
export function violation(field: string, description: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, `Violation in ${field}: ${description}`);
}

const SEGMENT = /^[^/]+$/;

/**
 * Parse `projects/{p}/locations/{l}`. The `-` wildcard location is refused everywhere,
 * ListServices included ("cannot be the "-" wildcard", service.proto): clients find a
 * project's regions with Locations.ListLocations (locations.ts).
 */
export function parseParent(parent: unknown, field: string): { project: string; location: string; parent: string } {
  const parts = typeof parent === 'string' ? parent.split('/') : [];
  if (parts.length !== 4 || parts[0] !== 'projects' || parts[2] !== 'locations' || !SEGMENT.test(parts[1]) || !SEGMENT.test(parts[3])) {
    throw violation(field, `must be of the form projects/{project}/locations/{location}, got '${String(parent ?? '')}'.`);
  }
  if (parts[3] === '-') throw violation(field, "location '-' is not supported; specify a region.");
  return { project: parts[1], location: parts[3], parent: parts.join('/') };
}

/** Parse a full service name (`services/-` only where `allowWildcard`). */
export function parseServiceName(name: unknown, field: string, allowWildcard = false): ServiceName {
  const parts = typeof name === 'string' ? name.split('/') : [];
  if (parts.length !== 6 || parts[4] !== 'services' || !parts[5] || (parts[5] === '-' && !allowWildcard)) {
    throw violation(field, `must be of the form projects/{project}/locations/{location}/services/{service}, got '${String(name ?? '')}'.`);
  }
  const p = parseParent(parts.slice(0, 4).join('/'), field);
  return { ...p, service: parts[5], name: `${p.parent}/services/${parts[5]}` };
}

/** Parse a full revision name. */
export function parseRevisionName(name: unknown, field: string): ServiceName & { revision: string; revisionName: string } {
  const parts = typeof name === 'string' ? name.split('/') : [];
  if (parts.length !== 8 || parts[6] !== 'revisions' || !parts[7]) {
    throw violation(field, `must be of the form projects/{project}/locations/{location}/services/{service}/revisions/{revision}, got '${String(name ?? '')}'.`);
  }
  const sn = parseServiceName(parts.slice(0, 6).join('/'), field);
  return { ...sn, revision: parts[7], revisionName: `${sn.name}/revisions/${parts[7]}` };
}

/** The real API's NOT_FOUND wording for services and revisions. */
export function notFound(kind: 'SERVICE' | 'REVISION', id: string, n: { location: string; project: string }): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `Resource '${id}' of kind '${kind}' in region '${n.location}' in project '${n.project}' does not exist.`);
}

/** A protobuf Timestamp for simulated ms. */
export function ts(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round(ms - seconds * 1000) * 1_000_000 };
}

/** The last path segment of a resource name. */
export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** The caller: gRPC metadata `x-emulator-principal`, else the emulator's default user. */
export function principalOf(metadata: { get(key: string): unknown[] } | undefined): string {
  const v = metadata?.get('x-emulator-principal')?.[0];
  return typeof v === 'string' && v ? v : 'emulator-user@local';
}

/** A deep copy of JSON state. */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** Opaque page tokens: the offset into a stable, sorted listing. */
export function paginate<T>(items: T[], pageSize: unknown, pageToken: unknown, field: string, defaultSize = 50): { page: T[]; nextPageToken: string } {
  let offset = 0;
  if (typeof pageToken === 'string' && pageToken) {
    const decoded = Number(Buffer.from(pageToken, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0) throw violation(`${field}.page_token`, 'invalid page token.');
    offset = decoded;
  }
  const size = Math.min(Math.max(Number(pageSize) || defaultSize, 1), 1000);
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`o:${offset + size}`).toString('base64url') : '';
  return { page, nextPageToken: next };
}
