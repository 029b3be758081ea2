/**
 * Repositories: CreateRepository and DeleteRepository answer long-running operations
 * (as the real API), Get/List/UpdateRepository answer at once. Behaviour and sources:
 * `src/emulator/spec/artifact-registry.md`.
 */
import type { EmulatorCore } from '../../core';
import { Code, EmulatorError } from '../../errors';
import type { GenericOperations, StoredOperation } from '../../longrunning';
import { canonical } from './protos';
import { arNs, dockerHost, invalid, paginate, parseParent, REPOSITORY_ID, requireRepo, type Repo } from './state';

const REPOSITORY = 'google.devtools.artifactregistry.v1.Repository';
const METADATA = 'google.devtools.artifactregistry.v1.OperationMetadata';

/** Fields the server sets; a client's values are ignored (field_behavior OUTPUT_ONLY). */
const OUTPUT_ONLY = ['name', 'createTime', 'updateTime', 'sizeBytes', 'satisfiesPzs', 'satisfiesPzi', 'registryUri'];
/** Fields UpdateRepository may change (the others are fixed at creation). */
const MUTABLE = ['description', 'labels', 'cleanupPolicies', 'cleanupPolicyDryRun', 'dockerConfig', 'mavenConfig', 'virtualRepositoryConfig', 'remoteRepositoryConfig', 'vulnerabilityScanningConfig', 'disallowUnspecifiedMode'];
/** Fields fixed at creation: an update mask naming them is refused. */
const IMMUTABLE = ['format', 'mode', 'kmsKeyName', 'name'];

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const POLICY_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

