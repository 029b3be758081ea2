/**
 * Member references: `ServiceAccount/NAME` wherever a member or an account is expected
 * (a Service's `serviceAccount` and `invokers`, a GpuModel's `invokers`, a Secret's
 * `accessors`, a Repository's `readers`/`writers`, a Schedule's `serviceAccount`). The
 * schema (`common.schema.json#/$defs/ServiceAccountRef`) makes each a dependency edge on
 * the ServiceAccount of the set; this is the one resolver every kind uses. The email is
 * known before the account exists — `NAME@PROJECT.iam.gserviceaccount.com`, PROJECT
 * being the ServiceAccount manifest's project — so plans show concrete members.
 */
import type { PlanContext } from '../../src/engine/controller';
import { defaultProject, projectOf } from '../../src/engine/location';
import { RunctlError } from '../../src/engine/types';

/** The kind a member reference names. */
export const SERVICE_ACCOUNT_KIND = 'ServiceAccount';

const REF = /^ServiceAccount\/([a-z][-a-z0-9]*[a-z0-9])$/;

/** What resolving needs: the set's manifests and the target's defaults. */
export type MemberContext = Pick<PlanContext, 'target' | 'manifestOf'>;

/** The account name of a `ServiceAccount/NAME` reference, or undefined for anything else. */
export function serviceAccountRef(value: unknown): string | undefined {
  return typeof value === 'string' ? REF.exec(value)?.[1] : undefined;
}

/** The email of user-managed account `name` in `project`. */
export function serviceAccountEmail(name: string, project: string): string {
  return `${name}@${project}.iam.gserviceaccount.com`;
}

/**
 * An account field's value as the API wants it: `ServiceAccount/NAME` → its email; an
 * email (or anything else) as written.
 */
export function resolveAccount(value: string, ctx: MemberContext): string;
export function resolveAccount(value: string | undefined, ctx: MemberContext): string | undefined;
export function resolveAccount(value: string | undefined, ctx: MemberContext): string | undefined {
  const name = serviceAccountRef(value);
  if (name === undefined) return value;
  const m = ctx.manifestOf(`${SERVICE_ACCOUNT_KIND}/${name}`);
  // Validation makes sure the set has the account; without its manifest (a bare `get`)
  // the account is in the default project, where a manifest naming no project puts it.
  const project = m ? projectOf(m, ctx.target) : defaultProject(ctx.target);
  if (!project) throw new RunctlError('Usage', `${value}: no project to resolve the account in: pass --project or set GOOGLE_CLOUD_PROJECT`, { source: 'user' });
  return serviceAccountEmail(name, project);
}

/** A member field's value as IAM wants it: `ServiceAccount/NAME` → `serviceAccount:EMAIL`; others as written. */
export function resolveMember(value: string, ctx: MemberContext): string {
  return serviceAccountRef(value) === undefined ? value : `serviceAccount:${resolveAccount(value, ctx)}`;
}

/** {@link resolveMember} over a list (undefined stays undefined). */
export function resolveMembers(values: readonly string[] | undefined, ctx: MemberContext): string[] | undefined {
  return values?.map((v) => resolveMember(v, ctx));
}
