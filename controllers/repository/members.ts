/**
 * Members of `readers`/`writers` as IAM wants them. Until the shared resolver
 * (`controllers/shared/members.ts`) is on main this resolves `ServiceAccount/NAME` itself,
 * the same way: `serviceAccount:NAME@PROJECT.iam.gserviceaccount.com`.
 */
import type { PlanContext } from '../../src/engine/controller';
import { defaultProject, projectOf } from '../../src/engine/location';

export function resolveMembers(values: readonly string[] | undefined, ctx: Pick<PlanContext, 'target' | 'manifestOf'>): string[] | undefined {
  return values?.map((v) => {
    const name = /^ServiceAccount\/(.+)$/.exec(v)?.[1];
    if (!name) return v;
    const m = ctx.manifestOf(`ServiceAccount/${name}`);
    return `serviceAccount:${name}@${m ? projectOf(m, ctx.target) : defaultProject(ctx.target)}.iam.gserviceaccount.com`;
  });
}
