/**
 * Repository's view of Artifact Registry: the live repository and its IAM policy in
 * manifest form, and the API bodies a manifest asks for. Pure functions plus the cached
 * list reads.
 */
import type { protos } from '@google-cloud/artifact-registry';
import type { ObserveContext, ResourceStatus } from '../../src/engine/controller';
import { durationSeconds, formatDuration, toProtoDuration } from '../../src/util/duration';

export type Repo = protos.google.devtools.artifactregistry.v1.IRepository;
export type IamPolicy = protos.google.iam.v1.IPolicy;
type CleanupPolicy = protos.google.devtools.artifactregistry.v1.ICleanupPolicy;

export const READER = 'roles/artifactregistry.reader';
export const WRITER = 'roles/artifactregistry.writer';
/** The ids runctl gives the cleanup policies it derives from `spec.cleanup`. */
export const KEEP_RECENT = 'keep-recent';
export const DELETE_UNTAGGED = 'delete-untagged';

/** The manifest form. `cleanup.otherPolicies` lists live policies runctl did not derive (removed when cleanup is declared). */
export interface RepositoryForm extends Record<string, unknown> {
  location: string;
  format: string;
  description?: string;
  immutableTags?: boolean;
  readers?: string[];
  writers?: string[];
  cleanup?: { keepRecent?: number; deleteUntaggedAfter?: string; dryRun: boolean; otherPolicies?: string[] };
}

/**
 * Locations Artifact Registry offers (its documented regions and multi-regions): what
 * `get` and `--prune` scan, since ListRepositories has no all-locations wildcard.
 */
export const AR_LOCATIONS = [
  'us', 'europe', 'asia',
  'africa-south1', 'asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1', 'asia-south2',
  'asia-southeast1', 'asia-southeast2', 'australia-southeast1', 'australia-southeast2', 'europe-central2', 'europe-north1', 'europe-north2',
  'europe-southwest1', 'europe-west1', 'europe-west2', 'europe-west3', 'europe-west4', 'europe-west6', 'europe-west8', 'europe-west9',
  'europe-west10', 'europe-west12', 'me-central1', 'me-central2', 'me-west1', 'northamerica-northeast1', 'northamerica-northeast2',
  'northamerica-south1', 'southamerica-east1', 'southamerica-west1', 'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1',
  'us-west1', 'us-west2', 'us-west3', 'us-west4',
];

/** Docker URL of a repository: what a Service's image starts with. */
export function dockerUrl(location: string, project: string, name: string): string {
  return `${location}-docker.pkg.dev/${project}/${name}`;
}

/** `projects/P/locations/L/repositories/R` split. */
export function nameParts(name: string | null | undefined): { project: string; location: string; id: string } {
  const p = String(name ?? '').split('/');
  return { project: p[1] ?? '', location: p[3] ?? '', id: p[5] ?? '' };
}

function enumName(v: unknown): string {
  return typeof v === 'string' ? v : String(v ?? '');
}

/** An opaque change token: Repository has no etag, its updateTime changes with every write. */
export function changeToken(r: Repo): string {
  const t = r.updateTime;
  return t ? `${String(t.seconds ?? 0)}.${String(t.nanos ?? 0)}` : '';
}

function isKeepRecent(id: string, p: CleanupPolicy): boolean {
  const m = p.mostRecentVersions;
  return id === KEEP_RECENT && enumName(p.action) === 'KEEP' && !!m && !(m.packageNamePrefixes ?? []).length && Number(m.keepCount) > 0;
}

function isDeleteUntagged(id: string, p: CleanupPolicy): boolean {
  const c = p.condition;
  return id === DELETE_UNTAGGED && enumName(p.action) === 'DELETE' && !!c && enumName(c.tagState) === 'UNTAGGED' && !!c.olderThan && !c.newerThan
    && !(c.tagPrefixes ?? []).length && !(c.versionNamePrefixes ?? []).length && !(c.packageNamePrefixes ?? []).length;
}

