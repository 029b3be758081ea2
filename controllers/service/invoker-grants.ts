/**
 * `roles/run.invoker` that other resources of the set ask for on a Service (a Schedule's
 * account, through `Controller.grants`). The Service merges them into the invokers it
 * manages, so one controller writes the policy: with `spec.invokers` declared they are
 * added to it (and leave with the resource that asked); without it they are added to
 * the live members, which stay as they are.
 */
import type { Grant, PlanContext } from '../../src/engine/controller';
import type { Manifest } from '../../src/engine/types';

const INVOKER = 'roles/run.invoker';

/** The run.invoker grants others of the set ask for on this Service. */
export function invokerGrants(m: Manifest, ctx: Pick<PlanContext, 'grantsOn'>): Grant[] {
  return ctx.grantsOn(`Service/${m.metadata.name}`).filter((g) => g.role === INVOKER);
}

/** `base` plus the granted members, sorted and without repeats. */
export function withGranted(base: readonly string[] | undefined, grants: readonly Grant[]): string[] {
  return [...new Set([...(base ?? []), ...grants.map((g) => g.member)])].sort();
}

/** Plan notes naming whom each granted member is for. */
export function grantNotes(grants: readonly Grant[], live: readonly string[] | undefined): string[] {
  return grants.filter((g) => !live?.includes(g.member)).map((g) => `invoker ${g.member} (for ${g.from})`);
}
