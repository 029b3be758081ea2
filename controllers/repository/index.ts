/**
 * Repository: an Artifact Registry repository - format, description, labels, cleanup
 * policies, and who may read (pull) and write (push) it: `roles/artifactregistry.reader`
 * and `.writer` on this repository only, whose members this controller manages (declared
 * members plus what other resources of the set ask for through `grants`). `status.url`
 * (`LOCATION-docker.pkg.dev/PROJECT/REPO`) is known before the repository exists, so a
 * Service's `image: ${Repository/jokes.status.url}/jokes:1` plans concretely.
 */
import type { Controller, Identity, LiveResource, Observed, ObserveContext, PlanContext, ResourcePlan, Scope } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { projectOf } from '../../src/engine/location';
import type { Manifest } from '../../src/engine/types';
import { ignoringNotFound } from '../../src/gcp/errors';
import { normalizeDuration } from '../../src/util/duration';
import type { RepositorySpec } from '../generated/manifests';
import { resolveMembers } from '../shared/members';
import {
  AR_LOCATIONS, changeToken, cleanupPolicies, dockerUrl, formOf, labelsOf, listRepos, nameParts, READER, readPolicy, statusOf, withMembers, WRITER,
  type IamPolicy, type Repo, type RepositoryForm,
} from './live';

const KIND = 'Repository';
const KEEP_DATA = 'a repository cannot change format, and runctl refuses to replace it (that would delete its images): keep the format, or declare a repository with another name';

/** What observe read: the repository and, when this manifest manages members, its policy. */
interface RepoLive {
  repo: Repo;
  policy?: IamPolicy;
}
type RepoObserved = Observed<RepoLive, RepositoryForm>;

/** Members the set asks for on this repository in `role` (`grants`), resolved. */
function granted(m: Manifest<RepositorySpec>, ctx: PlanContext, role: string): string[] {
  return ctx.grantsOn(`${KIND}/${m.metadata.name}`).filter((g) => g.role === role).map((g) => g.member);
}

/** The managed members of a role: declared plus granted, or undefined when neither manages it. */
function roleMembers(m: Manifest<RepositorySpec>, ctx: PlanContext, declared: string[] | undefined, role: string): string[] | undefined {
  const asked = granted(m, ctx, role);
  if (declared === undefined && !asked.length) return undefined;
  return [...new Set([...(resolveMembers(declared, ctx) ?? []), ...asked])].sort();
}

/** Whether observe must read the IAM policy (this manifest manages a role's members). */
function managesIam(m: Manifest<RepositorySpec>, ctx: PlanContext): boolean {
  return m.spec.readers !== undefined || m.spec.writers !== undefined || granted(m, ctx, READER).length > 0 || granted(m, ctx, WRITER).length > 0;
}

function observedFrom(live: RepoLive): RepoObserved {
  return { exists: true, spec: formOf(live.repo, live.policy), labels: labelsOf(live.repo), etag: changeToken(live.repo), raw: live, status: statusOf(live.repo) };
}

async function observeRepo(id: Identity, m: Manifest<RepositorySpec>, ctx: ObserveContext): Promise<RepoObserved> {
  const repo = (await listRepos(ctx, id.project, id.region!)).get(id.name);
  if (!repo) return { exists: false };
  return observedFrom({ repo, policy: managesIam(m, ctx) ? await readPolicy(ctx, id.fullName) : undefined });
}

/** update_mask paths for the changed spec fields and labels. */
function updateMask(changes: ResourcePlan['changes']): string[] {
  const paths = new Set<string>();
  for (const c of changes) {
    const [root, field] = c.path.split('.');
    if (root === 'metadata' && field === 'labels') paths.add('labels');
    else if (field === 'description') paths.add('description');
    else if (field === 'immutableTags') paths.add('docker_config');
    else if (field === 'cleanup') {
      paths.add('cleanup_policies');
      paths.add('cleanup_policy_dry_run');
    }
  }
  return [...paths];
}

/** The repository body for a create or an update. */
function body(m: Manifest<RepositorySpec>, desired: RepositoryForm, id: Identity, labels: Record<string, string>): Repo {
  const repo: Repo = { name: id.fullName, format: desired.format.toUpperCase() as Repo['format'], labels };
  if (desired.description !== undefined) repo.description = desired.description;
  if (desired.format === 'docker' && desired.immutableTags !== undefined) repo.dockerConfig = { immutableTags: desired.immutableTags };
  if (desired.cleanup) {
    repo.cleanupPolicies = cleanupPolicies(desired.cleanup);
    repo.cleanupPolicyDryRun = desired.cleanup.dryRun;
  }
  return repo;
}

async function setMembers(id: Identity, desired: RepositoryForm, policy: IamPolicy | undefined, ctx: ObserveContext): Promise<IamPolicy> {
  const ar = ctx.clients.artifactRegistry();
  // Read-modify-write with the policy's etag: a concurrent change fails (ABORTED) and the
  // executor re-reads and re-plans instead of overwriting it.
  const base = policy ?? (await ar.getIamPolicy({ resource: id.fullName }))[0];
  const [next] = await ar.setIamPolicy({ resource: id.fullName, policy: withMembers(base, { [READER]: desired.readers, [WRITER]: desired.writers }) });
  return next;
}