/** The live cleanup policies in manifest form. */
function cleanupForm(r: Repo): NonNullable<RepositoryForm['cleanup']> {
  const out: NonNullable<RepositoryForm['cleanup']> = { dryRun: !!r.cleanupPolicyDryRun };
  const other: string[] = [];
  for (const [id, p] of Object.entries(r.cleanupPolicies ?? {})) {
    if (isKeepRecent(id, p)) out.keepRecent = Number(p.mostRecentVersions!.keepCount);
    else if (isDeleteUntagged(id, p)) out.deleteUntaggedAfter = formatDuration(Number(p.condition!.olderThan!.seconds ?? 0) + Number(p.condition!.olderThan!.nanos ?? 0) / 1e9);
    else other.push(id);
  }
  if (other.length) out.otherPolicies = other.sort();
  return out;
}

/** The members of one role in a policy, sorted. */
export function membersOf(policy: IamPolicy | undefined, role: string): string[] {
  const set = new Set<string>();
  for (const b of policy?.bindings ?? []) if (b.role === role && !b.condition) for (const m of b.members ?? []) set.add(m);
  return [...set].sort();
}

/** The live repository (and its policy, when read) in manifest form. */
export function formOf(r: Repo, policy?: IamPolicy): RepositoryForm {
  const { location } = nameParts(r.name);
  const form: RepositoryForm = { location, format: enumName(r.format).toLowerCase() };
  if (r.description) form.description = r.description;
  form.immutableTags = !!r.dockerConfig?.immutableTags;
  if (policy) {
    form.readers = membersOf(policy, READER);
    form.writers = membersOf(policy, WRITER);
  }
  form.cleanup = cleanupForm(r);
  return form;
}

/** Labels as the API gives them. */
export function labelsOf(r: Repo): Record<string, string> {
  return { ...(r.labels ?? {}) };
}

export function statusOf(r: Repo): ResourceStatus {
  const { project, location, id } = nameParts(r.name);
  const docker = enumName(r.format) === 'DOCKER';
  return {
    fields: {
      url: docker ? dockerUrl(location, project, id) : r.registryUri || undefined,
      location,
      format: enumName(r.format).toLowerCase(),
      sizeBytes: Number(r.sizeBytes ?? 0),
      createTime: r.createTime?.seconds ? new Date(Number(r.createTime.seconds) * 1000).toISOString() : undefined,
    },
    ready: { status: 'True', reason: 'Available' },
  };
}

/** The API's cleanup policies for a declared `cleanup` (runctl owns all of them then). */
export function cleanupPolicies(c: NonNullable<RepositoryForm['cleanup']>): Record<string, CleanupPolicy> {
  const out: Record<string, CleanupPolicy> = {};
  if (c.keepRecent !== undefined) out[KEEP_RECENT] = { id: KEEP_RECENT, action: 'KEEP', mostRecentVersions: { keepCount: c.keepRecent } };
  if (c.deleteUntaggedAfter !== undefined) {
    out[DELETE_UNTAGGED] = { id: DELETE_UNTAGGED, action: 'DELETE', condition: { tagState: 'UNTAGGED', olderThan: toProtoDuration(durationSeconds(c.deleteUntaggedAfter)) } };
  }
  return out;
}

/** Every repository of a project in one location, once per run. */
export async function listRepos(ctx: ObserveContext, project: string, location: string): Promise<Map<string, Repo>> {
  return ctx.cached(`artifactregistry.repositories:${project}/${location}`, async () => {
    const [repos] = await ctx.clients.artifactRegistry().listRepositories({ parent: `projects/${project}/locations/${location}` }, { autoPaginate: true });
    return new Map(repos.map((r) => [nameParts(r.name).id, r]));
  });
}

/** A repository's IAM policy, once per run. */
export async function readPolicy(ctx: ObserveContext, name: string): Promise<IamPolicy> {
  return ctx.cached(`artifactregistry.iam:${name}`, async () => {
    const [policy] = await ctx.clients.artifactRegistry().getIamPolicy({ resource: name });
    return policy;
  });
}

/** `policy` with exactly `members` in each managed role; every other binding kept. */
export function withMembers(policy: IamPolicy | undefined, roles: Record<string, string[] | undefined>): IamPolicy {
  const managed = Object.entries(roles).filter((e): e is [string, string[]] => e[1] !== undefined);
  const bindings = (policy?.bindings ?? []).filter((b) => b.condition || !managed.some(([role]) => role === b.role));
  for (const [role, members] of managed) if (members.length) bindings.push({ role, members: [...members] });
  return { ...(policy ?? {}), bindings, etag: policy?.etag };
}
