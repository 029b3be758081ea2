/**
 * Artifact Registry state: repositories by full name, their IAM policies, the Docker
 * images pushed to each (through `/__emulator/artifact-registry/push`) and the module's
 * long-running operations. Names and errors as the real API spells them (spec:
 * `src/emulator/spec/artifact-registry.md`).
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import type { StoredOperation } from '../../longrunning';

/** A plain `google.devtools.artifactregistry.v1.Repository` (proto3 JSON-like, camelCase). */
export type Repo = Record<string, any>;

/** A stored IAM policy (`google.iam.v1.Policy`). */
export interface PolicyRecord {
  version: number;
  bindings: Array<{ role: string; members: string[]; condition?: Record<string, unknown> }>;
  etag: string;
}

/** One pushed image manifest: a package (image path in the repository), its digest and tags. */
export interface ImageRecord {
  /** Image path inside the repository, e.g. `jokes` or `team/api`. */
  pkg: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  tags: string[];
  sizeBytes: string;
  uploadTime: string;
  mediaType: string;
}

export interface ArNamespace {
  repositories: Record<string, Repo>;
  policies: Record<string, PolicyRecord>;
  /** Pushed images per repository full name. A repository without an entry never had a push. */
  images: Record<string, ImageRecord[]>;
  operations: Record<string, StoredOperation>;
}

/** The module's state namespace. */
export function arNs(core: EmulatorCore): ArNamespace {
  const st = core.ns<ArNamespace>('artifactRegistry', () => ({ repositories: {}, policies: {}, images: {}, operations: {} }));
  st.images ??= {};
  st.policies ??= {};
  st.operations ??= {};
  return st;
}

/** `projects/{p}/locations/{l}` parsed. */
export interface Parent {
  project: string;
  location: string;
  parent: string;
}

/** A repository's full name parsed. */
export interface RepoName extends Parent {
  repository: string;
  name: string;
}

/** Repository IDs: lower-case letters, digits and hyphens, starting with a letter, at most 63 (repository.proto: `name`). */
export const REPOSITORY_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Locations Artifact Registry serves: multi-regions and region-shaped names. */
const LOCATION = /^(us|europe|asia|[a-z]+-[a-z]+[0-9]+)$/;

export function invalid(message: string): EmulatorError {
  return new EmulatorError(Code.INVALID_ARGUMENT, message);
}

/** Google's generic NOT_FOUND, as Artifact Registry answers for a missing repository. */
export function notFound(): EmulatorError {
  return new EmulatorError(Code.NOT_FOUND, 'Requested entity was not found.');
}

export function parseParent(value: unknown): Parent {
  const parts = typeof value === 'string' ? value.split('/') : [];
  if (parts.length !== 4 || parts[0] !== 'projects' || parts[2] !== 'locations' || !parts[1] || !parts[3]) {
    throw invalid(`Invalid parent "${String(value ?? '')}": must be of the form projects/{project}/locations/{location}.`);
  }
  if (!LOCATION.test(parts[3])) throw invalid(`Invalid location "${parts[3]}".`);
  return { project: parts[1], location: parts[3], parent: parts.join('/') };
}

export function parseRepoName(value: unknown): RepoName {
  const parts = typeof value === 'string' ? value.split('/') : [];
  if (parts.length !== 6 || parts[4] !== 'repositories' || !parts[5]) {
    throw invalid(`Invalid resource name "${String(value ?? '')}": must be of the form projects/{project}/locations/{location}/repositories/{repository}.`);
  }
  const p = parseParent(parts.slice(0, 4).join('/'));
  return { ...p, repository: parts[5], name: `${p.parent}/repositories/${parts[5]}` };
}

/** The repository, or NOT_FOUND. */
export function requireRepo(core: EmulatorCore, name: unknown): { rn: RepoName; repo: Repo } {
  const rn = parseRepoName(name);
  const repo = arNs(core).repositories[rn.name];
  if (!repo) throw notFound();
  return { rn, repo };
}

/** The Docker host of a location: `LOCATION-docker.pkg.dev`. */
export function dockerHost(location: string): string {
  return `${location}-docker.pkg.dev`;
}

/** Offset page tokens, opaque to clients. */
export function paginate<T>(items: T[], pageSize: unknown, pageToken: unknown): { page: T[]; nextPageToken: string } {
  let offset = 0;
  if (typeof pageToken === 'string' && pageToken) {
    offset = Number(Buffer.from(pageToken, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw invalid('Invalid page token.');
  }
  const size = Math.min(Math.max(Number(pageSize) || 1000, 1), 1000);
  const next = offset + size < items.length ? Buffer.from(`o:${offset + size}`).toString('base64url') : '';
  return { page: items.slice(offset, offset + size), nextPageToken: next };
}
