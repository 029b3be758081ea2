/**
 * The project IAM policy, as one ServiceAccount touches it: only the unconditional
 * bindings whose member is this account. Writes are read-modify-write with the policy's
 * etag; a concurrent change elsewhere in the policy (ABORTED) is re-read and the same
 * grants and revocations applied again, so the other writer's change is kept.
 */
import type { google } from '@google-cloud/resource-manager/build/protos/protos';
import type { ObserveContext } from '../../src/engine/controller';
import { RunctlError } from '../../src/engine/types';
import { isConflict } from '../../src/gcp/errors';

export type IamPolicy = google.iam.v1.IPolicy;

/** How many times a write re-reads after a concurrent change before giving up. */
const ATTEMPTS = 5;

/** The project's policy (read once per run and project; version 3 so conditions are kept). */
export function readProjectPolicy(ctx: ObserveContext, project: string): Promise<IamPolicy> {
  return ctx.cached(`resourcemanager.policy:${project}`, () => fetchPolicy(ctx, project));
}

async function fetchPolicy(ctx: ObserveContext, project: string): Promise<IamPolicy> {
  const [policy] = await ctx.clients.projects().getIamPolicy({ resource: `projects/${project}`, options: { requestedPolicyVersion: 3 } });
  return policy;
}

/** The roles `member` holds through unconditional bindings, sorted. */
export function memberRoles(policy: IamPolicy | undefined, member: string): string[] {
  const roles = (policy?.bindings ?? []).filter((b) => !b.condition && (b.members ?? []).includes(member)).map((b) => b.role ?? '');
  return [...new Set(roles)].filter(Boolean).sort();
}

/** The policy with `member` added to `grant` roles and removed from `revoke` roles; nothing else changes. */
export function withMemberRoles(policy: IamPolicy, member: string, grant: readonly string[], revoke: readonly string[]): IamPolicy {
  const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }));
  for (const b of bindings) {
    if (b.condition) continue;
    if (revoke.includes(b.role ?? '')) b.members = b.members.filter((m) => m !== member);
  }
  for (const role of grant) {
    const b = bindings.find((x) => x.role === role && !x.condition);
    if (b) {
      if (!b.members.includes(member)) b.members.push(member);
    } else {
      bindings.push({ role, members: [member] });
    }
  }
  return { ...policy, bindings: bindings.filter((b) => b.members.length) };
}

/**
 * Grant and revoke roles of `member` on the project: write with the etag of `first`
 * (the policy the plan was made from), and on a concurrent change re-read and apply the
 * same delta again. Returns the policy written.
 */
export async function updateMemberRoles(
  ctx: ObserveContext,
  project: string,
  member: string,
  delta: { grant: readonly string[]; revoke: readonly string[] },
  first: IamPolicy | undefined,
  progress: (message: string) => void,
): Promise<IamPolicy> {
  let policy = first ?? (await fetchPolicy(ctx, project));
  for (let attempt = 1; ; attempt++) {
    const held = memberRoles(policy, member);
    const grant = delta.grant.filter((r) => !held.includes(r));
    const revoke = delta.revoke.filter((r) => held.includes(r));
    if (!grant.length && !revoke.length) return policy;
    try {
      const [written] = await ctx.clients.projects().setIamPolicy({ resource: `projects/${project}`, policy: withMemberRoles(policy, member, grant, revoke) });
      return written;
    } catch (err) {
      if (!isConflict(err) || attempt >= ATTEMPTS) {
        if (isConflict(err)) throw new RunctlError('Conflict', `the IAM policy of project ${project} kept changing while runctl wrote it (${ATTEMPTS} attempts)`, { cause: err });
        throw err;
      }
      // Someone changed the policy since it was read: keep their change, apply ours again.
      progress(`the IAM policy of project ${project} changed since it was read; re-reading and applying the same grants again`);
      policy = await fetchPolicy(ctx, project);
    }
  }
}
