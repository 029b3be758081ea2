/**
 * Secret: a Secret Manager secret, its replication and labels, the value of its latest
 * version (from a local file or an environment variable, compared with the live payload:
 * see value.ts), and the members of roles/secretmanager.secretAccessor on it: the
 * declared `accessors` plus the accounts of the set's Services that read it (the
 * engine's grants), so access is granted on this secret only, never the project.
 */
import { crc32c } from '../../src/util/crc32c';
import type { Controller, Identity, LiveResource, ObserveContext, Observed, PlanContext, ResourcePlan } from '../../src/engine/controller';
import { diffDeclared } from '../../src/engine/diff';
import { projectOf } from '../../src/engine/location';
import { ownedBy } from '../../src/engine/planner';
import { RunctlError, type Manifest } from '../../src/engine/types';
import { ignoringNotFound } from '../../src/gcp/errors';
import type { SecretSpec } from '../generated/manifests';
import {
  ACCESSOR_ROLE, accessorsOf, labelsOf, listSecrets, replicationMessage, replicationOf, secretId, secretStatus, withAccessors,
  type LiveSecret, type Policy, type ReplicationForm, type SecretForm,
} from './live';
import { resolveMember } from '../shared/members';
import { compareValue, describeSource, readValue, VALUE_CURRENT } from './value';

const KIND = 'Secret';

/**
 * Matchers of the members exported Services that read secret `name` in their env run as
 * (their account, or the Compute Engine default account when they name none).
 */
