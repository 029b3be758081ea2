/**
 * The live side of a Secret: listing a project's secrets once per run, the manifest form
 * of a live secret, and the accessor role on its IAM policy.
 */
import type { protos } from '@google-cloud/secret-manager';
import type { ObserveContext, ResourceStatus } from '../../src/engine/controller';

export type LiveSecret = protos.google.cloud.secretmanager.v1.ISecret;
export type Policy = protos.google.iam.v1.IPolicy;

/** The role a Secret's accessors hold. */
export const ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';

/** Replication in manifest form. */
export type ReplicationForm = 'automatic' | { regions: string[] };

/** A Secret in manifest form (the value as a token; see value.ts). */
export type SecretForm = {
  replication: ReplicationForm;
  value?: string;
  accessors?: string[];
};

/** The secret ID: the last segment of its name (the API answers with the project number). */
export function secretId(s: LiveSecret): string {
  return String(s.name ?? '').split('/').pop() ?? '';
}

/** Every secret of a project, by ID, once per run. */
export async function listSecrets(ctx: ObserveContext, project: string): Promise<Map<string, LiveSecret>> {
  return ctx.cached(`secretmanager.secrets:${project}`, async () => {
    const [secrets] = await ctx.clients.secretManager().listSecrets({ parent: `projects/${project}` }, { autoPaginate: true });
    return new Map(secrets.map((s) => [secretId(s), s]));
  });
}

export function replicationOf(s: LiveSecret): ReplicationForm {
  const replicas = s.replication?.userManaged?.replicas;
  return replicas ? { regions: replicas.map((r) => String(r.location)).sort() } : 'automatic';
}

/** The replication message for a manifest form. */
export function replicationMessage(r: ReplicationForm): protos.google.cloud.secretmanager.v1.IReplication {
  return r === 'automatic' ? { automatic: {} } : { userManaged: { replicas: r.regions.map((location) => ({ location })) } };
}

export function labelsOf(s: LiveSecret): Record<string, string> {
  return Object.fromEntries(Object.entries(s.labels ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Members of the accessor role (unconditional binding), sorted. */
export function accessorsOf(p: Policy | undefined): string[] {
  const b = (p?.bindings ?? []).find((x) => x.role === ACCESSOR_ROLE && !x.condition);
  return [...(b?.members ?? [])].sort();
}

/** The policy with the accessor role's members replaced; every other binding kept as it is. */
export function withAccessors(p: Policy, members: string[]): Policy {
  const others = (p.bindings ?? []).filter((b) => !(b.role === ACCESSOR_ROLE && !b.condition));
  const bindings = members.length ? [...others, { role: ACCESSOR_ROLE, members }] : others;
  return { version: p.version, etag: p.etag, bindings };
}

export function secretStatus(s: LiveSecret): ResourceStatus {
  return { fields: { name: s.name, id: secretId(s), replication: replicationOf(s) }, ready: { status: 'True', reason: 'Available' } };
}