export const repositoryController: Controller<RepositorySpec, RepoLive, RepositoryForm> = {
  kind: KIND,
  schema: 'repository.schema.json',
  regional: true,
  // A location is part of the identity (another location is another repository); the
  // format cannot change in place.
  replaceOn: [{ path: 'spec.format', refuse: KEEP_DATA }],

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    const location = m.spec.location;
    return { project, region: location, name: m.metadata.name, fullName: `projects/${project}/locations/${location}/repositories/${m.metadata.name}` };
  },

  knownStatus({ manifest: m, id }) {
    return (m.spec.format ?? 'docker') === 'docker' ? { url: dockerUrl(id.region!, id.project, id.name) } : {};
  },

  async observe({ manifest: m, id }, ctx) {
    return observeRepo(id, m, ctx);
  },

  desired({ manifest: m, id }, ctx): RepositoryForm {
    const s = m.spec;
    const form: RepositoryForm = { location: id.region!, format: s.format ?? 'docker' };
    if (s.description !== undefined) form.description = s.description;
    if (s.immutableTags !== undefined) form.immutableTags = s.immutableTags;
    const readers = roleMembers(m, ctx, s.readers, READER);
    const writers = roleMembers(m, ctx, s.writers, WRITER);
    if (readers) form.readers = readers;
    if (writers) form.writers = writers;
    if (s.cleanup) {
      form.cleanup = { dryRun: !!s.cleanup.dryRun };
      if (s.cleanup.keepRecent !== undefined) form.cleanup.keepRecent = s.cleanup.keepRecent;
      if (s.cleanup.deleteUntaggedAfter !== undefined) form.cleanup.deleteUntaggedAfter = normalizeDuration(s.cleanup.deleteUntaggedAfter);
    }
    return form;
  },

  plan({ desired, observed: obs }): ResourcePlan {
    if (!obs.exists) {
      const notes = [`creates ${desired.format} repository; images are pushed to ${desired.format === 'docker' ? '(status.url)' : 'its registry URI'}`];
      return { action: 'create', changes: diffDeclared(desired, {}).changes, notes };
    }
    // cleanup is owned whole once declared: live policies runctl did not derive are removed.
    const { changes } = diffDeclared(desired, obs.spec, { exact: ['cleanup'] });
    return { action: changes.length ? 'update' : 'noop', changes, notes: [] };
  },

  async apply({ manifest: m, id, desired, observed: obs, plan }, ctx) {
    const ar = ctx.clients.artifactRegistry();
    const labels = { ...(obs.labels ?? {}), ...(m.metadata.labels ?? {}) };
    let live: RepoLive;
    if (plan.action === 'create') {
      ctx.progress(`creating repository ${id.name} in ${id.region}`);
      const [op] = await ar.createRepository({ parent: `projects/${id.project}/locations/${id.region}`, repositoryId: id.name, repository: body(m, desired, id, labels) });
      await op.promise();
      // The operation's response is decoded without enum names: read the repository back.
      const [repo] = await ar.getRepository({ name: id.fullName });
      live = { repo };
    } else {
      live = { ...obs.raw! };
      const mask = updateMask(plan.changes);
      if (mask.length) {
        ctx.progress(`updating repository ${id.name} (${mask.join(', ')})`);
        [live.repo] = await ar.updateRepository({ repository: body(m, desired, id, labels), updateMask: { paths: mask } });
      }
    }
    const iamChanged = plan.changes.some((c) => c.path.startsWith('spec.readers') || c.path.startsWith('spec.writers'));
    if (iamChanged) {
      ctx.progress(`setting readers and writers of repository ${id.name}`);
      live.policy = await setMembers(id, desired, live.policy, ctx);
    }
    return observedFrom(live);
  },

  async delete({ id }, ctx) {
    ctx.progress(`deleting repository ${id.name} and its images`);
    await ignoringNotFound(async () => {
      const [op] = await ctx.clients.artifactRegistry().deleteRepository({ name: id.fullName });
      await op.promise();
    });
  },

  async list(scopes: Scope[], ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    const seen = new Set<string>();
    for (const scope of scopes) {
      const locations = scope.region ? [scope.region] : AR_LOCATIONS;
      const found = await Promise.all(locations.filter((l) => !seen.has(`${scope.project}/${l}`)).map(async (l) => {
        seen.add(`${scope.project}/${l}`);
        return [...(await listRepos(ctx, scope.project, l)).values()];
      }));
      for (const repo of found.flat()) {
        const { project, location, id } = nameParts(repo.name);
        const o = observedFrom({ repo });
        out.push({ kind: KIND, name: id, identity: { project, region: location, name: id, fullName: repo.name ?? '' }, labels: o.labels ?? {}, etag: o.etag, spec: { ...o.spec }, status: o.status });
      }
    }
    return out;
  },

  async exportSpec(r, ctx) {
    const form = r.spec as RepositoryForm;
    // docker is the default format: left out, as a manifest writes it.
    const spec: Record<string, unknown> = { location: form.location, ...(form.format !== 'docker' ? { format: form.format } : {}) };
    if (form.description) spec.description = form.description;
    if (form.immutableTags) spec.immutableTags = true;
    const policy = await readPolicy(ctx, r.identity.fullName);
    const live = formOf({ name: r.identity.fullName }, policy);
    if (live.readers?.length) spec.readers = live.readers;
    if (live.writers?.length) spec.writers = live.writers;
    const c = form.cleanup;
    if (c && (c.keepRecent !== undefined || c.deleteUntaggedAfter !== undefined || c.dryRun)) {
      spec.cleanup = { ...(c.keepRecent !== undefined ? { keepRecent: c.keepRecent } : {}), ...(c.deleteUntaggedAfter ? { deleteUntaggedAfter: c.deleteUntaggedAfter } : {}), ...(c.dryRun ? { dryRun: true } : {}) };
    }
    return { spec };
  },
};