function readersOf(name: string, exported: LiveResource[]): RegExp[] {
  const out: RegExp[] = [];
  for (const svc of exported.filter((x) => x.kind === 'Service')) {
    const env = (svc.spec.env ?? {}) as Record<string, unknown>;
    const reads = Object.values(env).some((v) => !!v && typeof v === 'object' && (v as { secret?: unknown }).secret === name);
    if (!reads) continue;
    let account = svc.spec.serviceAccount;
    if (typeof account === 'string' && account.startsWith('ServiceAccount/')) {
      const sa = exported.find((x) => x.kind === 'ServiceAccount' && `ServiceAccount/${x.name}` === account);
      account = sa?.status?.fields.email;
    }
    if (typeof account === 'string' && account.includes('@')) out.push(new RegExp(`^serviceAccount:${account.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    else if (account === undefined) out.push(/^serviceAccount:\d+-compute@developer\.gserviceaccount\.com$/);
  }
  return out;
}

/** What observe read: the secret, its policy when accessors are managed, and a value source that could not be read. */
interface SecretRaw {
  secret: LiveSecret;
  policy?: Policy;
  valueError?: RunctlError;
}
type SecretObserved = Observed<SecretRaw, SecretForm>;

/** Steps a plan decides beyond labels, which apply carries out as told. */
type Operation = 'add-version' | 'set-accessors';

function replicationForm(spec: SecretSpec): ReplicationForm {
  const r = spec.replication;
  return !r || r === 'automatic' ? 'automatic' : { regions: [...r.regions].sort() };
}

/** The accessor role's members runctl manages, or undefined when it manages none (no accessors declared, no reader asks). */
function wantedAccessors(m: Manifest<SecretSpec>, ctx: PlanContext): string[] | undefined {
  const grants = ctx.grantsOn(`${KIND}/${m.metadata.name}`).filter((g) => g.role === ACCESSOR_ROLE && (m.spec.grantReaders !== false || !g.from.startsWith('Service/')));
  if (m.spec.accessors === undefined && !grants.length) return undefined;
  const declared = (m.spec.accessors ?? []).map((a) => resolveMember(a, ctx));
  return [...new Set([...declared, ...grants.map((g) => g.member)])].sort();
}

function observedFrom(secret: LiveSecret, policy: Policy | undefined, value: string | undefined, valueError?: RunctlError): SecretObserved {
  const spec: SecretForm = { replication: replicationOf(secret) };
  if (value) spec.value = value;
  // The accessor role is compared only when the manifest manages it (diffDeclared compares declared fields).
  if (policy) spec.accessors = accessorsOf(policy);
  return { exists: true, spec, labels: labelsOf(secret), etag: secret.etag ?? undefined, raw: { secret, policy, valueError }, status: secretStatus(secret) };
}

async function readPolicy(ctx: ObserveContext, name: string): Promise<Policy> {
  const [policy] = await ctx.clients.secretManager().getIamPolicy({ resource: name });
  return policy;
}

/** Add a version holding the source's value (with its CRC32C, so corruption in transit is refused). */
async function addVersion(ctx: ObserveContext, name: string, m: Manifest<SecretSpec>): Promise<void> {
  const data = readValue(m.spec.value!);
  try {
    await ctx.clients.secretManager().addSecretVersion({ parent: name, payload: { data, dataCrc32c: crc32c(data) } });
  } finally {
    data.fill(0);
  }
}

export const secretController: Controller<SecretSpec, SecretRaw, SecretForm> = {
  kind: KIND,
  schema: 'secret.schema.json',
  regional: false,
  // Replication is immutable, and replacing the secret would destroy its versions.
  replaceOn: [{ path: 'spec.replication', refuse: 'a secret\'s replication cannot change, and runctl refuses to replace the secret (that would destroy its versions): keep the replication, or use a new secret name' }],

  identify(m, ctx): Identity {
    const project = projectOf(m, ctx.target);
    return { project, name: m.metadata.name, fullName: `projects/${project}/secrets/${m.metadata.name}` };
  },

  async observe({ manifest: m, id }, ctx) {
    const secret = (await listSecrets(ctx, id.project)).get(id.name);
    if (!secret) return { exists: false };
    // Always read: whether the accessor role is managed depends on the set's grants, which
    // the engine may collect after observing.
    const policy = await readPolicy(ctx, id.fullName);
    if (!m.spec.value) return observedFrom(secret, policy, undefined);
    const compared = await compareValue(ctx, id.fullName, m.spec.value);
    return 'error' in compared ? observedFrom(secret, policy, undefined, compared.error) : observedFrom(secret, policy, compared.token);
  },

  desired({ manifest: m }, ctx) {
    const form: SecretForm = { replication: replicationForm(m.spec) };
    if (m.spec.value) form.value = VALUE_CURRENT;
    const accessors = wantedAccessors(m, ctx);
    if (accessors) form.accessors = accessors;
    return form;
  },

  plan({ manifest: m, desired, observed }): ResourcePlan {
    const { value, ...rest } = desired;
    const ops: Operation[] = [];
    if (!observed.exists) {
      const { changes } = diffDeclared(rest, {});
      const notes = ['creates the secret'];
      if (m.spec.value) {
        changes.push({ path: 'spec.value', op: 'add', sensitive: true });
        notes.push(`adds version 1 from ${describeSource(m.spec.value)} (the value is never shown)`);
        ops.push('add-version');
      } else notes.push('no value: its versions are managed elsewhere');
      if (desired.accessors) ops.push('set-accessors');
      return { action: 'create', changes, notes, operations: ops };
    }
    if (observed.raw?.valueError && value !== undefined && observed.spec?.value === undefined) throw observed.raw.valueError;
    const { changes } = diffDeclared(rest, observed.spec, { exact: ['accessors', 'replication'] });
    const notes: string[] = [];
    if (value !== undefined && value !== observed.spec?.value) {
      changes.push({ path: 'spec.value', op: 'replace', sensitive: true });
      notes.push(`adds a version from ${describeSource(m.spec.value!)} (the value is never shown); Services reading "latest" get it with their next revision`);
      ops.push('add-version');
    }
    if (changes.some((c) => c.path.startsWith('spec.accessors'))) ops.push('set-accessors');
    return { action: changes.length ? 'update' : 'noop', changes, notes, ...(ops.length ? { operations: ops } : {}) };
  },

  async apply({ manifest: m, id, desired, observed, plan }, ctx) {
    const sm = ctx.clients.secretManager();
    const ops = new Set(plan.operations ?? []);
    const labels = m.metadata.labels ?? {};
    let secret: LiveSecret;
    if (plan.action === 'create') {
      ctx.progress('creating secret');
      [secret] = await sm.createSecret({ parent: `projects/${id.project}`, secretId: id.name, secret: { replication: replicationMessage(desired.replication), labels } });
    } else {
      if (!observed.raw) throw new RunctlError('Internal', `${KIND}/${id.name}: an ${plan.action} plan without the live secret`);
      secret = observed.raw.secret;
      if (plan.changes.some((c) => c.path.startsWith('metadata.labels'))) {
        ctx.progress('setting labels');
        // Every label the live secret has and runctl does not declare stays (the engine compares declared keys only).
        [secret] = await sm.updateSecret({ secret: { name: secret.name, labels: { ...labelsOf(secret), ...labels }, etag: secret.etag }, updateMask: { paths: ['labels'] } });
      }
    }
    if (ops.has('add-version')) {
      ctx.progress('adding a version');
      await addVersion(ctx, id.fullName, m);
    }
    let policy = observed.raw?.policy;
    if (ops.has('set-accessors') && desired.accessors) {
      ctx.progress('setting accessors');
      // Read-modify-write with the policy's etag: a concurrent change is a conflict, never overwritten.
      const current = plan.action === 'create' ? await readPolicy(ctx, id.fullName) : policy ?? (await readPolicy(ctx, id.fullName));
      [policy] = await sm.setIamPolicy({ resource: id.fullName, policy: withAccessors(current, desired.accessors) });
    }
    return observedFrom(secret, policy, desired.value);
  },

  async delete({ id, observed }, ctx) {
    if (!observed.exists || !ownedBy(observed.labels, ctx.set)) return;
    ctx.progress('deleting secret');
    await ignoringNotFound(async () => {
      // The etag read right before is the precondition: a secret changed since is not deleted.
      await ctx.clients.secretManager().deleteSecret({ name: id.fullName, etag: observed.etag });
    });
  },

  async list(scopes, ctx): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    for (const project of [...new Set(scopes.map((s) => s.project))].sort()) {
      for (const s of (await listSecrets(ctx, project)).values()) {
        // Every secret, as Services and Repositories: `get` and `export` show what runctl
        // does not own too (prune and delete act only on the set's own).
        const labels = labelsOf(s);
        const name = secretId(s);
        out.push({
          kind: KIND,
          name,
          identity: { project, name, fullName: `projects/${project}/secrets/${name}` },
          labels,
          etag: s.etag ?? undefined,
          spec: { replication: replicationOf(s) },
          status: secretStatus(s),
        });
      }
    }
    return out;
  },

  async exportSpec(r, ctx, opts) {
    // The accessor role is not part of the listing: read it for the secret being printed.
    const exported = opts?.exported ?? [];
    const readers = readersOf(r.name, exported);
    const accessors = accessorsOf(await readPolicy(ctx, r.identity.fullName))
      // The accounts of exported Services that read it are granted by those Services
      // (grantReaders), not declared here.
      .filter((a) => !readers.some((re) => re.test(a)))
      .map((a) => {
        const account = exported.find((x) => x.kind === 'ServiceAccount' && x.status?.fields.member === a);
        return account ? `ServiceAccount/${account.name}` : a;
      });
    return { spec: { ...r.spec, ...(accessors.length ? { accessors } : {}) } };
  },
};
