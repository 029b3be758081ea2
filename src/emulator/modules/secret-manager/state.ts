/**
 * Secret Manager's state (namespace `secretmanager` of the emulator state), resource
 * names and the errors named like the real API's.
 *
 * Names: the API accepts a project ID or number in a request, and answers with the
 * project NUMBER in every name (`projects/123456789012/secrets/s`), as the real service
 * does. Records are keyed by the project as first given (`projects/my-proj/secrets/s`);
 * since the emulator has one project number for every project, a request naming the
 * number finds the secret of that ID in whichever project holds it.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';

/** One binding of an IAM policy. */
export interface Binding {
  role: string;
  members: string[];
  condition?: Record<string, unknown>;
}

export interface PolicyRecord {
  version: number;
  bindings: Binding[];
  etag: string;
}

/** One version: its API object and the sealed payload (see `crypto.ts`). */
export interface VersionRecord {
  version: Record<string, any>;
  /** Sealed payload; dropped when the version is destroyed. */
  sealed?: string;
  /** CRC32C of the payload, as a decimal string (int64 on the wire). */
  crc32c?: string;
}

export interface SecretRecord {
  /** The API object, name with the project number. */
  secret: Record<string, any>;
  /** The project as given at creation (ID or number). */
  project: string;
  versions: Record<string, VersionRecord>;
  /** The number the next version gets. */
  next: number;
  policy?: PolicyRecord;
}

export interface SecretNamespace {
  /** By `projects/{project as given}/secrets/{id}`. */
  secrets: Record<string, SecretRecord>;
}

export function smNs(core: EmulatorCore): SecretNamespace {
  return core.ns<SecretNamespace>('secretmanager', () => ({ secrets: {} }));
}

/** INVALID_ARGUMENT naming the field, as Secret Manager words it. */
export function invalid(message: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, message);
}

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** Parse `projects/{p}` (a parent). */
export function parseParent(parent: unknown): string {
  const m = /^projects\/([^/]+)$/.exec(String(parent ?? ''));
  if (m) return m[1];
  if (/^projects\/[^/]+\/locations\/[^/]+$/.test(String(parent ?? ''))) throw regional();
  throw invalid(`Invalid resource field value in the request: parent ("${String(parent ?? '')}").`);
}

function regional(): EmulatorError {
  return new EmulatorError(Code.UNIMPLEMENTED, 'Regional secrets (projects/*/locations/*/secrets) are not served by the emulator; use global secrets (projects/*/secrets).');
}

/** Parse `projects/{p}/secrets/{s}`. */
export function parseSecretName(name: unknown, field = 'name'): { project: string; id: string } {
  const s = String(name ?? '');
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(s);
  if (m && SECRET_ID.test(m[2])) return { project: m[1], id: m[2] };
  if (/^projects\/[^/]+\/locations\//.test(s)) throw regional();
  throw invalid(`Invalid resource field value in the request: ${field} ("${s}").`);
}

/** Parse `projects/{p}/secrets/{s}/versions/{v}`. */
export function parseVersionName(name: unknown): { project: string; id: string; version: string } {
  const s = String(name ?? '');
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/]+)$/.exec(s);
  if (m) return { project: m[1], id: m[2], version: m[3] };
  if (/^projects\/[^/]+\/locations\//.test(s)) throw regional();
  throw invalid(`Invalid resource field value in the request: name ("${s}").`);
}

export function validSecretId(id: unknown): id is string {
  return typeof id === 'string' && SECRET_ID.test(id);
}

/** The name the API answers with: the project number, then the secret ID. */
export function publicName(core: EmulatorCore, id: string): string {
  return `projects/${core.projectNumber}/secrets/${id}`;
}

/** The record of a secret, by the project (ID or number) and ID a request names. */
export function findSecret(core: EmulatorCore, project: string, id: string): SecretRecord | undefined {
  const secrets = smNs(core).secrets;
  const direct = secrets[`projects/${project}/secrets/${id}`];
  if (direct) return direct;
  // The emulator's one project number stands for every project.
  if (project === core.projectNumber) return Object.values(secrets).find((r) => r.secret.name === publicName(core, id));
  return secrets[`projects/${core.projectNumber}/secrets/${id}`];
}

/** The key a secret is stored under. */
export function keyOf(rec: SecretRecord, id: string): string {
  return `projects/${rec.project}/secrets/${id}`;
}

/** Whether a secret listed under `parentProject` belongs to it. */
export function inProject(core: EmulatorCore, rec: SecretRecord, parentProject: string): boolean {
  return rec.project === parentProject || parentProject === core.projectNumber || rec.project === core.projectNumber;
}

export function secretNotFound(core: EmulatorCore, id: string): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, `Secret [${publicName(core, id)}] not found.`);
}

/** A secret that must exist. */
export function requireSecret(core: EmulatorCore, name: unknown, field = 'name'): { rec: SecretRecord; id: string } {
  const { project, id } = parseSecretName(name, field);
  const rec = findSecret(core, project, id);
  if (!rec) throw secretNotFound(core, id);
  return { rec, id };
}

/** A fresh etag, quoted as Secret Manager quotes them. */
export function newEtag(core: EmulatorCore): string {
  return `"${core.newEtag().replace(/[^A-Za-z0-9]/g, '').slice(0, 14).toLowerCase()}"`;
}

/**
 * Check an optional etag precondition: a request etag that differs from the current one
 * is ABORTED (HTTP 409), the code AIP-154 prescribes for a failed etag check.
 */
export function checkEtag(given: unknown, current: string, what: string): void {
  if (typeof given === 'string' && given !== '' && given !== current) {
    throw new EmulatorError(Code.ABORTED, `The etag provided in the request does not match the current etag of the ${what}.`);
  }
}

/** A protobuf Timestamp of the simulated clock. */
export function timestamp(core: EmulatorCore): { seconds: string; nanos: number } {
  const ms = core.clock.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
