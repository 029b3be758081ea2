/**
 * Accessor members: `ServiceAccount/NAME` (an account of the set) resolves to
 * `serviceAccount:NAME@PROJECT.iam.gserviceaccount.com`, its project the account's
 * manifest's (or the default), known before the account exists; any other value is an
 * IAM member as written.
 */
import type { PlanContext } from '../../src/engine/controller';
import { projectOf } from '../../src/engine/location';
import type { Manifest } from '../../src/engine/types';

export function resolveMember(member: string, owner: Manifest, ctx: PlanContext): string {
  const m = /^ServiceAccount\/(.+)$/.exec(member);
  if (!m) return member;
  const account = ctx.manifestOf(`ServiceAccount/${m[1]}`);
  const project = account ? projectOf(account, ctx.target) : projectOf(owner, ctx.target);
  return `serviceAccount:${m[1]}@${project}.iam.gserviceaccount.com`;
}