function timestamp(core: EmulatorCore): { seconds: string; nanos: number } {
  const ms = core.clock.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

function checkLabels(labels: Record<string, string> | undefined): void {
  const entries = Object.entries(labels ?? {});
  if (entries.length > 64) throw invalid('A repository can have at most 64 labels.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v)) throw invalid(`Invalid label "${k}": "${v}". Keys and values may contain lower-case letters, digits, underscores and dashes; keys start with a letter.`);
  }
}

/** cleanup_policies: keyed by their id, each with an action and exactly one condition. */
function checkCleanupPolicies(policies: Record<string, Repo> | undefined): void {
  const entries = Object.entries(policies ?? {});
  if (entries.length > 10) throw invalid('A repository can have at most 10 cleanup policies.');
  for (const [key, p] of entries) {
    if (!POLICY_ID.test(key)) throw invalid(`Invalid cleanup policy id "${key}".`);
    if (p.id && p.id !== key) throw invalid(`Cleanup policy id "${p.id}" does not match its key "${key}".`);
    if (p.action !== 'DELETE' && p.action !== 'KEEP') throw invalid(`Cleanup policy "${key}": action must be DELETE or KEEP.`);
    if (!!p.condition === !!p.mostRecentVersions) throw invalid(`Cleanup policy "${key}": exactly one of condition and mostRecentVersions is required.`);
    if (p.mostRecentVersions && p.action !== 'KEEP') throw invalid(`Cleanup policy "${key}": mostRecentVersions is only valid with action KEEP.`);
    if (p.mostRecentVersions && !(Number(p.mostRecentVersions.keepCount) > 0)) throw invalid(`Cleanup policy "${key}": mostRecentVersions.keepCount must be positive.`);
  }
}

/** Cleanup policies with their `id` filled from the map key, as the API answers them. */
function withPolicyIds(policies: Record<string, Repo> | undefined): Record<string, Repo> | undefined {
  if (!policies) return undefined;
  return Object.fromEntries(Object.entries(policies).map(([k, p]) => [k, { ...p, id: k }]));
}

/** Server-filled defaults of a new repository. */
function withDefaults(core: EmulatorCore, repo: Repo, name: string, location: string, project: string, id: string): Repo {
  const now = timestamp(core);
  const out: Repo = { ...repo, name, createTime: now, updateTime: now, sizeBytes: '0', satisfiesPzs: false, satisfiesPzi: false };
  out.mode ??= 'STANDARD_REPOSITORY';
  if (out.mode === 'MODE_UNSPECIFIED') out.mode = 'STANDARD_REPOSITORY';
  if (out.cleanupPolicies) out.cleanupPolicies = withPolicyIds(out.cleanupPolicies);
  if (out.format === 'DOCKER') {
    out.registryUri = `${dockerHost(location)}/${project}/${id}`;
    // Container scanning is a separate API the emulator does not enable.
    out.vulnerabilityScanningConfig = { ...(out.vulnerabilityScanningConfig ?? {}), enablementState: 'SCANNING_DISABLED', enablementStateReason: 'API containerscanning.googleapis.com is not enabled.' };
  } else {
    out.registryUri = `${location}-${String(out.format).toLowerCase()}.pkg.dev/${project}/${id}`;
  }
  return out;
}

function input(repo: unknown): Repo {
  const r = canonical(REPOSITORY, repo);
  for (const f of OUTPUT_ONLY) delete r[f];
  return r;
}

/** CreateRepository: the repository exists at once; the operation completes after the operation latency. */
export function createRepository(core: EmulatorCore, ops: GenericOperations, req: any): Record<string, unknown> {
  const p = parseParent(req.parent);
  const id = req.repositoryId;
  if (typeof id !== 'string' || !id) throw invalid('repository_id is required.');
  if (!REPOSITORY_ID.test(id)) throw invalid(`Invalid repository id "${id}": it must start with a lower-case letter, contain only lower-case letters, digits and hyphens, end with a letter or digit, and be at most 63 characters long.`);
  if (!req.repository) throw invalid('repository is required.');
  const repo = input(req.repository);
  if (!repo.format || repo.format === 'FORMAT_UNSPECIFIED') throw invalid('Repository format is required.');
  checkLabels(repo.labels);
  checkCleanupPolicies(repo.cleanupPolicies);
  const name = `${p.parent}/repositories/${id}`;
  const st = arNs(core);
  if (st.repositories[name]) throw new EmulatorError(Code.ALREADY_EXISTS, 'the repository already exists');
  const created = withDefaults(core, repo, name, p.location, p.project, id);
  st.repositories[name] = created;
  const op = ops.start(p.parent, { kind: 'create-repository', method: 'ArtifactRegistry.CreateRepository', metadata: { type: METADATA, value: {} }, data: { name } });
  return ops.wire(op);
}

/**
 * Completes a create: its response is the repository as it is then. An injected
 * operation fault (`"operation": true`) fails it, and the repository it made goes.
 */
export function completeCreate(core: EmulatorCore, op: StoredOperation): void {
  const name = String(op.data.name);
  const st = arNs(core);
  const fault = core.takeFault(op.method, true);
  if (fault) {
    delete st.repositories[name];
    delete st.policies[name];
    op.error = { code: fault.grpcCode, message: fault.message };
    return;
  }
  const repo = st.repositories[name];
  if (repo) op.response = { type: REPOSITORY, value: repo };
  else op.error = { code: Code.NOT_FOUND, message: 'Requested entity was not found.' };
}

export function getRepository(core: EmulatorCore, req: any): Repo {
  return requireRepo(core, req.name).repo;
}

export function listRepositories(core: EmulatorCore, req: any): Record<string, unknown> {
  const p = parseParent(req.parent);
  if (req.filter) throw invalid('The emulator does not support filter in ListRepositories; list without it.');
  const all = Object.values(arNs(core).repositories)
    .filter((r) => String(r.name).startsWith(`${p.parent}/repositories/`))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const { page, nextPageToken } = paginate(all, req.pageSize, req.pageToken);
  return { repositories: page, nextPageToken };
}

/** update_mask paths as camelCase field names (clients send snake_case over gRPC). */
function maskFields(mask: { paths?: string[] } | undefined): string[] {
  return (mask?.paths ?? []).map((p) => p.split('.')[0].replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
}

/** UpdateRepository: the mask's fields (or, without a mask, every mutable field given) replace the stored ones. */
export function updateRepository(core: EmulatorCore, req: any): Repo {
  if (!req.repository) throw invalid('repository is required.');
  const { repo: current, rn } = requireRepo(core, req.repository.name);
  const next = input(req.repository);
  let fields = maskFields(req.updateMask);
  const fixed = fields.filter((f) => IMMUTABLE.includes(f));
  if (fixed.length) throw invalid(`Field ${fixed.join(', ')} cannot be updated.`);
  const unknown = fields.filter((f) => !MUTABLE.includes(f));
  if (unknown.length) throw invalid(`Invalid update_mask path: ${unknown.join(', ')}.`);
  if (!fields.length) {
    if (next.format && next.format !== current.format) throw invalid('Field format cannot be updated.');
    fields = MUTABLE.filter((f) => next[f] !== undefined);
  }
  checkLabels(next.labels);
  checkCleanupPolicies(next.cleanupPolicies);
  const updated: Repo = { ...current };
  for (const f of fields) {
    if (next[f] === undefined) delete updated[f];
    else updated[f] = f === 'cleanupPolicies' ? withPolicyIds(next[f]) : next[f];
  }
  if (current.format === 'DOCKER') updated.vulnerabilityScanningConfig = { ...(updated.vulnerabilityScanningConfig ?? {}), enablementState: 'SCANNING_DISABLED', enablementStateReason: 'API containerscanning.googleapis.com is not enabled.' };
  updated.updateTime = timestamp(core);
  arNs(core).repositories[rn.name] = updated;
  return updated;
}

/** DeleteRepository: the repository, its images and policy go when the operation completes. */
export function deleteRepository(core: EmulatorCore, ops: GenericOperations, req: any): Record<string, unknown> {
  const { rn } = requireRepo(core, req.name);
  const op = ops.start(rn.parent, { kind: 'delete-repository', method: 'ArtifactRegistry.DeleteRepository', metadata: { type: METADATA, value: {} }, data: { name: rn.name } });
  return ops.wire(op);
}

/** Completes a delete (response Empty), unless an injected operation fault fails it. */
export function completeDelete(core: EmulatorCore, op: StoredOperation): void {
  const fault = core.takeFault(op.method, true);
  if (fault) {
    op.error = { code: fault.grpcCode, message: fault.message };
    return;
  }
  const st = arNs(core);
  const name = String(op.data.name);
  delete st.repositories[name];
  delete st.policies[name];
  delete st.images[name];
  op.response = { type: 'google.protobuf.Empty', value: {} };
}
