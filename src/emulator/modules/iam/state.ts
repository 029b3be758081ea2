/**
 * State of the IAM module (namespace `iam` of the emulator state): user-managed service
 * accounts by email, tombstones of deleted ones, and project IAM policies by project.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorCore } from '../../core';

/** A service account as the IAM v1 REST API returns it (`Schema$ServiceAccount`). */
export interface ServiceAccountWire {
  name: string;
  projectId: string;
  uniqueId: string;
  email: string;
  displayName?: string;
  description?: string;
  etag: string;
  oauth2ClientId: string;
  disabled?: boolean;
}

/** A google.iam.v1 binding. */
export interface Binding {
  role: string;
  members: string[];
  condition?: { expression?: string; title?: string; description?: string; location?: string };
}

/** A stored IAM policy; `etag` is base64 of the bytes the API sends. */
export interface PolicyRecord {
  version: number;
  bindings: Binding[];
  etag: string;
  auditConfigs?: unknown[];
}

export interface AccountRecord {
  account: ServiceAccountWire;
  /** The account's own IAM policy (who may act as it). */
  policy?: PolicyRecord;
  createMs: number;
  seq: number;
}

export interface IamNamespace {
  /** User-managed accounts by email. */
  accounts: Record<string, AccountRecord>;
  /** Deleted accounts by email: their last unique ID (bindings keep naming it). */
  deleted: Record<string, string>;
  /** Project IAM policies by project ID (or number, as asked). */
  policies: Record<string, PolicyRecord>;
  seq: number;
}

/** The `etag` every service account carries: the field is deprecated and constant at Google. */
export const ACCOUNT_ETAG = 'MDEwMjE5MjA=';

/** The etag of a policy never set (bytes 00 00 01), as IAM reports it. */
export const EMPTY_POLICY_ETAG = 'ACAB';

export function iamNs(core: EmulatorCore): IamNamespace {
  const ns = core.ns<IamNamespace>('iam', () => ({ accounts: {}, deleted: {}, policies: {}, seq: 0 }));
  ns.deleted ??= {};
  ns.policies ??= {};
  return ns;
}

/** A fresh policy etag: 8 bytes starting with 0x07 (IAM's are `BwX...` in base64). */
export function newPolicyEtag(): string {
  const b = randomBytes(8);
  b[0] = 0x07;
  return b.toString('base64');
}

/** A 21-digit unique ID, as IAM gives service accounts (random, or derived from `seed`). */
export function uniqueId(seed?: string): string {
  const bytes = seed ? createHash('sha256').update(seed).digest() : randomBytes(32);
  let digits = '1';
  for (let i = 0; digits.length < 21; i++) digits += String(bytes[i % bytes.length] % 10);
  return digits;
}

/** The email of user-managed account `id` in `project`. */
export function accountEmail(id: string, project: string): string {
  return `${id}@${project}.iam.gserviceaccount.com`;
}

/** The Compute Engine default service account of every emulated project. */
export function computeDefaultEmail(core: EmulatorCore): string {
  return `${core.projectNumber}-compute@developer.gserviceaccount.com`;
}

/**
 * Whether an email names a Google-managed account: the Compute Engine and App Engine
 * defaults, the Google APIs service agent and every service agent
 * (`service-N@gcp-sa-*.iam.gserviceaccount.com`, `...@serverless-robot-prod...`,
 * `...@cloudbuild.gserviceaccount.com`). Every project has them.
 */
export function isGoogleManaged(email: string): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const domain = email.slice(at + 1);
  if (!domain.endsWith('gserviceaccount.com')) return false;
  const m = /^([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(domain);
  if (!m) return true; // developer., cloudservices., appspot., cloudbuild. ...
  return m[1].startsWith('gcp-sa-') || m[1] === 'serverless-robot-prod' || m[1] === 'container-engine-robot' || m[1] === 'compute-system';
}
